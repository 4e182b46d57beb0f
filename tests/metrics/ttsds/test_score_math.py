"""TTSDS2 distances and score formula, noise sets: hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from ztts_eval.metrics.ttsds.noise_sets import KINDS, N_CLIPS, noise_clip, write_noise_sets
from ztts_eval.metrics.ttsds.score import factor, frechet, gaussian, ttsds_score, wasserstein2


def test_w2_equal_sizes_is_rms_of_sorted_differences():
    assert wasserstein2([1.0, 3.0], [2.0, 6.0]) == pytest.approx(np.sqrt((1 + 9) / 2))
    assert wasserstein2([5.0, 1.0, 3.0], [1.0, 3.0, 5.0]) == 0.0


def test_w2_unequal_sizes_averages_seeded_draws():
    a = [0.0, 0.0]
    b = [0.0, 0.0, 10.0, 10.0]
    # each draw takes 2 of b: {0,0} (1/6), {0,10} (4/6) or {10,10} (1/6) -> W2 of 0, sqrt(50), 10
    value = wasserstein2(a, b, seed=0, draws=2000)
    expected = (4 / 6) * np.sqrt(50) + (1 / 6) * 10
    assert value == pytest.approx(expected, rel=0.05)
    assert wasserstein2(a, b, seed=3) == wasserstein2(a, b, seed=3)  # seeded: reproducible
    assert wasserstein2(a, b) == wasserstein2(b, a)  # the smaller set is always the anchor


def test_frechet_hand_computed_and_identity():
    mu1, mu2 = np.zeros(2), np.array([3.0, 4.0])
    s1 = np.eye(2)
    s2 = 4 * np.eye(2)
    # |mu|^2 = 25; tr(S1 + S2 - 2 sqrt(S1 S2)) = 2 + 8 - 2*(2+2) = 2
    assert frechet(mu1, s1, mu2, s2) == pytest.approx(27.0)
    frames = np.random.default_rng(0).normal(size=(200, 3))
    assert frechet(*gaussian(frames), *gaussian(frames)) == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError):
        gaussian(np.zeros((1, 3)))


def test_score_formula_uses_closest_sets():
    real = {"gt": [10.0, 11.0, 12.0], "far": [100.0, 101.0, 102.0]}
    noise = {"zeros": [0.0, 0.0, 0.0], "big": [1000.0, 1000.0, 1000.0]}
    res = ttsds_score([10.0, 11.0, 12.0], real, noise, kind="1d")
    assert res["score"] == 100.0 and res["w_real"] == 0.0  # identical to a real set -> 100
    assert res["closest_real"] == "gt" and res["closest_noise"] == "zeros"
    mid = ttsds_score([5.0, 5.5, 6.0], {"gt": [10.0, 11.0, 12.0]}, {"zeros": [0.0, 0.0, 0.0]}, kind="1d")
    w_real, w_noise = wasserstein2([5.0, 5.5, 6.0], [10.0, 11.0, 12.0]), wasserstein2([5.0, 5.5, 6.0], [0.0] * 3)
    assert mid["score"] == pytest.approx(100 * w_noise / (w_real + w_noise))
    noisy = ttsds_score([0.0, 0.0, 0.0], {"gt": [10.0, 11.0, 12.0]}, {"zeros": [0.0, 0.0, 0.0]}, kind="1d")
    assert noisy["score"] == 0.0
    with pytest.raises(ValueError):
        ttsds_score([1.0], {}, {"z": [0.0]}, kind="1d")
    assert factor([80.0, 60.0, None]) == 70.0


def test_degenerate_identical_everything_is_defined():
    res = ttsds_score([1.0, 1.0], {"r": [1.0, 1.0]}, {"n": [1.0, 1.0]}, kind="1d")
    assert res["score"] == 100.0  # both distances 0: treated as real-like, not NaN


def test_noise_sets_are_deterministic(tmp_path):
    a = write_noise_sets(tmp_path / "a")
    b = write_noise_sets(tmp_path / "b")
    assert list(a) == list(KINDS) and all(len(v) == N_CLIPS for v in a.values())
    assert all(pa.read_bytes() == pb.read_bytes() for k in KINDS for pa, pb in zip(a[k], b[k]))
    assert np.all(noise_clip("ones", 0) == 1.0) and np.all(noise_clip("zeros", 1) == 0.0)
    u = noise_clip("uniform", 2)
    assert -1.0 <= u.min() < -0.9 and 0.9 < u.max() <= 1.0
