"""One look for every plot: a fixed colour per system, axis titles with units and direction.

A system keeps its colour in every figure of a report (and in the listening-test results), so a
reader can follow one system across plots. Ground truth is always grey, and guide lines (y = x)
are drawn in a neutral dashed grey that no system uses.
"""

from __future__ import annotations

from typing import Any

from ztts_eval.pipeline.results import is_reference

# Okabe–Ito (colour-blind safe) first, then Plotly's D3 set for larger comparisons.
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#D55E00",
    "#56B4E9",
    "#8C564B",
    "#F0E442",
    "#9467BD",
    "#17BECF",
    "#BCBD22",
    "#E377C2",
)
REFERENCE_COLOR = "#555555"
GUIDE_COLOR = "#9a9a9a"  # y = x and other guides: never a system colour


def system_colors(summaries: list[dict[str, Any]]) -> dict[str, str]:
    """Colour per system in report order: ground truth grey, the others through the palette."""
    colors: dict[str, str] = {}
    others = 0
    for s in summaries:
        if is_reference(s):
            colors[s["system"]] = REFERENCE_COLOR
        else:
            colors[s["system"]] = PALETTE[others % len(PALETTE)]
            others += 1
    return colors


def direction(column: dict[str, Any]) -> str:
    return {True: "↑ higher is better", False: "↓ lower is better", None: ""}[column.get("higher_is_better")]


def axis_title(column: dict[str, Any]) -> str:
    """E.g. 'wer (%) ↓ lower is better': the name, its unit, and which way is better."""
    unit = f" ({column['unit']})" if column.get("unit") else ""
    return " ".join(filter(None, [f"{column['name']}{unit}", direction(column)]))


def compares_with_itself(summary: dict[str, Any], info: dict[str, Any]) -> bool:
    """Ground truth scored against its own recordings (a reference-set distance, a pitch score):
    100 or 0 by construction, so it is shown as '–', never as a result."""
    return is_reference(summary) and any(i in ("reference", "reference_set") for i in info.get("inputs", ()))


def layout(fig: Any, title: str, x_title: str, y_title: str) -> None:
    fig.update_layout(
        title=title,
        template="plotly_white",
        xaxis_title=x_title,
        yaxis_title=y_title,
        legend_title_text="system",
        margin={"l": 60, "r": 20, "t": 60, "b": 50},
    )
