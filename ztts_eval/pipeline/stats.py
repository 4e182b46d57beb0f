"""Uncertainty for leaderboard cells and comparisons. Pure numpy, seeded, so reruns give the same intervals.

A WER delta of 0.2 points on 100 utterances is usually noise (docs/decisions.md §13); every cell carries a
bootstrap 95 % interval, and two systems are compared on the items they share with a paired
bootstrap, which cancels the per-item difficulty both systems face.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

N_BOOT = 2000


# Indices are drawn in row blocks of about this many cells (32 MB of int64), so n = 50,000 items
# never materialises the 2000×n matrix at once. Consecutive draws from one generator continue one
# stream, so the blocks are exactly the rows of a single (n_boot, n) draw (tests/pipeline/test_stats.py).
_BLOCK_CELLS = 4_000_000


def _index_blocks(n: int, n_boot: int, seed: int):
    rng = np.random.default_rng(seed)
    rows = max(1, _BLOCK_CELLS // n)
    for start in range(0, n_boot, rows):
        yield start, rng.integers(0, n, size=(min(rows, n_boot - start), n))


def resampled_sums(arrays: Sequence[np.ndarray], *, seed: int = 0, n_boot: int = N_BOOT) -> list[np.ndarray]:
    """Σ of each equally long array over each bootstrap resample, all arrays sharing ONE index
    draw (so the columns of a group cost one draw, not one each). Each row is summed on its own, so
    the values are bit-identical to indexing the whole matrix at once."""
    n = len(arrays[0])
    out = [np.empty(n_boot, dtype=np.float64) for _ in arrays]
    for start, idx in _index_blocks(n, n_boot, seed):
        for a, o in zip(arrays, out):
            o[start : start + len(idx)] = a[idx].sum(axis=1)
    return out


def _interval(stat: np.ndarray, level: float) -> tuple[float, float]:
    tail = (1 - level) / 2
    return float(np.quantile(stat, tail)), float(np.quantile(stat, 1 - tail))


def bootstrap_mean_ci(
    values: Sequence[float], *, seed: int = 0, n_boot: int = N_BOOT, level: float = 0.95
) -> tuple[float, float] | None:
    """Percentile interval of the mean; None for fewer than two values."""
    batch = IntervalBatch(seed=seed, n_boot=n_boot, level=level)
    out: dict[str, Any] = {}
    batch.mean(values, out, "ci")
    batch.run()
    return out["ci"]


def bootstrap_ratio_ci(
    num: Sequence[float], den: Sequence[float], *, seed: int = 0, n_boot: int = N_BOOT, level: float = 0.95
) -> tuple[float, float] | None:
    """Interval of Σnum/Σden resampling items (corpus WER: errors over reference units)."""
    batch = IntervalBatch(seed=seed, n_boot=n_boot, level=level)
    out: dict[str, Any] = {}
    batch.ratio(num, den, out, "ci")
    batch.run()
    return out["ci"]


class IntervalBatch:
    """Bootstrap intervals of one summary group, computed together: every job of the same length
    reuses one index draw (a group's columns usually share their items). Each job writes its
    interval (or None below two values) into `target[key]` when `run()` is called; results are
    identical to computing each job alone with the same seed."""

    def __init__(self, *, seed: int = 0, n_boot: int = N_BOOT, level: float = 0.95) -> None:
        self.seed, self.n_boot, self.level = seed, n_boot, level
        self._jobs: list[tuple[str, list[np.ndarray], dict[str, Any], str, float]] = []

    def mean(self, values: Sequence[float], target: dict[str, Any], key: str, scale: float = 1.0) -> None:
        self._jobs.append(("mean", [np.asarray(values, dtype=np.float64)], target, key, scale))

    def ratio(self, num: Sequence[float], den: Sequence[float], target: dict[str, Any], key: str, scale: float = 1.0) -> None:
        arrays = [np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)]
        self._jobs.append(("ratio", arrays, target, key, scale))

    def run(self) -> None:
        by_length: dict[int, list[int]] = {}
        for i, (_, arrays, target, key, _) in enumerate(self._jobs):
            n = arrays[0].size
            if n < 2:
                target[key] = None
            else:
                by_length.setdefault(n, []).append(i)
        for n, members in by_length.items():
            flat = [a for i in members for a in self._jobs[i][1]]
            sums = iter(resampled_sums(flat, seed=self.seed, n_boot=self.n_boot))
            for i in members:
                kind, _, target, key, scale = self._jobs[i]
                stat = next(sums) / n if kind == "mean" else next(sums) / np.maximum(next(sums), 1e-12)
                lo, hi = _interval(stat, self.level)
                target[key] = (lo, hi) if scale == 1.0 else [scale * lo, scale * hi]
        self._jobs.clear()


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
    # (len(qs), n_boot), drawn in the same row blocks as every other interval here
    boot = np.concatenate([np.quantile(x[idx], qs, axis=1) for _, idx in _index_blocks(x.size, n_boot, seed)], axis=1)
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
    (sums,) = resampled_sums([diff], seed=seed, n_boot=n_boot)
    means = sums / diff.size
    lo, hi = _interval(means, level)
    return {
        "delta": float(diff.mean()),
        "lo": lo,
        "hi": hi,
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
