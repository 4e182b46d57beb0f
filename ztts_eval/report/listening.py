"""The report's listening-test section, shown when `listen --tally` has written tally.json.

Human strengths (Bradley–Terry, Elo scale) as a bar per system in its report colour, the pairwise
win rates, rater agreement, and how often each automatic metric agrees with the votes.
"""

from __future__ import annotations

import html
from typing import Any

from ztts_eval.pipeline.results import listen_dir, read_json_file
from ztts_eval.report.assets import AudioLinks
from ztts_eval.report.context import SuiteResults
from ztts_eval.report.style import GUIDE_COLOR, layout


def _ci(ci: list[float] | None, digits: int = 2) -> str:
    return f"[{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]" if ci else ""


def _strength_figure(ctx: SuiteResults, strengths: list[dict[str, Any]], div_id: str) -> str:
    import plotly.graph_objects as go

    fig = go.Figure()
    for s in strengths:
        lo, hi = s["ci95"]
        fig.add_trace(
            go.Bar(
                x=[s["system"]],
                y=[s["elo"]],
                name=s["system"],
                marker_color=ctx.colors.get(s["system"], GUIDE_COLOR),
                error_y={"type": "data", "symmetric": False, "array": [hi - s["elo"]], "arrayminus": [s["elo"] - lo]},
            )
        )
    layout(
        fig,
        "Human preference strength (Bradley–Terry, 95% bootstrap interval)",
        "system",
        "strength (Elo scale) ↑ higher is preferred",
    )
    fig.update_yaxes(range=[min(s["ci95"][0] for s in strengths) - 50, max(s["ci95"][1] for s in strengths) + 50])
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config={"responsive": True})


def _metric_row(m: dict[str, Any]) -> str:
    esc = html.escape
    rate = "" if m["rate"] is None else f"{m['rate']:.2f}"
    return (
        f'<tr><td class="l">{esc(m["column"])}</td><td class="l">{esc(m.get("scorer") or "")}</td><td>{m["n"]}</td>'
        f"<td>{rate}</td><td>{_ci(m['ci95'])}</td><td>{m['n_metric_ties']}</td></tr>"
    )


def _question_html(ctx: SuiteResults, q: str, r: dict[str, Any]) -> str:
    esc = html.escape
    parts = [f"<h3>Question: {esc(q)} ({r['n']} votes)</h3>", _strength_figure(ctx, r["strengths"], f"listen-{q}")]
    rows = "".join(
        f'<tr><td class="l">{esc(p["a"])}</td><td class="l">{esc(p["b"])}</td><td class="l">{esc(p["language"])}</td>'
        f"<td>{p['n']}</td><td>{p['wins_a']}–{p['ties']}–{p['wins_b']}</td><td>{p['win_rate_a']:.2f}</td><td>{_ci(p['ci95'])}</td></tr>"
        for p in r["pairs"]
    )
    parts.append(
        '<div class="table-wrap"><table class="listen-pairs"><thead><tr><th class="l">A</th><th class="l">B</th><th class="l">language</th>'
        "<th>votes</th><th>A wins–ties–B wins</th><th>A win rate ↑</th><th>95% CI</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></div>"
    )
    ag = r["agreement"]
    alpha = "n/a" if ag["krippendorff_alpha"] is None else f"{ag['krippendorff_alpha']:.2f}"
    share = "n/a" if ag["percent_agreement"] is None else f"{ag['percent_agreement']:.2f}"
    parts.append(
        f"<p>Rater agreement on {ag['n_trials_multi']} trial(s) heard by two or more raters: Krippendorff's α = {alpha}, "
        f"raw agreement {share}.</p>"
    )
    mrows = "".join(_metric_row(m) for m in r["metrics"])
    parts.append(
        '<div class="table-wrap"><table class="listen-metrics"><thead><tr><th class="l">metric</th><th class="l">scorer</th>'
        "<th>votes compared</th><th>agrees with raters ↑</th><th>95% CI</th><th>metric ties</th></tr></thead>"
        f"<tbody>{mrows}</tbody></table></div>"
    )
    return "".join(parts)


def listening_section(ctx: SuiteResults, _links: AudioLinks) -> str:
    path = listen_dir(ctx.results_dir, ctx.suite, ctx.profile) / "tally.json"
    if not path.exists():
        return ""
    result = read_json_file(path)
    raters = len(result["raters"])
    parts = [
        '<h2 id="listening">Listening test</h2>',
        f"<p>{result['n_votes']} blind A/B vote(s) from {raters} rater(s) (test {html.escape(result['test_id'])}); "
        "a tie counts as half a win. Metric agreement: on votes that are not ties, how often the metric prefers the "
        "system the rater preferred (0.5 = chance).</p>",
    ]
    for q, r in result["questions"].items():
        if r["n"]:
            parts.append(_question_html(ctx, q, r))
    return "".join(parts)
