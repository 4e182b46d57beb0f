"""Uncertainty for leaderboard cells and comparisons. Pure numpy, seeded, so reruns give the same intervals.

A WER delta of 0.2 points on 100 utterances is usually noise (docs/decisions.md §13); every cell carries a
bootstrap 95 % interval, and two systems are compared on the items they share with a paired
bootstrap, which cancels the per-item difficulty both systems face.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

N_BOOT = 2000


def _resample_indices(n: int, n_boot: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, n, size=(n_boot, n))


def bootstrap_mean_ci(
    values: Sequence[float], *, seed: int = 0, n_boot: int = N_BOOT, level: float = 0.95
) -> tuple[float, float] | None:
    """Percentile interval of the mean; None for fewer than two values."""
    x = np.asarray(values, dtype=np.float64)
    if x.size < 2:
        return None
    means = x[_resample_indices(x.size, n_boot, seed)].mean(axis=1)
    tail = (1 - level) / 2
    return float(np.quantile(means, tail)), float(np.quantile(means, 1 - tail))


def bootstrap_ratio_ci(
    num: Sequence[float], den: Sequence[float], *, seed: int = 0, n_boot: int = N_BOOT, level: float = 0.95
) -> tuple[float, float] | None:
    """Interval of Σnum/Σden resampling items (corpus WER: errors over reference units)."""
    a, b = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    if a.size < 2:
        return None
    idx = _resample_indices(a.size, n_boot, seed)
    ratios = a[idx].sum(axis=1) / np.maximum(b[idx].sum(axis=1), 1e-12)
    tail = (1 - level) / 2
    return float(np.quantile(ratios, tail)), float(np.quantile(ratios, 1 - tail))


def bootstrap_quantiles(
    values: Sequence[float], qs: Sequence[float], *, seed: int = 0, n_boot: int = 1000, level: float = 0.95
) -> dict[float, tuple[float, float, float]]:
    """Each quantile q of `values` with the percentile bootstrap interval of that quantile:
    {q: (estimate, lo, hi)}. One resample matrix serves every q (latency p50…p99 in one pass)."""
    x = np.asarray(values, dtype=np.float64)
    if x.size == 0:
        return {}
    est = np.quantile(x, qs)
    if x.size < 2:
        return {q: (float(e), float(e), float(e)) for q, e in zip(qs, est)}
    boot = np.quantile(x[_resample_indices(x.size, n_boot, seed)], qs, axis=1)  # (len(qs), n_boot)
    tail = (1 - level) / 2
    lo, hi = np.quantile(boot, tail, axis=1), np.quantile(boot, 1 - tail, axis=1)
    return {q: (float(e), float(l), float(h)) for q, e, l, h in zip(qs, est, lo, hi)}


def paired_bootstrap(
    baseline: Sequence[float], candidate: Sequence[float], *, seed: int = 0, n_boot: int = N_BOOT, level: float = 0.95
) -> dict[str, float]:
    """Mean difference (candidate − baseline) over shared items, its interval, and the share of
    resamples in which the candidate's mean is larger."""
    a, b = np.asarray(baseline, dtype=np.float64), np.asarray(candidate, dtype=np.float64)
    if a.shape != b.shape or a.size == 0:
        raise ValueError("paired bootstrap needs two equally long, non-empty sequences of shared items")
    diff = b - a
    if diff.size == 1:
        return {
            "delta": float(diff[0]),
            "lo": float(diff[0]),
            "hi": float(diff[0]),
            "p_candidate_higher": float(diff[0] > 0),
            "n": 1,
        }
    means = diff[_resample_indices(diff.size, n_boot, seed)].mean(axis=1)
    tail = (1 - level) / 2
    return {
        "delta": float(diff.mean()),
        "lo": float(np.quantile(means, tail)),
        "hi": float(np.quantile(means, 1 - tail)),
        "p_candidate_higher": float(np.mean(means > 0)),
        "n": int(diff.size),
    }


def seed_spread(per_seed: dict[int, float]) -> dict[str, float] | None:
    """Spread of a cell's value across generation seeds (None with fewer than two seeds)."""
    values = np.asarray([v for v in per_seed.values() if v is not None], dtype=np.float64)
    if values.size < 2:
        return None
    return {
        "n_seeds": int(values.size),
        "mean": float(values.mean()),
        "std": float(values.std(ddof=1)),
        "min": float(values.min()),
        "max": float(values.max()),
    }
