"""One self-contained HTML report per suite and profile: tables, plots, per-sample drill-down.

plotly.js is embedded once (no CDN), so the file opens offline. Every piece of text from results
(item texts, transcripts, errors, system names) is HTML-escaped.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from ztts_eval.pipeline.results import RunPaths, html_path, is_reference, load_summaries, read_samples
from ztts_eval.pipeline.run_metadata import utc_now
from ztts_eval.report.leaderboard import legend
from ztts_eval.report.published import PROFILES_WITH_PUBLISHED
from ztts_eval.report.table import Line, build_lines, group_of

CSS = """body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;font-size:13px}
td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}td.l,th.l{text-align:left}.best{font-weight:bold}
.second{text-decoration:underline}tr.sep td{border-top:2px solid #666}details{margin:.5em 0}.err{color:#b00}
.src-published td{color:#555;font-style:italic}.src-delta td{color:#06c}"""


def _table_html(labels: list[str], lines: list[Line]) -> str:
    esc = html.escape
    out = ['<table id="leaderboard"><thead><tr><th class="l">System</th><th class="l">Metric</th>']
    out += [f"<th>{esc(l)}</th>" for l in labels] + ["</tr></thead><tbody>"]
    previous = None
    for ln in lines:
        sep = " sep" if previous is not None and ln.system != previous else ""
        out.append(f'<tr class="src-{esc(ln.source)}{sep}"><td class="l">{esc(ln.system)}</td><td class="l">{esc(ln.label)}</td>')
        for l in labels:
            c = ln.cells[l]
            title = f' title="95% CI {c.ci[0]:.2f}–{c.ci[1]:.2f}"' if c.ci else ""
            out.append(f'<td class="{esc(c.mark)}"{title}>{esc(c.text)}</td>')
        out.append("</tr>")
        previous = ln.system
    return "".join(out) + "</tbody></table>"


def _load_rows(results_dir: Path, suite: str, profile: str, system: str) -> list[dict[str, Any]]:
    path = RunPaths(results_dir, suite, system, profile).samples
    return read_samples(path) if path.exists() else []


def _headline_columns(summaries: list[dict[str, Any]], kind: str) -> list[tuple[str, dict]]:
    seen: dict[str, tuple[str, dict]] = {}
    for s in summaries:
        for info in s["metrics"]:
            if info["kind"] == kind:
                seen.setdefault(info["columns"][0]["name"], (info["name"], info["columns"][0]))
    return list(seen.values())


def _figures(summaries, rows_by_system) -> list[tuple[str, Any]]:
    import plotly.graph_objects as go

    figs = []
    for metric, col in _headline_columns(summaries, "sample"):
        fig = go.Figure()
        for system, rows in rows_by_system.items():
            pts = [
                (r["language"], r["scores"][metric][col["name"]])
                for r in rows
                if r.get("scores", {}).get(metric, {}).get("status") == "ok" and r["scores"][metric].get(col["name"]) is not None
            ]
            if pts:
                fig.add_trace(
                    go.Violin(
                        x=[p[0] for p in pts], y=[p[1] for p in pts], name=system, box_visible=True, points=False, spanmode="hard"
                    )
                )
        fig.update_layout(violinmode="group", title=f"{col['name']} per language", yaxis_title=col["name"])
        figs.append((f"Distribution of {col['name']} per system", fig))
        reference = next((s["system"] for s in summaries if is_reference(s)), None)
        if col["aggregation"] == "edits" and reference in rows_by_system:
            gt = {
                (r["item_id"]): r["scores"][metric][col["name"]]
                for r in rows_by_system[reference]
                if r.get("scores", {}).get(metric, {}).get("status") == "ok"
            }
            fig = go.Figure()
            for system, rows in rows_by_system.items():
                if system == reference:
                    continue
                pairs = [
                    (gt[r["item_id"]], r["scores"][metric][col["name"]], r["item_id"])
                    for r in rows
                    if r["item_id"] in gt and r.get("scores", {}).get(metric, {}).get("status") == "ok"
                ]
                if pairs:
                    fig.add_trace(
                        go.Scatter(
                            x=[p[0] for p in pairs],
                            y=[p[1] for p in pairs],
                            text=[p[2] for p in pairs],
                            mode="markers",
                            name=system,
                        )
                    )
            fig.add_trace(go.Scatter(x=[0, 100], y=[0, 100], mode="lines", name="y = x", line={"dash": "dot"}))
            fig.update_layout(
                title=f"{col['name']}: each system vs the ground-truth recording, per item",
                xaxis_title="ground truth",
                yaxis_title="system",
            )
            figs.append((f"{col['name']} against ground truth", fig))
        binned = {s: rs for s, rs in rows_by_system.items() if any(r.get("utmos_bin") is not None for r in rs)}
        if binned:
            fig = go.Figure()
            for system, rows in binned.items():
                by_bin: dict[int, list[float]] = {}
                for r in rows:
                    sc = r.get("scores", {}).get(metric, {})
                    if r.get("utmos_bin") is not None and sc.get("status") == "ok" and sc.get(col["name"]) is not None:
                        by_bin.setdefault(r["utmos_bin"], []).append(sc[col["name"]])
                xs = sorted(by_bin)
                fig.add_trace(
                    go.Scatter(x=xs, y=[sum(by_bin[b]) / len(by_bin[b]) for b in xs], mode="lines+markers", name=system)
                )
            fig.update_layout(
                title=f"{col['name']} by prompt-quality bin", xaxis_title="prompt UTMOS bin", yaxis_title=col["name"]
            )
            figs.append((f"{col['name']} by prompt quality", fig))
    for _metric, col in _headline_columns(summaries, "corpus"):
        fig = go.Figure()
        for s in summaries:
            vals = [(g["label"], g["columns"].get(col["name"], {}).get("value")) for g in s["groups"]]
            vals = [v for v in vals if v[1] is not None]
            if vals:
                fig.add_trace(go.Bar(x=[v[0] for v in vals], y=[v[1] for v in vals], name=s["system"]))
        fig.update_layout(barmode="group", title=f"{col['name']} (whole-set metric) per language")
        figs.append((f"Whole-set metric {col['name']}", fig))
    return figs


def _drilldown(system: str, rows: list[dict[str, Any]], metrics: list[tuple[str, dict]], audio_prefix: str) -> str:
    esc = html.escape
    head = "".join(f"<th>{esc(c['name'])}</th>" for _, c in metrics)
    out = [
        f'<details class="drill"><summary>{esc(system)}: {len(rows)} samples</summary><table>',
        f'<tr><th class="l">item</th><th class="l">lang</th><th class="l">text</th><th class="l">transcript</th>{head}'
        '<th class="l">status</th><th class="l">audio</th></tr>',
    ]
    for r in rows:
        transcript = next((sc.get("hyp_raw") for sc in r.get("scores", {}).values() if "hyp_raw" in sc), "") or ""
        cells = []
        for metric, col in metrics:
            sc = r.get("scores", {}).get(metric, {})
            v = sc.get(col["name"])
            cells.append(f"<td>{v:.2f}</td>" if isinstance(v, (int, float)) else f"<td>{esc(sc.get('status', ''))}</td>")
        status = esc(r["status"] + (f" {','.join(r['flags'])}" if r.get("flags") else ""))
        err = f'<div class="err">{esc(r["error"])}</div>' if r.get("error") else ""
        audio = (
            f'<audio controls preload="none" src="{esc(audio_prefix + r["audio_path"])}"></audio>' if r.get("audio_path") else ""
        )
        out.append(
            f'<tr><td class="l">{esc(r["item_id"])}#{r["seed"]}</td><td class="l">{esc(r["language"])}</td>'
            f'<td class="l">{esc(r["text"])}</td><td class="l">{esc(transcript)}</td>{"".join(cells)}'
            f'<td class="l">{status}{err}</td><td class="l">{audio}</td></tr>'
        )
    return "".join(out) + "</table></details>"


def write_html(results_dir: Path, suite: str, profile: str) -> Path:
    from plotly.offline import get_plotlyjs

    summaries = load_summaries(results_dir, suite, profile)
    if not summaries:
        raise FileNotFoundError(f"no results for suite {suite!r}, profile {profile!r} under {results_dir}")
    labels, lines = build_lines(summaries, suite, with_published=profile in PROFILES_WITH_PUBLISHED)
    order = sorted(summaries, key=lambda s: (group_of(s) != "reference", s["system"]))
    rows_by_system = {s["system"]: _load_rows(results_dir, suite, profile, s["system"]) for s in order}
    figs = _figures(order, rows_by_system)
    esc = html.escape
    parts = [
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{esc(f'ztts-eval {suite} {profile}')}</title>",
        f"<style>{CSS}</style><script type='text/javascript'>{get_plotlyjs()}</script></head><body>",
        f"<h1>ztts-eval report — suite {esc(suite)}, profile {esc(profile)}</h1>",
        f"<p>Generated {esc(utc_now())}. Hover a cell for its bootstrap 95% interval.</p>",
        _table_html(labels, lines),
        f"<p>{esc(legend(lines).replace('**best**', 'best (bold)').replace('<u>second</u>', 'second (underlined)'))}</p>",
    ]
    for i, (title, fig) in enumerate(figs):
        parts.append(f"<h2>{esc(title)}</h2>" + fig.to_html(full_html=False, include_plotlyjs=False, div_id=f"fig{i}"))
    parts.append("<h2>Per-sample drill-down</h2>")
    sample_metrics = _headline_columns(order, "sample")
    for s in order:
        parts.append(_drilldown(s["system"], rows_by_system[s["system"]], sample_metrics, "../"))
    parts.append("</body></html>")
    out = html_path(results_dir, suite, profile)
    out.write_text("".join(parts), encoding="utf-8")
    return out
