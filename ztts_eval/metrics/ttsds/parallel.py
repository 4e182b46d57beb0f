"""CPU-bound DSP features over a process pool (pyworld releases no GIL): the pitch feature of a
whole batch at once. Results are identical to the sequential path, in input order."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path


def _pitch(path: str) -> float:
    from ztts_eval.metrics.ttsds.audio import load_ttsds
    from ztts_eval.metrics.ttsds.pitch import ttsds_mean_f0

    return ttsds_mean_f0(load_ttsds(Path(path)))


def default_workers() -> int:
    return max(1, (os.cpu_count() or 1))


def pitch_many(paths: list[Path], workers: int | None = None) -> list[float]:
    workers = workers or default_workers()
    if workers <= 1 or len(paths) < 4:
        return [_pitch(str(p)) for p in paths]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_pitch, [str(p) for p in paths], chunksize=max(1, len(paths) // (4 * workers))))
