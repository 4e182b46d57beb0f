"""The README's demo, for real: three systems on the demo suite with the lite profile."""

from __future__ import annotations

import csv
import json

import pytest

from tests.fakes.cli import run_cli

pytestmark = pytest.mark.slow


def test_demo_leaderboard_end_to_end(tmp_path):
    for model in ("ground-truth", "espeak-ng", "flite"):
        run_cli("run", "--model", model, "--suite", "demo", "--results", str(tmp_path), "--no-report")
    proc = run_cli("report", "--suite", "demo", "--results", str(tmp_path))
    assert "ground-truth" in proc.stdout and "espeak-ng" in proc.stdout

    rows = list(csv.reader((tmp_path / "demo" / "leaderboard-lite.csv").open()))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["System", "Metric", "en"] and {"de", "fr", "zh"} <= set(header)
    assert body[0][0] == "ground-truth"  # ceiling row first
    assert [r[0] for r in body].index("espeak-ng") < [r[0] for r in body].index("flite")

    def cell(system, metric_prefix, lang):
        for r in body:
            if r[0] == system and r[1].startswith(metric_prefix):
                return r[header.index(lang)]
        raise KeyError((system, metric_prefix))

    gt_wer, espeak_wer = (
        float(cell("ground-truth", "wer_pocketsphinx ↓", "en")),
        float(cell("espeak-ng", "wer_pocketsphinx ↓", "en")),
    )
    assert gt_wer < espeak_wer - 25, (gt_wer, espeak_wer)
    assert cell("espeak-ng", "wer_pocketsphinx ↓", "de") == "n/c"  # not covered, not 0
    assert cell("flite", "wer_pocketsphinx ↓", "de") == "–"  # flite is English-only
    assert cell("espeak-ng", "sim_resemblyzer", "en").endswith("*")  # no cloning: starred
    for system in ("ground-truth", "espeak-ng", "flite"):
        assert 1.0 <= float(cell(system, "dnsmos_ovrl", "en")) <= 5.0

    gt = json.loads((tmp_path / "demo" / "ground-truth" / "lite" / "summary.json").read_text())
    en = next(g for g in gt["groups"] if g["language"] == "en")
    assert en["n_ok"] == 4 and en["n_unavailable"] == 4  # items without a recording are counted
    assert en["columns"]["sim_resemblyzer"]["value"] > 70  # prompt vs same-speaker recording
    md = (tmp_path / "demo" / "leaderboard-lite.md").read_text()
    assert "| ground-truth |" in md and "pocketsphinx" in md
