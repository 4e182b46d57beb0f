"""Audio as TTSDS2 loads it before any prosody feature: `librosa.load(path, sr=22050)`, zero-padded
to at least 16000 samples, peak-normalised by max|x| + 1e-6. (Peak normalisation matters for the
energy stream of the MPM.)

The load reproduces librosa's exactly, without importing librosa (slow, and not needed by the lite
pitch metric): soundfile float32, channels averaged, soxr at librosa's default quality ("HQ", not
the project's VHQ), then the output cut or zero-padded to ceil(n · 22050 / sr) samples as
`librosa.resample(fix=True)` does — soxr alone returns one sample fewer for some lengths. A test
compares it with librosa itself on the repository's real clips: bit-identical.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ztts_eval.audio import read_audio

TTSDS_SR = 22050
MIN_SAMPLES = 16000
LOADER = "librosa.load(sr=22050) equivalent: soundfile float32, mean of channels, soxr HQ, fix_length ceil"


def librosa_resample(x: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    """`librosa.resample(x, orig_sr=sr_in, target_sr=sr_out)` with its defaults (soxr_hq, fix=True)."""
    import soxr

    x = np.asarray(x, dtype=np.float32)
    if sr_in == sr_out:
        return x
    n_out = int(np.ceil(x.shape[-1] * (float(sr_out) / sr_in)))  # librosa's float ratio, not integer math
    y = soxr.resample(x, sr_in, sr_out, quality="soxr_hq")
    if y.shape[-1] > n_out:
        y = y[..., :n_out]
    elif y.shape[-1] < n_out:
        y = np.pad(y, (0, n_out - y.shape[-1]))
    return np.asarray(y, dtype=np.float32)


def librosa_load(path: Path, sr: int = TTSDS_SR) -> np.ndarray:
    audio = read_audio(path)
    return librosa_resample(audio.samples, audio.sample_rate, sr)


def load_ttsds(path: Path) -> np.ndarray:
    x = librosa_load(path, TTSDS_SR)
    if x.size < MIN_SAMPLES:
        x = np.pad(x, (0, MIN_SAMPLES - x.size))
    return x / (np.max(np.abs(x)) + 1e-6)


load_ttsds.identity = f"{__name__}.load_ttsds: {LOADER}"  # type: ignore[attr-defined]  # F0 cache key


def duration(x: np.ndarray) -> float:
    """Seconds of the (padded) 22.05 kHz signal: the denominator of both speaking rates."""
    return x.size / TTSDS_SR
