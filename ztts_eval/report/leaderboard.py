"""Leaderboard: systems × metrics per language, laid out like the report's Tables III/IV.

Rows are (system, metric), ground truth first; columns are languages (or hard_* subsets). The
scoring model is named in each metric's label, so a lite number is never mistaken for a ZTTS1 one.
Cells: a value; "–" where the system does not support the language (or, for ground truth, where
no recording exists); "n/c" where the metric does
not cover it; "*" marks similarity of systems that cannot clone (not comparable).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

GROUND_TRUTH = "ground-truth"


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]


def load_summaries(results_dir: Path, suite: str, profile: str) -> list[dict[str, Any]]:
    paths = sorted(Path(results_dir, suite).glob(f"*/{profile}/summary.json"))
    summaries = [json.loads(p.read_text()) for p in paths]
    return sorted(summaries, key=lambda s: (s["system"] != GROUND_TRUTH, s["system"]))


def _labels(summaries: list[dict[str, Any]]) -> list[str]:
    seen: list[str] = []
    for s in summaries:
        for g in s["groups"]:
            if g["label"] not in seen:
                seen.append(g["label"])
    return seen


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _cell(group: dict[str, Any] | None, column: str, field: str, star: bool) -> str:
    if group is None:
        return ""
    if group["n_unsupported"] + group["n_unavailable"] == group["n"]:
        return "–"
    col = group["columns"].get(column)
    if col is None:
        return ""
    if col.get("value") is None and (col.get("n_not_covered") or col.get("status") == "not_covered"):
        return "n/c"
    text = _fmt(col.get(field))
    return f"{text}*" if text and star else text


def build_table(summaries: list[dict[str, Any]]) -> Table:
    labels = _labels(summaries)
    header = ["System", "Metric", *labels]
    rows = []
    for s in summaries:
        groups = {g["label"]: g for g in s["groups"]}
        rows.append([s["system"], "ok / items", *[f"{groups[l]['n_ok']}/{groups[l]['n']}" if l in groups else "" for l in labels]])
        for info in s["metrics"]:
            for col in info["columns"][:1]:  # the headline column; the rest stay in summary.json
                arrow = {True: "↑", False: "↓", None: ""}[col["higher_is_better"]]
                star = "sim" in col["name"] and not s["zero_shot_cloning"]
                label = " ".join(filter(None, [col["name"], arrow, f"[{info['scorer']}]"]))
                rows.append([s["system"], label, *[_cell(groups.get(l), col["name"], "value", star) for l in labels]])
                if col["aggregation"] == "edits":
                    rows.append([s["system"], f"{col['name']} corpus ↓", *[_cell(groups.get(l), col["name"], "corpus", False) for l in labels]])
                    flagged = [groups[l]["columns"].get(col["name"], {}).get("n_flagged", 0) if l in groups else 0 for l in labels]
                    if any(flagged):  # runaways are kept out of the error rate: show how many
                        rows.append([s["system"], f"{col['name']} runaways excluded", *[str(n) for n in flagged]])
    return Table(header, rows)


def to_markdown(table: Table, title: str) -> str:
    lines = [f"## {title}", "", "| " + " | ".join(table.header) + " |", "|" + "---|" * len(table.header)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in table.rows]
    lines += ["", "– not supported by the system · n/c not covered by the metric · * system cannot clone (similarity not comparable)", ""]
    return "\n".join(lines)


def to_csv(table: Table) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(table.header)
    writer.writerows(table.rows)
    return buf.getvalue()


def print_rich(table: Table, title: str) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table as RichTable

    rt = RichTable(title=title, show_lines=False)
    for i, h in enumerate(table.header):
        rt.add_column(escape(h), justify="left" if i < 2 else "right", overflow="fold")
    previous = None
    for row in table.rows:
        if previous is not None and row[0] != previous:
            rt.add_section()
        rt.add_row(*(escape(cell) for cell in row))
        previous = row[0]
    Console(width=max(120, 30 * len(table.header))).print(rt)


def write_report(results_dir: Path, suite: str, profile: str, echo: bool = True) -> dict[str, Path]:
    summaries = load_summaries(results_dir, suite, profile)
    if not summaries:
        raise FileNotFoundError(f"no results for suite {suite!r}, profile {profile!r} under {results_dir}")
    table = build_table(summaries)
    title = f"ztts-eval leaderboard — suite {suite}, profile {profile}"
    out = Path(results_dir, suite)
    paths = {"markdown": out / f"leaderboard-{profile}.md", "csv": out / f"leaderboard-{profile}.csv"}
    paths["markdown"].write_text(to_markdown(table, title), encoding="utf-8")
    paths["csv"].write_text(to_csv(table), encoding="utf-8")
    if echo:
        print_rich(table, title)
    return paths
