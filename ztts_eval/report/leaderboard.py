"""Leaderboard output: terminal (rich), Markdown, wide CSV (the table) and long CSV (one value per
row, with its 95 % interval, mark and source) from the table model in report/table.py.

Cells: a value; "–" where the system does not support the language (or, for ground truth, where no
recording exists); "n/c" where the metric does not cover it; "*" marks similarity of systems that
cannot clone (not comparable). Best is bold, second-best underlined, among measured systems.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ztts_eval.pipeline.results import leaderboard_paths, load_speed, load_summaries
from ztts_eval.report import speed as speed_table
from ztts_eval.report.comparable import flag_incomparable
from ztts_eval.report.published import PROFILES_WITH_PUBLISHED
from ztts_eval.report.table import Line, build_lines

LEGEND = (
    "– not supported by the system (or ground truth scored against its own recordings) · n/c not covered by the metric · * system cannot clone (similarity "
    "not comparable) · **best** / <u>second</u> among measured systems"
)


def legend(lines: list[Line]) -> str:
    citations = list(dict.fromkeys(ln.citation for ln in lines if ln.source == "published"))
    return LEGEND + (f" · (published): {'; '.join(citations)}; Δ = measured − published" if citations else "")


MD_SPECIAL = "\\`*_[]|~"  # inline markup; a cell never starts a line, so # + - . need nothing


def md_escape(text: object) -> str:
    """Text shown literally in a Markdown table cell: no markup, no raw HTML, no row or column breaks.

    System names come from `--name` and suite manifests, so they are data, never markup."""
    out = "".join(f"\\{ch}" if ch in MD_SPECIAL else ch for ch in " ".join(str(text).split()))
    return out.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_markdown(labels: list[str], lines: list[Line], title: str) -> str:
    def cell(c) -> str:
        text = c.text.replace("|", "\\|")  # our own numbers and marks (–, n/c, *): no user text
        return f"**{text}**" if c.mark == "best" else f"<u>{text}</u>" if c.mark == "second" else text

    head = "| System | Metric | " + " | ".join(md_escape(l) for l in labels) + " |"
    out = [f"## {md_escape(title)}", "", head, "|---|---|" + "---|" * len(labels)]
    for ln in lines:
        out.append(f"| {md_escape(ln.system)} | {md_escape(ln.label)} | " + " | ".join(cell(ln.cells[l]) for l in labels) + " |")
    return "\n".join(out + ["", legend(lines), ""])


def to_csv(labels: list[str], lines: list[Line]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["System", "Metric", *labels])
    for ln in lines:
        w.writerow([ln.system, ln.label, *[ln.cells[l].text for l in labels]])
    return buf.getvalue()


def to_long_csv(labels: list[str], lines: list[Line]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["system", "group", "source", "metric", "language", "value", "ci_low", "ci_high", "mark", "text"])
    for ln in lines:
        for l in labels:
            c = ln.cells[l]
            lo, hi = c.ci if c.ci else ("", "")
            w.writerow([ln.system, ln.group, ln.source, ln.metric, l, "" if c.value is None else c.value, lo, hi, c.mark, c.text])
    return buf.getvalue()


def print_rich(labels: list[str], lines: list[Line], title: str) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table as RichTable

    rt = RichTable(
        title=title,
        caption=escape(legend(lines).replace("**best**", "best (bold)").replace("<u>second</u>", "second (underlined)")),
    )
    for i, h in enumerate(["System", "Metric", *labels]):
        rt.add_column(escape(h), justify="left" if i < 2 else "right", overflow="fold")
    previous = None
    for ln in lines:
        if previous is not None and ln.system != previous:
            rt.add_section()
        styles = {"best": "[bold]{}[/bold]", "second": "[underline]{}[/underline]", "": "{}"}
        rt.add_row(
            escape(ln.system), escape(ln.label), *[styles[ln.cells[l].mark].format(escape(ln.cells[l].text)) for l in labels]
        )
        previous = ln.system
    Console(width=max(120, 24 * (len(labels) + 2))).print(rt)


def print_speed(rows: list[list[str]], title: str) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table as RichTable

    rt = RichTable(title=title)
    for h in speed_table.HEADER:
        rt.add_column(escape(h), overflow="fold")
    for r in rows:
        rt.add_row(*[escape(c) for c in r])
    Console(width=200).print(rt)


def write_report(results_dir: Path, suite: str, profile: str, echo: bool = True) -> dict[str, Path]:
    summaries = load_summaries(results_dir, suite, profile)
    speed = speed_table.speed_rows(load_speed(results_dir, suite, profile))
    if not summaries and not speed:
        raise FileNotFoundError(f"no results for suite {suite!r}, profile {profile!r} under {results_dir}")
    paths = leaderboard_paths(results_dir, suite, profile)
    text = ""
    if summaries:
        warnings = flag_incomparable(summaries)  # other manifest or a --limit subset: marked †, named below
        labels, lines = build_lines(summaries, suite, with_published=profile in PROFILES_WITH_PUBLISHED)
        title = f"ztts-eval leaderboard — suite {suite}, profile {profile}"
        notes = "".join(f"† {w}\n" for w in warnings)
        text = to_markdown(labels, lines, title) + ("\n" + notes if notes else "")
        paths["csv"].write_text(to_csv(labels, lines), encoding="utf-8")
        paths["csv_long"].write_text(to_long_csv(labels, lines), encoding="utf-8")
        if echo:
            print_rich(labels, lines, title)
            for w in warnings:
                print(f"† {w}")
    else:
        del paths["csv"], paths["csv_long"]
    if speed:  # speed results (`ztts-eval speed`): one line per system × load setting
        speed_title = f"Real-time serving — suite {suite}, quality profile {profile}"
        text += ("\n" if text else "") + speed_table.to_markdown(speed, speed_title)
        paths["csv_speed"].write_text(speed_table.to_csv(speed), encoding="utf-8")
        if echo:
            print_speed(speed, speed_title)
    else:
        del paths["csv_speed"]
    paths["markdown"].write_text(text, encoding="utf-8")
    return paths
