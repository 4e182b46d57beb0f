"""TTSDS2 distances and score formula, noise sets: hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from ztts_eval.metrics.ttsds.noise_sets import KINDS, N_CLIPS, noise_clip, write_noise_sets
from ztts_eval.metrics.ttsds.score import factor, frechet, gaussian, score_sets, ttsds_score, wasserstein2


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


# ---- subsample=upstream: ttsds 2.1.3's own wasserstein_distance, from its wheel ------------------


@pytest.fixture(scope="module")
def upstream(tmp_path_factory):
    from tests.fakes.reference_wheels import wheel_module

    return wheel_module(tmp_path_factory.mktemp("ttsds"), "ttsds", "2.1.3", "ttsds/util/distances.py")


@pytest.mark.parametrize("sizes", [(5, 5), (4, 20), (20, 4), (13, 100), (99, 100), (1, 7)])
def test_w2_upstream_equals_ttsds_reference(upstream, sizes):
    rng = np.random.default_rng(sum(sizes))
    x, y = rng.normal(200, 40, sizes[0]), rng.normal(180, 30, sizes[1])
    ref = upstream.wasserstein_distance(x.copy(), y.copy())
    assert wasserstein2(x, y, subsample="upstream") == ref  # exact: same draw, same arithmetic
    assert wasserstein2(list(x), list(y), subsample="upstream") == ref
    np.random.seed(123)  # the reference reseeds the global state per call; ours never reads it
    assert wasserstein2(x, y, subsample="upstream") == upstream.wasserstein_distance(x.copy(), y.copy())


def test_upstream_subsample_keeps_the_larger_sets_order(upstream):
    """The draw indexes the larger array as given: reordering it changes which values are kept."""
    y = np.arange(30, dtype=np.float64) ** 1.5
    x = np.array([1.0, 50.0, 100.0])
    forward = wasserstein2(x, y, subsample="upstream")
    backward = wasserstein2(x, y[::-1], subsample="upstream")
    assert forward == upstream.wasserstein_distance(x, y) and backward == upstream.wasserstein_distance(x, y[::-1].copy())
    assert forward != backward


def test_upstream_and_average_modes_differ_and_score_follows(upstream):
    rng = np.random.default_rng(7)
    system, real = rng.normal(210, 50, 12), rng.normal(190, 35, 40)
    noises = {"noise_ones": rng.normal(500, 5, 20), "noise_zeros": np.zeros(20)}
    per_set = {"system": system, "real": real, **noises}
    avg, _ = score_sets(per_set, kind="1d")
    up, details = score_sets(per_set, kind="1d", subsample="upstream")
    w_real = upstream.wasserstein_distance(system, real)
    w_noise = min(upstream.wasserstein_distance(system, n) for n in noises.values())
    assert details["w_real"] == w_real and details["w_noise"] == w_noise
    assert up == pytest.approx(100 * w_noise / (w_real + w_noise), rel=1e-15)
    assert abs(up - avg) > 1e-6  # a real choice, not a relabelling
    with pytest.raises(ValueError, match="subsample"):
        wasserstein2([1.0], [2.0, 3.0], subsample="first")


def test_prosody_metric_passes_subsample_through(upstream):
    from ztts_eval.metrics.ttsds.ttsds_prosody import TtsdsProsody

    rng = np.random.default_rng(3)
    sets = {"system": rng.normal(200, 30, 9), "real": rng.normal(190, 30, 16), "noise_zeros": np.zeros(20)}
    feats = {k: [{"pitch": float(v)} for v in vals] for k, vals in sets.items()}
    metric = TtsdsProsody(features="pitch", subsample="upstream")
    out = metric.compute(feats["system"], feats["real"], [], noise={"zeros": feats["noise_zeros"]})
    assert out["details"]["pitch"]["w_real"] == upstream.wasserstein_distance(sets["system"], sets["real"])
    assert (
        TtsdsProsody(features="pitch").compute(feats["system"], feats["real"], [], noise={"zeros": feats["noise_zeros"]})[
            "details"
        ]["pitch"]["w_real"]
        != out["details"]["pitch"]["w_real"]
    )
    assert metric.params["subsample"] == "upstream"  # params enter the fingerprint
    with pytest.raises(ValueError, match="ttsds_prosody.subsample"):
        TtsdsProsody(subsample="mean")
