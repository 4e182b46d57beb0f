"""TTSDS2's pitch feature: per-utterance mean F0 from pyworld DIO + StoneMask at 22.05 kHz with a
256-sample hop, over the first ≤1000 frames, unvoiced frames linearly interpolated between the
voiced ones (held constant before the first and after the last). All-unvoiced audio → 0 Hz.
"""

from __future__ import annotations

import numpy as np

from ztts_eval.metrics.common.f0 import PITCH_SR, f0_track

MAX_FRAMES = 1000


def interpolate_unvoiced(track: np.ndarray) -> np.ndarray | None:
    voiced = np.flatnonzero(track > 0)
    if voiced.size == 0:
        return None
    return np.interp(np.arange(track.size), voiced, track[voiced])


def ttsds_mean_f0(samples22k: np.ndarray) -> float:
    return pitch_from_track(f0_track(samples22k, PITCH_SR))


def pitch_from_track(track: np.ndarray) -> float:
    """The feature from a whole clip's F0 track (the shared, cached one: common/f0.py)."""
    filled = interpolate_unvoiced(track[:MAX_FRAMES])
    return 0.0 if filled is None else float(filled.mean())


def pitch_features(inputs, store=None) -> list[float]:
    """The feature of each input, from F0 tracks of TTSDS2's audio preparation, computed once."""
    from ztts_eval.metrics.common.f0 import f0_tracks
    from ztts_eval.metrics.ttsds.audio import load_ttsds

    return [pitch_from_track(t) for t in f0_tracks(inputs, load_ttsds, store)]
