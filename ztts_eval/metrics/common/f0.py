"""Pitch extraction with pyworld (DIO + StoneMask), the weight-free prosody feature, and one cached
F0 track per audio file shared by every metric that reads it.

Parameters follow TTSDS2's pitch benchmark: 22.05 kHz input and a 256-sample hop.

Three lite metrics read pitch (`f0_pyworld`, `f0_dist_pyworld`, `pitch_ttsds_lite`), and the ztts1
TTSDS2 factor does too; each used to run pyworld itself. `f0_tracks` computes a track once per
(audio content, input preparation), keeps it for the process and, with the run's store, on disk,
spreading new work over the run's process pool. Two preparations exist and are kept apart because
DIO's output depends (in the 7th digit) on its input's scale: the plain 22.05 kHz signal
(`plain_22k`, the lite F0 metrics) and TTSDS2's peak-normalised, padded one (`load_ttsds`).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

PITCH_SR = 22050
HOP = 256
TRACK_VERSION = "1"  # bump when f0_track's output changes: stored tracks are then recomputed
_MEMO_SIZE = 4096


def f0_track(samples: np.ndarray, sr: int = PITCH_SR) -> np.ndarray:
    """F0 in Hz per frame; 0 where unvoiced."""
    import pyworld

    x = np.ascontiguousarray(samples, dtype=np.float64)
    period_ms = HOP / sr * 1000.0
    f0, t = pyworld.dio(x, sr, frame_period=period_ms)
    return pyworld.stonemask(x, f0, t, sr)


def mean_voiced_f0(track: np.ndarray) -> float | None:
    """Mean over voiced frames, or None when nothing is voiced (silence, noise)."""
    voiced = track[track > 0]
    return float(voiced.mean()) if voiced.size else None


def plain_22k(path: Path) -> np.ndarray:
    """The file at 22.05 kHz as it is (the lite F0 metrics' input)."""
    from ztts_eval.audio import load_audio

    return load_audio(path, PITCH_SR).samples


def _track_job(job: tuple[Callable[[Path], np.ndarray], str]) -> np.ndarray:
    prepare, path = job
    return f0_track(prepare(Path(path)))


@lru_cache(maxsize=1)
def _pyworld_version() -> str:
    from importlib.metadata import version

    return version("pyworld")


_memo: OrderedDict[str, np.ndarray] = OrderedDict()


def track_key(audio_sha256: str, prepare: Callable[[Path], np.ndarray]) -> str:
    from ztts_eval.hashing import sha256_json

    # a loader may declare what it reproduces (`identity`), so a changed loader never reuses old tracks
    name = getattr(prepare, "identity", f"{prepare.__module__}.{prepare.__qualname__}")
    return sha256_json({"f0_track": TRACK_VERSION, "prepare": name, "pyworld": _pyworld_version(), "audio": audio_sha256})


def f0_tracks(inputs: Sequence[Any], prepare: Callable[[Path], np.ndarray] = plain_22k, store: Any = None) -> list[np.ndarray]:
    """The F0 track of each input's audio (objects with `audio_path` and `audio_sha256`), in order.

    Looked up in this process, then in `store` (the run's cache, when bound); the rest are computed
    on the run's process pool and stored. `prepare` is a module-level function (path → 22.05 kHz
    samples) and part of the key."""
    from ztts_eval.metrics.common.cpu_pool import cpu_map

    keys = [track_key(inp.audio_sha256, prepare) for inp in inputs]
    found: dict[str, np.ndarray] = {}
    todo: dict[str, str] = {}
    for key, inp in zip(keys, inputs):
        if key in found or key in todo:
            continue
        if key in _memo:
            found[key] = _memo[key]
            continue
        if store is not None:
            try:
                found[key] = store.get_array(key)
                continue
            except FileNotFoundError:
                pass
        todo[key] = str(inp.audio_path)
    if todo:
        fresh = cpu_map(_track_job, [(prepare, path) for path in todo.values()])
        for key, track in zip(todo, fresh):
            found[key] = track
            if store is not None:
                store.put_array(key, track)
    for key in found:
        found[key].setflags(write=False)  # shared between metrics: never modified in place
        _memo[key] = found[key]
        _memo.move_to_end(key)
    while len(_memo) > _MEMO_SIZE:
        _memo.popitem(last=False)
    return [found[key] for key in keys]
