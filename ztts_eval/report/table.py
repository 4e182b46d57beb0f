"""The leaderboard as data: lines (system × metric) by language, laid out like Tables III/IV.

Order: reference (ground truth) first, then open, then closed systems; each measured system is
followed by its published row and a "Δ vs published" row when the report has it. Best and
second-best measured values per metric and language are marked (never the ground truth, which
is a ceiling, and never published rows, which come from a different harness).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ztts_eval.report.published import PublishedSystem, load_published, name_key
from ztts_eval.report.style import compares_with_itself

GROUP_ORDER = {"reference": 0, "open": 1, "closed": 2}


@dataclass
class Cell:
    text: str
    value: float | None = None
    ci: list[float] | None = None
    mark: str = ""  # "best" | "second" | ""


@dataclass
class Line:
    system: str
    group: str
    source: str  # measured | published | delta
    metric: str  # column name, or "ok / items"
    label: str  # what the Metric column shows
    higher_is_better: bool | None = None
    cells: dict[str, Cell] = field(default_factory=dict)
    citation: str = ""  # published lines: where the numbers come from


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _measured_cell(group: dict[str, Any] | None, column: str, field_: str, star: bool, reference: bool = False) -> Cell:
    if group is None:
        return Cell("")
    if group["n_unsupported"] + group["n_unavailable"] == group["n"]:
        return Cell("–")
    col = group["columns"].get(column)
    if col is None:
        return Cell("")
    if col.get("value") is None and (col.get("n_not_covered") or col.get("status") == "not_covered"):
        # ground truth without a same-speaker prompt (clean set): "–" as in the report's Table III
        return Cell("–" if reference else "n/c")
    value = col.get(field_)
    ci = col.get("ci95") if field_ == "value" else col.get("corpus_ci95")
    text = _fmt(value)
    return Cell(f"{text}*" if text and star else text, value, ci)


def group_of(summary: dict[str, Any]) -> str:
    """The adapter's declared group (reference, open, closed); never guessed from the name."""
    return summary.get("group") or "open"


def labels_of(summaries: list[dict[str, Any]]) -> list[str]:
    seen: list[str] = []
    for s in summaries:
        for g in s["groups"]:
            if g["label"] not in seen:
                seen.append(g["label"])
    return seen


def measured_lines(s: dict[str, Any], labels: list[str]) -> list[Line]:
    groups = {g["label"]: g for g in s["groups"]}
    system, grp = s["system"], group_of(s)
    ok = Line(system, grp, "measured", "ok / items", "ok / items")
    ok.cells = {l: Cell(f"{groups[l]['n_ok']}/{groups[l]['n']}" if l in groups else "") for l in labels}
    lines = [ok]
    for info in s["metrics"]:
        col = info["columns"][0]  # the headline column; the others stay in summary.json
        arrow = {True: "↑", False: "↓", None: ""}[col["higher_is_better"]]
        star = col["name"].startswith("sim") and not s["zero_shot_cloning"]
        label = " ".join(filter(None, [col["name"], arrow, f"[{info['scorer']}]"]))
        line = Line(system, grp, "measured", col["name"], label, col["higher_is_better"])
        line.cells = {l: _measured_cell(groups.get(l), col["name"], "value", star, grp == "reference") for l in labels}
        if compares_with_itself(s, info):  # ground truth against its own recordings: 100 or 0 by construction
            line.cells = {l: Cell("–") for l in labels}
        lines.append(line)
        if col["aggregation"] == "edits":
            corpus = Line(system, grp, "measured", f"{col['name']}_corpus", f"{col['name']} corpus ↓", False)
            corpus.cells = {l: _measured_cell(groups.get(l), col["name"], "corpus", False) for l in labels}
            lines.append(corpus)
            flagged = {l: groups[l]["columns"].get(col["name"], {}).get("n_flagged", 0) if l in groups else 0 for l in labels}
            if any(flagged.values()):  # runaways are kept out of the error rate: show how many
                lines.append(
                    Line(
                        system,
                        grp,
                        "measured",
                        f"{col['name']}_runaways",
                        f"{col['name']} runaways excluded",
                        cells={l: Cell(str(n)) for l, n in flagged.items()},
                    )
                )
    return lines


def published_lines(p: PublishedSystem, columns: list[str], labels: list[str]) -> list[Line]:
    lines = []
    for column in columns:
        if not any((column, l) in p.values for l in labels):
            continue
        star = column.startswith("sim") and p.no_zero_shot_cloning
        line = Line(p.name, p.group, "published", column, f"{column} (published)", not column.startswith("wer"))
        line.citation = p.citation
        for l in labels:
            v = p.values.get((column, l), "absent")
            line.cells[l] = Cell("") if v == "absent" else Cell("–") if v is None else Cell(_fmt(v) + ("*" if star else ""), v)
        lines.append(line)
    return lines


def delta_line(measured: Line, published: Line) -> Line:
    line = Line(measured.system, measured.group, "delta", measured.metric, f"{measured.metric} Δ vs published")
    for l, cell in measured.cells.items():
        pv = published.cells.get(l, Cell("")).value
        line.cells[l] = (
            Cell(f"{cell.value - pv:+.2f}", cell.value - pv) if cell.value is not None and pv is not None else Cell("")
        )
    return line


def mark_best(lines: list[Line], labels: list[str]) -> None:
    by_metric: dict[str, list[Line]] = {}
    for line in lines:
        if line.source == "measured" and line.group != "reference" and line.higher_is_better is not None:
            by_metric.setdefault(line.metric, []).append(line)
    for metric_lines in by_metric.values():
        better = metric_lines[0].higher_is_better
        for l in labels:
            ranked = sorted(
                (ln for ln in metric_lines if ln.cells[l].value is not None),
                key=lambda ln: ln.cells[l].value,
                reverse=bool(better),
            )
            if len(ranked) >= 2:
                ranked[0].cells[l].mark = "best"
                ranked[1].cells[l].mark = "second"


def build_lines(summaries: list[dict[str, Any]], suite: str, with_published: bool = True) -> tuple[list[str], list[Line]]:
    labels = labels_of(summaries)
    published = load_published(suite) if with_published else []
    columns = sorted({info["columns"][0]["name"] for s in summaries for info in s["metrics"]})
    used: set[str] = set()
    lines: list[Line] = []
    ordered = sorted(summaries, key=lambda s: (GROUP_ORDER.get(group_of(s), 9), s["system"]))
    for s in ordered:
        mine = measured_lines(s, labels)
        lines += mine
        match = next(
            (p for p in published if name_key(p.name) in {name_key(s["system"]), name_key(s.get("published_name") or "")}), None
        )
        if match is not None:
            used.add(match.name)
            pub = published_lines(match, columns, labels)
            lines += pub
            for pl in pub:
                ml = next((m for m in mine if m.metric == pl.metric), None)
                if ml is not None:
                    lines.append(delta_line(ml, pl))
    for p in published:
        if p.name not in used:
            lines += published_lines(p, columns, labels)
    lines.sort(key=lambda ln: GROUP_ORDER.get(ln.group, 9))  # stable: keeps the order within a group
    mark_best(lines, labels)
    return labels, lines
