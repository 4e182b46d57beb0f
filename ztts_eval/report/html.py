"""One HTML report per suite and profile: the table, plots, listening results, per-item drill-down.

The page is a list of sections (`SECTIONS`): each builder takes the loaded suite and the audio
linker and returns HTML, or "" when it has nothing to show. An optional section (e.g. speed) is one
more builder in that list. plotly.js is embedded once (no CDN), so the page opens offline; every
piece of result text is HTML-escaped. Without `bundle`, audio players link into the results cache
(the page plays where it was written); with `bundle`, the page and its audio form one folder.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

from ztts_eval.pipeline.results import bundle_dir, html_path
from ztts_eval.pipeline.run_metadata import utc_now
from ztts_eval.report.assets import AudioLinks, write_page
from ztts_eval.report.context import SuiteResults, load_suite
from ztts_eval.report.drilldown import STATIC, drilldown_section
from ztts_eval.report.leaderboard import legend
from ztts_eval.report.listening import listening_section
from ztts_eval.report.published import PROFILES_WITH_PUBLISHED
from ztts_eval.report.speed import speed_section
from ztts_eval.report.table import Line, build_lines

Section = Callable[[SuiteResults, AudioLinks], str]


def _table_html(labels: list[str], lines: list[Line], colors: dict[str, str]) -> str:
    esc = html.escape
    out = ['<div class="table-wrap"><table id="leaderboard"><thead><tr><th class="l">System</th><th class="l">Metric</th>']
    out += [f"<th>{esc(l)}</th>" for l in labels] + ["</tr></thead><tbody>"]
    previous = None
    for ln in lines:
        sep = " sep" if previous is not None and ln.system != previous else ""
        swatch = f'<span class="swatch" style="background:{colors[ln.system]}"></span>' if ln.system in colors else ""
        badge = ' <span class="badge">published</span>' if ln.source == "published" else ""
        out.append(
            f'<tr class="src-{esc(ln.source)}{sep}"><td class="l">{swatch}{esc(ln.system)}{badge}</td><td class="l">{esc(ln.label)}</td>'
        )
        for l in labels:
            c = ln.cells[l]
            title = f' title="95% CI {c.ci[0]:.2f}–{c.ci[1]:.2f}"' if c.ci else ""
            out.append(f'<td class="{esc(c.mark)}"{title}>{esc(c.text)}</td>')
        out.append("</tr>")
        previous = ln.system
    return "".join(out) + "</tbody></table></div>"


def leaderboard_section(ctx: SuiteResults, _links: AudioLinks) -> str:
    labels, lines = build_lines(ctx.summaries, ctx.suite, with_published=ctx.profile in PROFILES_WITH_PUBLISHED)
    text = legend(lines).replace("**best**", "best (bold)").replace("<u>second</u>", "second (underlined)")
    published = any(ln.source == "published" for ln in lines)
    return (
        '<h2 id="table">Leaderboard</h2>'
        + _table_html(labels, lines, ctx.colors)
        + f'<p class="legend">{html.escape(text)}'
        + (" · published rows are shaded and italic: another harness, never ranked" if published else "")
        + "</p>"
    )


def figures_section(ctx: SuiteResults, _links: AudioLinks) -> str:
    from ztts_eval.report.figures import build_figures

    parts = ['<h2 id="plots">Plots</h2><p>Each system keeps one colour in every plot; ground truth is grey.</p>']
    for i, (title, fig) in enumerate(build_figures(ctx)):
        parts.append(
            f'<h3>{html.escape(title)}</h3><div class="fig">'
            + fig.to_html(full_html=False, include_plotlyjs=False, div_id=f"fig{i}", config={"responsive": True})
            + "</div>"
        )
    return "".join(parts)


def speed_results_section(ctx: SuiteResults, _links: AudioLinks) -> str:
    """`ztts-eval speed` results of the suite, if any (table, latency plots, worst chunk timeline)."""
    return speed_section(ctx.results_dir, ctx.suite, ctx.profile)


# Page order. Another section is one more builder here.
SECTIONS: list[Section] = [leaderboard_section, figures_section, speed_results_section, listening_section, drilldown_section]


def render_page(ctx: SuiteResults, links: AudioLinks) -> str:
    from plotly.offline import get_plotlyjs

    esc = html.escape
    where = (
        "Audio is bundled beside this page: the folder can be moved or kept as an artifact."
        if links.bundle
        else "Audio players link into the results cache; use <code>report --html --bundle</code> for a folder that travels."
    )
    parts = [
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{esc(f'ztts-eval {ctx.suite} {ctx.profile}')}</title>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'><link rel='icon' href='data:,'>",
        f"<style>{(STATIC / 'report.css').read_text(encoding='utf-8')}</style>",
        f"<script type='text/javascript'>{get_plotlyjs()}</script></head><body>",
        f"<h1>ztts-eval report — suite {esc(ctx.suite)}, profile {esc(ctx.profile)}</h1>",
        f"<p>Generated {esc(utc_now())}. Hover a cell for its bootstrap 95% interval. {where}</p>",
    ]
    parts += [html_part for build in SECTIONS if (html_part := build(ctx, links))]
    return "".join(parts + ["</body></html>"])


def write_html(results_dir: Path, suite: str, profile: str, bundle: bool = False, manifest: Path | None = None) -> Path:
    """Write the report; with `bundle`, as <suite>/report-<profile>/index.html with audio/ beside it."""
    ctx = load_suite(Path(results_dir), suite, profile, manifest)
    out = bundle_dir(results_dir, suite, profile) / "index.html" if bundle else html_path(results_dir, suite, profile)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_page(out, render_page(ctx, AudioLinks(out.parent, bundle, strict=False)))
    return out
