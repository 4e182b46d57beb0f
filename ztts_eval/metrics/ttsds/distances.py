"""Pure distribution distances between two empirical samples (no scipy needed).

The p-Wasserstein distance in 1-D is the L^p distance between quantile functions; for empirical
distributions both are step functions, so the integral is exact over the merged breakpoints.
This handles unequal sample sizes without subsampling.
"""

from __future__ import annotations

import numpy as np


def wasserstein_1d(a: np.ndarray | list[float], b: np.ndarray | list[float], p: int = 1) -> float:
    a = np.sort(np.asarray(a, dtype=np.float64).ravel())
    b = np.sort(np.asarray(b, dtype=np.float64).ravel())
    if a.size == 0 or b.size == 0:
        raise ValueError("Wasserstein distance needs two non-empty samples")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise ValueError("Wasserstein distance needs finite values")
    # Quantile function of a sample of size n is a[k] on (k/n, (k+1)/n].
    cuts = np.union1d(np.arange(1, a.size) / a.size, np.arange(1, b.size) / b.size)
    edges = np.concatenate([[0.0], cuts, [1.0]])
    mids = (edges[:-1] + edges[1:]) / 2
    qa = a[np.minimum((mids * a.size).astype(int), a.size - 1)]
    qb = b[np.minimum((mids * b.size).astype(int), b.size - 1)]
    widths = np.diff(edges)
    return float(np.sum(widths * np.abs(qa - qb) ** p) ** (1.0 / p))
