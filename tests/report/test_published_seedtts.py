"""Published Seed-TTS-Eval rows beside measured seedtts-profile rows, with deltas for matched systems."""

from __future__ import annotations

import csv

import pytest

from ztts_eval.metrics.base import Column, MetricInfo
from ztts_eval.pipeline import results
from ztts_eval.pipeline.aggregate import summarize
from ztts_eval.pipeline.results import load_summaries
from ztts_eval.registry import PACKAGE_DATA
from ztts_eval.report.leaderboard import to_markdown
from ztts_eval.report.published import load_published
from ztts_eval.report.table import build_lines

SEED_METRICS = [
    MetricInfo(
        "wer_seedtts",
        "1",
        "sample",
        (Column("wer_seedtts", False, "edits", "%"),),
        ("audio", "text"),
        "Whisper/Paraformer",
        "asr",
        "seedtts",
    ),
    MetricInfo(
        "sim_wavlm",
        "1",
        "sample",
        (Column("sim_wavlm", True, "mean", "cos×100"),),
        ("audio", "prompt"),
        "WavLM",
        "speaker",
        "seedtts",
    ),
]


def rows_for(system: str, errors: int, sim: float) -> list[dict]:
    out = []
    for subset, lang in (("seedtts", "en"), ("seedtts", "zh"), ("hard_zh", "zh")):
        for i in range(4):
            out.append(
                {
                    "system": system,
                    "item_id": f"{subset}-{lang}-{i}",
                    "seed": 0,
                    "subset": subset,
                    "language": lang,
                    "text": "t",
                    "status": "ok",
                    "error": None,
                    "flags": [],
                    "audio_path": None,
                    "scores": {
                        "wer_seedtts": {
                            "status": "ok",
                            "wer_seedtts": 100.0 * errors / 50,
                            "S": errors,
                            "D": 0,
                            "I": 0,
                            "N": 50,
                            "unit": "word",
                        },
                        "sim_wavlm": {"status": "ok", "sim_wavlm": sim},
                    },
                }
            )
    return out


def write(root, system, rows, group="open", published_name=None, profile="seedtts"):
    paths = results.RunPaths(root, "seedtts-eval", system, profile)
    summary = {
        "system": system,
        "model": system,
        "suite": "seedtts-eval",
        "profile": profile,
        "zero_shot_cloning": True,
        "group": group,
        "published_name": published_name,
        "seeds": [0],
        "manifest_sha256": "0" * 64,
        "metrics": [m.to_json() for m in SEED_METRICS],
        "groups": summarize(rows, SEED_METRICS),
    }
    results.write_run(paths, rows, summary, None)


@pytest.fixture()
def seed_results(tmp_path):
    write(tmp_path, "ground-truth", rows_for("ground-truth", 1, 74.0), group="reference")
    write(tmp_path, "my-cosyvoice", rows_for("my-cosyvoice", 2, 70.0), published_name="CosyVoice2")
    return tmp_path


def test_every_shipped_row_has_a_source():
    with open(PACKAGE_DATA / "published" / "seedtts_eval.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert rows and all(r["source"].strip() and " @ " in r["source"] for r in rows)
    assert {r["metric"] for r in rows} == {"wer", "sim"} and {r["language"] for r in rows} == {"en", "zh", "hard_zh"}
    seed = {(r["metric"], r["language"]): float(r["value"]) for r in rows if r["system"] == "Seed-TTS"}
    assert seed == {
        ("wer", "zh"): 1.12,
        ("sim", "zh"): 79.6,
        ("wer", "en"): 2.25,
        ("sim", "en"): 76.2,
        ("wer", "hard_zh"): 7.59,
        ("sim", "hard_zh"): 77.6,
    }


def test_seedtts_rows_map_only_onto_seed_compatible_columns():
    systems = {p.name: p for p in load_published("seedtts-eval")}
    assert systems["CosyVoice2"].values[("wer_seedtts", "hard_zh")] == 6.83
    assert systems["CosyVoice2"].values[("sim_wavlm", "en")] == 65.9
    assert all(col in ("wer_seedtts", "sim_wavlm") for p in systems.values() for col, _ in p.values)
    assert ("sim_wavlm", "en") not in systems["Qwen3-TTS-12Hz-1.7B-Base"].values  # WER-only source: no invented SIM
    assert not [p for p in load_published("ztts1-clean") if any(c == "wer_seedtts" for c, _ in p.values)]


def test_table_shows_published_rows_and_deltas(seed_results):
    labels, lines = build_lines(load_summaries(seed_results, "seedtts-eval", "seedtts"), "seedtts-eval")
    assert labels == ["en", "zh", "hard_zh"]
    pub = next(l for l in lines if l.system == "CosyVoice2" and l.source == "published" and l.metric == "wer_seedtts")
    assert pub.cells["en"].value == 2.57 and pub.cells["hard_zh"].value == 6.83
    delta = next(l for l in lines if l.system == "my-cosyvoice" and l.source == "delta" and l.metric == "wer_seedtts")
    assert delta.cells["en"].value == pytest.approx(4.0 - 2.57)
    gt_delta = next(l for l in lines if l.system == "ground-truth" and l.source == "delta" and l.metric == "sim_wavlm")
    assert gt_delta.cells["zh"].value == pytest.approx(74.0 - 75.5) and gt_delta.cells["hard_zh"].text == ""
    md = to_markdown(labels, lines, "t")
    assert "seedtts_eval.csv" in md and "arXiv:2606.24320" not in md and "Seed-TTS" in md


def test_lite_profile_never_gets_published_rows(seed_results):
    from ztts_eval.report.leaderboard import write_report

    assert "CosyVoice2" in write_report(seed_results, "seedtts-eval", "seedtts", echo=False)["markdown"].read_text()
    write(seed_results, "my-cosyvoice", rows_for("my-cosyvoice", 2, 70.0), published_name="CosyVoice2", profile="lite")
    lite = write_report(seed_results, "seedtts-eval", "lite", echo=False)["markdown"].read_text()
    assert "my-cosyvoice" in lite and "CosyVoice2" not in lite and "(published)" not in lite
