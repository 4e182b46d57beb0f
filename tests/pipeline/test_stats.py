"""Bootstrap intervals: shrink with n, cover the true mean at about the nominal rate; paired deltas."""

import numpy as np
import pytest

from ztts_eval.pipeline.stats import bootstrap_mean_ci, bootstrap_ratio_ci, paired_bootstrap, seed_spread


def test_interval_shrinks_with_n():
    rng = np.random.default_rng(1)
    widths = []
    for n in (20, 80, 320):
        x = rng.normal(5.0, 2.0, size=n)
        lo, hi = bootstrap_mean_ci(x, seed=0)
        widths.append(hi - lo)
        standard_error = x.std(ddof=1) / np.sqrt(n)
        assert 3.2 < (hi - lo) / standard_error < 4.3  # ≈ 2 × 1.96 standard errors
    assert widths[0] > widths[1] > widths[2]


def test_interval_covers_true_mean_at_nominal_rate():
    rng = np.random.default_rng(7)
    hits = 0
    trials = 200
    for t in range(trials):
        lo, hi = bootstrap_mean_ci(rng.exponential(3.0, size=60), seed=t, n_boot=1000)
        hits += lo <= 3.0 <= hi
    assert 0.88 <= hits / trials <= 0.99


def test_seeded_and_deterministic():
    x = np.arange(30.0)
    assert bootstrap_mean_ci(x, seed=3) == bootstrap_mean_ci(x, seed=3)
    assert bootstrap_mean_ci([1.0]) is None


def test_ratio_interval_contains_corpus_ratio():
    errors, words = [1, 0, 3, 2, 0, 1], [10, 8, 12, 9, 11, 10]
    lo, hi = bootstrap_ratio_ci(errors, words, seed=0)
    assert lo <= sum(errors) / sum(words) <= hi


def test_paired_bootstrap_detects_a_consistent_shift_that_unpaired_noise_hides():
    rng = np.random.default_rng(0)
    difficulty = rng.normal(20, 10, size=100)  # per-item difficulty, shared by both systems
    a = difficulty + rng.normal(0, 0.5, size=100)
    b = difficulty + 1.0 + rng.normal(0, 0.5, size=100)
    res = paired_bootstrap(a, b, seed=0)
    assert res["delta"] == pytest.approx(1.0, abs=0.2)
    assert res["lo"] > 0 and res["p_candidate_higher"] > 0.99
    lo_a, hi_a = bootstrap_mean_ci(a)
    lo_b, hi_b = bootstrap_mean_ci(b)
    assert lo_b < hi_a  # unpaired intervals overlap: the paired test is what sees the shift
    with pytest.raises(ValueError):
        paired_bootstrap([1.0], [1.0, 2.0])


def test_seed_spread():
    assert seed_spread({0: 1.0}) is None
    s = seed_spread({0: 1.0, 1: 3.0})
    assert s["mean"] == 2.0 and s["std"] == pytest.approx(np.sqrt(2)) and (s["min"], s["max"]) == (1.0, 3.0)


def _one_matrix_interval(values, seed=0, n_boot=2000):
    """The definition: one (n_boot, n) index matrix, row means, percentile interval."""
    x = np.asarray(values, dtype=np.float64)
    means = x[np.random.default_rng(seed).integers(0, x.size, size=(n_boot, x.size))].mean(axis=1)
    tail = (1 - 0.95) / 2  # as the module computes it (0.025000000000000022)
    return float(np.quantile(means, tail)), float(np.quantile(means, 1 - tail))


def test_blockwise_draws_equal_one_matrix_draw(monkeypatch):
    import ztts_eval.pipeline.stats as stats

    rng = np.random.default_rng(5)
    for n in (2, 3, 101, 777):
        x = rng.exponential(2.0, n)
        expected = _one_matrix_interval(x, seed=4)
        for cells in (4_000_000, 1001, 5):  # whole matrix, odd-sized blocks, one row per block
            monkeypatch.setattr(stats, "_BLOCK_CELLS", cells)
            assert bootstrap_mean_ci(x, seed=4) == expected


def test_a_group_draws_indices_once_per_length_and_matches_column_by_column(monkeypatch):
    import ztts_eval.pipeline.stats as stats
    from ztts_eval.metrics.base import Column, MetricInfo
    from ztts_eval.pipeline.aggregate import summarize

    draws = []
    real = stats._index_blocks

    def counting(n, n_boot, seed):
        draws.append(n)
        yield from real(n, n_boot, seed)

    rng = np.random.default_rng(9)
    rows = []
    for i in range(40):
        n_words = int(rng.integers(3, 12))
        errors = int(rng.integers(0, 3))
        scores = {
            "wer": {"status": "ok", "wer": 100.0 * errors / n_words, "S": errors, "D": 0, "I": 0, "N": n_words},
            "q": {"status": "ok", "a": float(rng.normal()), "b": float(rng.normal())},
        }
        if i % 4 == 0:  # column "c" covers fewer items: another length, another draw
            scores["r"] = {"status": "ok", "c": float(rng.normal())}
        rows.append({"subset": "s", "language": "en", "status": "ok", "flags": [], "seed": 0, "scores": scores})
    infos = [
        MetricInfo("wer", "1", "sample", (Column("wer", False, aggregation="edits"),), ("audio",), "x", "lite", "lite"),
        MetricInfo("q", "1", "sample", (Column("a", True), Column("b", True)), ("audio",), "x", "lite", "lite"),
        MetricInfo("r", "1", "sample", (Column("c", True),), ("audio",), "x", "lite", "lite"),
    ]
    monkeypatch.setattr(stats, "_index_blocks", counting)
    (group,) = summarize(rows, infos)
    assert sorted(draws) == [10, 40]  # four jobs of 40 items share one draw; "c" has its own
    cols = group["columns"]
    assert cols["a"]["ci95"] == _one_matrix_interval([r["scores"]["q"]["a"] for r in rows])
    assert cols["c"]["ci95"] == _one_matrix_interval([r["scores"]["r"]["c"] for r in rows if "r" in r["scores"]])
    ratio = bootstrap_ratio_ci([r["scores"]["wer"]["S"] for r in rows], [r["scores"]["wer"]["N"] for r in rows])
    assert cols["wer"]["corpus_ci95"] == [100.0 * ratio[0], 100.0 * ratio[1]]
