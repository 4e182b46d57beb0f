"""Aggregation: corpus vs per-utterance error, not-covered and errors never averaged as zeros."""

import pytest

from ztts_eval.metrics.base import Column, MetricInfo
from ztts_eval.pipeline.aggregate import column_summary, group_label, summarize


def row(lang, status="ok", **scores):
    return {"subset": "s", "language": lang, "status": status, "flags": [], "scores": scores}


def w(S, D, I, N):
    return {"status": "ok", "w": 100.0 * (S + D + I) / N, "S": S, "D": D, "I": I, "N": N}


def test_corpus_and_mean_differ_as_hand_computed():
    rows = [row("en", m=w(1, 0, 0, 2)), row("en", m=w(0, 1, 0, 10)), row("en", m=w(3, 0, 0, 4))]
    s = column_summary(rows, "m", "w", "edits")
    # per-utterance: 50, 10, 75 -> mean 45 ; corpus: 5 errors / 16 words = 31.25
    assert s["value"] == pytest.approx(45.0)
    assert s["corpus"] == pytest.approx(31.25)
    assert s["over50"] == 1
    assert s["value_below50"] == pytest.approx(30.0)


def test_not_covered_and_errors_are_counted_not_averaged():
    rows = [
        row("de", m={"status": "not_covered"}),
        row("de", m={"status": "error", "error": "x"}),
        row("de", m={"status": "ok", "v": 2.0}),
    ]
    s = column_summary(rows, "m", "v", "mean")
    assert {k: s[k] for k in ("n", "n_not_covered", "n_error", "value")} == {
        "n": 1,
        "n_not_covered": 1,
        "n_error": 1,
        "value": 2.0,
    }
    assert s["ci95"] is None and s["seed_spread"] is None  # one value: no interval, one seed: no spread


def test_summarize_groups_and_counts_generation_statuses():
    info = MetricInfo("m", "1", "sample", (Column("v", True),), ("audio",), "x", "lite", "lite")
    rows = [row("en", m={"status": "ok", "v": 1.0}), row("en", status="failed"), row("fr", status="unsupported")]
    out = {g["language"]: g for g in summarize(rows, [info])}
    assert out["en"]["n"] == 2 and out["en"]["n_failed"] == 1 and out["en"]["columns"]["v"]["value"] == 1.0
    assert out["fr"]["n_unsupported"] == 1 and out["fr"]["columns"]["v"]["value"] is None


def test_group_label_uses_hard_subsets():
    assert group_label("hard_en", "en") == "hard_en"
    assert group_label("clean", "en") == "en"


def test_cells_carry_bootstrap_interval_and_seed_spread():
    rows = []
    for seed, values in ((0, [10.0, 20.0, 30.0]), (1, [12.0, 22.0, 38.0])):
        for v in values:
            r = row("en", m={"status": "ok", "v": v})
            r["seed"] = seed
            rows.append(r)
    s = column_summary(rows, "m", "v", "mean")
    lo, hi = s["ci95"]
    assert lo < s["value"] < hi and 10.0 <= lo and hi <= 38.0
    assert s["seed_spread"]["n_seeds"] == 2 and s["seed_spread"]["min"] == pytest.approx(20.0)
    assert s["seed_spread"]["max"] == pytest.approx(24.0)


def test_whole_set_feature_errors_reach_the_summary():
    info = MetricInfo("d", "1", "corpus", (Column("w", False),), ("audio", "reference_set"), "x", "lite", "lite")
    rows = [row("en"), row("en")]
    corpus = {
        "d": {("s", "en"): {"status": "ok", "w": 3.0, "n_system": 1, "n_reference": 4, "errors": ["sys:a#0: no voiced frames"]}}
    }
    col = summarize(rows, [info], corpus)[0]["columns"]["w"]
    assert col["value"] == 3.0 and col["n_error"] == 1 and "no voiced frames" in col["errors"][0]
