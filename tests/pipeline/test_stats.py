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
