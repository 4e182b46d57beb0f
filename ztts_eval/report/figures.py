"""The report's plots, each answering one question, in every system's fixed colour.

- How are per-item scores spread, per language? Box plots with every point shown when groups
  are small (a violin of 2–8 points says nothing), outliers only for large groups.
- Where does a system fail items the recording passes? Its per-item error against ground truth's,
  with a neutral y = x guide.
- Does a system depend on prompt quality? The mean by prompt-UTMOS bin.
- Whole-set metrics per language, as grouped bars.
Ground truth never appears where it would be scored against its own recordings.
"""

from __future__ import annotations

from typing import Any

from ztts_eval.report.context import SuiteResults
from ztts_eval.report.style import GUIDE_COLOR, axis_title, layout

ALL_POINTS_UP_TO = 60  # largest group size for which every point is drawn over the box


def _ok_value(row: dict[str, Any], metric: str, column: str) -> float | None:
    sc = row.get("scores", {}).get(metric, {})
    v = sc.get(column)
    return float(v) if sc.get("status") == "ok" and isinstance(v, (int, float)) else None


def distribution(ctx: SuiteResults, info: dict, col: dict) -> Any:
    import plotly.graph_objects as go

    fig = go.Figure()
    series = {}
    for system in ctx.systems:
        if ctx.self_compared(system, info):
            continue
        pts = [(r["language"], v) for r in ctx.rows[system] if (v := _ok_value(r, info["name"], col["name"])) is not None]
        if pts:
            series[system] = pts
    largest = max((sum(1 for p in pts if p[0] == lang) for pts in series.values() for lang in {p[0] for p in pts}), default=0)
    for system, pts in series.items():
        fig.add_trace(
            go.Box(
                x=[p[0] for p in pts],
                y=[p[1] for p in pts],
                name=system,
                marker_color=ctx.colors[system],
                boxpoints="all" if largest <= ALL_POINTS_UP_TO else "outliers",
                jitter=0.35,
                pointpos=0,
                marker={"size": 5, "opacity": 0.7},
            )
        )
    layout(fig, f"{col['name']} per item, by language", "language", axis_title(col))
    fig.update_layout(boxmode="group")
    return fig


def against_reference(ctx: SuiteResults, info: dict, col: dict) -> Any | None:
    import plotly.graph_objects as go

    ref = ctx.reference_system
    if ref is None or col.get("aggregation") != "edits":
        return None
    gt = {r["item_id"]: v for r in ctx.rows[ref] if (v := _ok_value(r, info["name"], col["name"])) is not None}
    fig = go.Figure()
    top = 0.0
    for system in ctx.systems:
        if system == ref:
            continue
        pairs = [
            (gt[r["item_id"]], v, r["item_id"])
            for r in ctx.rows[system]
            if r["item_id"] in gt and (v := _ok_value(r, info["name"], col["name"])) is not None
        ]
        if pairs:
            top = max(top, *(max(p[0], p[1]) for p in pairs))
            fig.add_trace(
                go.Scatter(
                    x=[p[0] for p in pairs],
                    y=[p[1] for p in pairs],
                    text=[p[2] for p in pairs],
                    mode="markers",
                    name=system,
                    marker={"color": ctx.colors[system], "size": 7, "opacity": 0.8},
                )
            )
    if not fig.data:
        return None
    edge = max(top, 1.0) * 1.05
    fig.add_trace(
        go.Scatter(
            x=[0, edge],
            y=[0, edge],
            mode="lines",
            name="y = x (as good as the recording)",
            line={"dash": "dot", "color": GUIDE_COLOR},
            hoverinfo="skip",
        )
    )
    layout(
        fig,
        f"{col['name']} per item: each system against the ground-truth recording (above the line: worse)",
        f"ground truth {axis_title(col)}",
        f"system {axis_title(col)}",
    )
    return fig


def by_prompt_bin(ctx: SuiteResults, info: dict, col: dict) -> Any | None:
    import plotly.graph_objects as go

    fig = go.Figure()
    for system in ctx.systems:
        if ctx.self_compared(system, info):
            continue
        by_bin: dict[int, list[float]] = {}
        for r in ctx.rows[system]:
            v = _ok_value(r, info["name"], col["name"])
            if r.get("utmos_bin") is not None and v is not None:
                by_bin.setdefault(r["utmos_bin"], []).append(v)
        if by_bin:
            xs = sorted(by_bin)
            fig.add_trace(
                go.Scatter(
                    x=xs,
                    y=[sum(by_bin[b]) / len(by_bin[b]) for b in xs],
                    mode="lines+markers",
                    name=system,
                    line={"color": ctx.colors[system]},
                )
            )
    if not fig.data:
        return None
    layout(fig, f"mean {col['name']} by prompt-quality bin", "prompt UTMOS bin (low → high quality)", f"mean {axis_title(col)}")
    return fig


def whole_set(ctx: SuiteResults, info: dict, col: dict) -> Any | None:
    import plotly.graph_objects as go

    fig = go.Figure()
    for s in ctx.summaries:
        if ctx.self_compared(s["system"], info):
            continue
        vals = [(g["label"], g["columns"].get(col["name"], {}).get("value")) for g in s["groups"]]
        vals = [v for v in vals if v[1] is not None]
        if vals:
            fig.add_trace(
                go.Bar(x=[v[0] for v in vals], y=[v[1] for v in vals], name=s["system"], marker_color=ctx.colors[s["system"]])
            )
    if not fig.data:
        return None
    layout(fig, f"{col['name']} (whole-set metric) per language", "language", axis_title(col))
    fig.update_layout(barmode="group")
    return fig


def build_figures(ctx: SuiteResults) -> list[tuple[str, Any]]:
    """(heading, plotly figure) in page order."""
    figs: list[tuple[str, Any]] = []
    for info, col in ctx.headline("sample"):
        figs.append((f"Distribution of {col['name']} per system", distribution(ctx, info, col)))
        for heading, make in (
            (f"{col['name']} against ground truth", against_reference),
            (f"{col['name']} by prompt quality", by_prompt_bin),
        ):
            fig = make(ctx, info, col)
            if fig is not None:
                figs.append((heading, fig))
    for info, col in ctx.headline("corpus"):
        fig = whole_set(ctx, info, col)
        if fig is not None:
            figs.append((f"Whole-set metric {col['name']}", fig))
    return figs
