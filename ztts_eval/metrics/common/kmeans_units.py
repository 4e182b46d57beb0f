"""Discrete speech units: nearest k-means centre per SSL frame.

Centres come from (a) a safe `.npy` array [k, dim], (b) a joblib/pickle k-means (DS-WED publishes
`hubert-base-layer-8.kmeans.50.model`) only when the user opts in — unpickling runs arbitrary
code — or (c) a seeded fit on reference frames (TTSDS2's HuBERT speaking rate: k=100, seed 42).
Assignment is plain Euclidean nearest-centre, which is what sklearn's KMeans.predict computes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np


class UnitsSetupError(RuntimeError):
    pass


def load_centres(path: str | Path, trust_pickle: bool = False) -> np.ndarray:
    path = Path(path).expanduser()
    if not path.is_file():
        raise UnitsSetupError(f"k-means file {path} does not exist")
    if path.suffix == ".npy":
        centres = np.load(path, allow_pickle=False)
    elif not trust_pickle:
        raise UnitsSetupError(
            f"{path} is a pickle (joblib); loading it runs code: allow it with trust_pickle=true, "
            f"or save its cluster_centers_ as .npy"
        )
    else:
        import joblib

        model = joblib.load(path)
        centres = getattr(model, "cluster_centers_", None)
        if centres is None:
            raise UnitsSetupError(f"{path}: the unpickled object has no cluster_centers_")
    centres = np.asarray(centres, dtype=np.float32)
    if centres.ndim != 2:
        raise UnitsSetupError(f"{path}: centres must be a [k, dim] array, got shape {centres.shape}")
    return centres


def fit_centres(frames: Sequence[np.ndarray], k: int, seed: int, n_init: int = 10, max_iter: int = 300) -> np.ndarray:
    from sklearn.cluster import KMeans

    stacked = np.concatenate([np.asarray(f, dtype=np.float32) for f in frames], axis=0)
    if stacked.shape[0] < k:
        raise ValueError(f"k-means with k={k} needs at least {k} frames, got {stacked.shape[0]}")
    model = KMeans(n_clusters=k, random_state=seed, n_init=n_init, max_iter=max_iter).fit(stacked)
    return model.cluster_centers_.astype(np.float32)


def assign(frames: np.ndarray, centres: np.ndarray) -> list[int]:
    f = np.asarray(frames, dtype=np.float32)
    if f.shape[1] != centres.shape[1]:
        raise ValueError(f"frame dim {f.shape[1]} != centre dim {centres.shape[1]} (wrong layer or model?)")
    d = (f * f).sum(1)[:, None] - 2.0 * f @ centres.T + (centres * centres).sum(1)[None, :]
    return [int(i) for i in np.argmin(d, axis=1)]


def describe(centres: np.ndarray, source: str) -> dict[str, Any]:
    from ztts_eval.hashing import sha256_bytes

    return {
        "source": source,
        "k": int(centres.shape[0]),
        "dim": int(centres.shape[1]),
        "sha256": sha256_bytes(np.ascontiguousarray(centres).tobytes()),
    }


def collapse_runs(tokens: Sequence[int]) -> list[int]:
    """Consecutive duplicates merged: the unit sequence whose run count defines a speaking rate."""
    out: list[int] = []
    for t in tokens:
        if not out or out[-1] != t:
            out.append(t)
    return out
