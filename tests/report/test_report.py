"""Leaderboard tables (layout, marks, stars, published rows and deltas) and the HTML report."""

from __future__ import annotations

import csv

import pytest

from tests.fakes.cli import run_cli
from tests.fakes.synthetic_results import make_rows, write_run
from ztts_eval.report.leaderboard import load_summaries, to_markdown
from ztts_eval.report.table import build_lines

LANGS = {"en": (4.0, 65.0, 3.6), "zh": (3.0, 70.0, 3.3)}


@pytest.fixture
def results(tmp_path):
    suite = "ztts1-clean"
    write_run(
        tmp_path,
        suite,
        "ground-truth",
        make_rows("ground-truth", {"en": (3.0, 80.0, 3.7), "zh": (2.5, 80.0, 3.3)}),
        group="reference",
    )
    write_run(tmp_path, suite, "zonos2-8b", make_rows("zonos2-8b", {"en": (2.0, 68.0, 3.9), "zh": (2.0, 72.0, 3.5)}, seed=1))
    write_run(tmp_path, suite, "alpha", make_rows("alpha", {"en": (6.0, 60.0, 3.0), "zh": (8.0, 55.0, 3.0)}, seed=2))
    write_run(
        tmp_path,
        suite,
        "api-voice",
        make_rows("api-voice", {"en": (4.0, 40.0, 3.5), "zh": (4.0, 40.0, 3.4)}, seed=3),
        cloning=False,
        group="closed",
    )
    return tmp_path


def _line(lines, system, metric, source="measured"):
    return next(l for l in lines if l.system == system and l.metric == metric and l.source == source)


def test_layout_groups_marks_and_stars(results):
    labels, lines = build_lines(load_summaries(results, "ztts1-clean", "ztts1"), "ztts1-clean", with_published=False)
    assert labels == ["en", "zh"]
    order = [l.system for l in lines if l.metric == "ok / items"]
    assert order == ["ground-truth", "alpha", "zonos2-8b", "api-voice"]  # reference, open (by name), closed
    wer_best = _line(lines, "zonos2-8b", "wer").cells["en"]
    assert wer_best.mark == "best" and wer_best.ci and wer_best.ci[0] < wer_best.value < wer_best.ci[1]
    assert _line(lines, "api-voice", "wer").cells["en"].mark == "second"
    assert _line(lines, "ground-truth", "wer").cells["en"].mark == ""  # the ceiling is never ranked
    assert _line(lines, "zonos2-8b", "sim").cells["en"].mark == "best"
    assert _line(lines, "api-voice", "sim").cells["en"].text.endswith("*")  # cannot clone
    assert "[Qwen3-ASR-1.7B]" in _line(lines, "alpha", "wer").label  # scorer named


def test_published_rows_and_deltas_for_ztts1_suites(results):
    labels, lines = build_lines(load_summaries(results, "ztts1-clean", "ztts1"), "ztts1-clean")
    pub = _line(lines, "ZONOS2 8B", "wer", "published")
    assert pub.cells["en"].value == pytest.approx(2.76)  # Table III, ZONOS2 8B, en (ztts_eval/data/published CSV)
    measured = _line(lines, "zonos2-8b", "wer")
    delta = _line(lines, "zonos2-8b", "wer", "delta")
    assert delta.cells["en"].value == pytest.approx(measured.cells["en"].value - 2.76)
    gt_pub = _line(lines, "Ground truth", "sim", "published")
    assert gt_pub.cells["en"].text == "–"  # the report leaves clean ground-truth similarity empty
    assert any(l.system == "Eleven Labs V3" and l.source == "published" for l in lines)  # unmatched systems too
    assert all(c.mark == "" for l in lines if l.source != "measured" for c in l.cells.values())
    md = to_markdown(labels, lines, "t")
    assert "arXiv:2606.24320" in md and "wer (published)" in md and "**" in md and "<u>" in md


def test_no_published_rows_outside_ztts1_or_for_lite(results):
    _, lines = build_lines(load_summaries(results, "ztts1-clean", "ztts1"), "demo")
    assert not [l for l in lines if l.source != "measured"]


def test_report_cli_writes_markdown_and_both_csvs(results):
    run_cli("report", "--suite", "ztts1-clean", "--profile", "ztts1", "--results", str(results))
    wide = list(csv.reader((results / "ztts1-clean" / "leaderboard-ztts1.csv").open()))
    assert wide[0] == ["System", "Metric", "en", "zh"] and wide[1][0] == "ground-truth"
    long = list(csv.DictReader((results / "ztts1-clean" / "leaderboard-ztts1-long.csv").open()))
    best = [r for r in long if r["mark"] == "best" and r["metric"] == "wer" and r["language"] == "en"]
    assert len(best) == 1 and best[0]["system"] == "zonos2-8b" and float(best[0]["ci_low"]) < float(best[0]["value"])


def test_html_escapes_result_text(results, tmp_path):
    import json

    from ztts_eval.report.html import write_html

    for path in (results / "ztts1-clean").glob("*/ztts1/samples.jsonl"):  # one item's text, as every run has it
        rows = [json.loads(l) for l in path.read_text().splitlines()]
        rows[0]["text"] = "<script>alert('x')</script>"
        rows[0]["scores"]["wer"]["hyp_raw"] = "<img src=x onerror=alert(1)>"
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    page = write_html(results, "ztts1-clean", "ztts1").read_text()
    assert "<script>alert" not in page and "<img src=x" not in page
    # the drill-down's JSON block: no '<' survives, so no result text can close the tag
    assert "\\u003cscript\\u003ealert('x')\\u003c/script\\u003e" in page
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in page
    assert "cdn.plot.ly" not in page.split("<body>")[1]  # plotly is embedded, not fetched
