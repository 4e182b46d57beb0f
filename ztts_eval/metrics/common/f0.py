"""Pitch extraction with pyworld (DIO + StoneMask), the weight-free prosody feature.

Parameters follow TTSDS2's pitch benchmark: 22.05 kHz input and a 256-sample hop.
"""

from __future__ import annotations

import numpy as np

PITCH_SR = 22050
HOP = 256


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
