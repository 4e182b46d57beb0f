"""Audio I/O and resampling, done one way everywhere so scores never depend on who loaded a file.

Every metric receives float32 mono audio at the rate it declares; resampling is soxr "VHQ"
(docs/decisions.md §9) and the input rate is recorded by the caller.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

RESAMPLER = "soxr-VHQ"


@dataclass(frozen=True)
class Audio:
    samples: np.ndarray  # float32, mono, shape (n,)
    sample_rate: int

    @property
    def duration(self) -> float:
        return len(self.samples) / float(self.sample_rate)


class AudioError(ValueError):
    pass


def to_mono(x: np.ndarray) -> np.ndarray:
    """Average channels; soundfile returns (frames, channels) for multi-channel files."""
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 2:
        x = x.mean(axis=1, dtype=np.float32)
    if x.ndim != 1:
        raise AudioError(f"expected mono or (frames, channels) audio, got shape {x.shape}")
    return x


def resample(x: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    if sr_in == sr_out:
        return np.asarray(x, dtype=np.float32)
    import soxr

    return soxr.resample(np.asarray(x, dtype=np.float32), sr_in, sr_out, quality="VHQ").astype(np.float32)


def read_audio(path: str | Path) -> Audio:
    import soundfile as sf

    try:
        data, sr = sf.read(str(path), dtype="float32", always_2d=False)
    except Exception as exc:  # soundfile raises several types for unreadable files
        raise AudioError(f"{path}: unreadable audio ({exc})") from None
    return Audio(to_mono(data), int(sr))


@lru_cache(maxsize=256)
def _load_cached(path: str, mtime_ns: int, sr: int | None) -> Audio:
    audio = read_audio(path)
    if sr is not None and sr != audio.sample_rate:
        audio = Audio(resample(audio.samples, audio.sample_rate, sr), sr)
    audio.samples.setflags(write=False)
    return audio


def load_audio(path: str | Path, sr: int | None = None) -> Audio:
    """Load mono float32, resampled once per (file, rate) per process; the array is read-only."""
    p = str(Path(path).resolve())
    return _load_cached(p, os.stat(p).st_mtime_ns, sr)


def audio_duration(path: str | Path) -> float:
    """Seconds of a file from its header, without decoding it."""
    import soundfile as sf

    try:
        return float(sf.info(str(path)).duration)
    except Exception as exc:
        raise AudioError(f"{path}: unreadable audio ({exc})") from None


def check_signal(x: np.ndarray) -> str | None:
    """Why a waveform cannot be scored, or None when it can."""
    if x.size == 0:
        return "zero-length audio"
    if not np.all(np.isfinite(x)):
        return "non-finite samples (NaN or Inf)"
    return None


def write_flac_atomic(path: Path, samples: np.ndarray, sample_rate: int) -> None:
    """Write 24-bit FLAC via a temp file + rename, so a killed run never leaves half a file."""
    import soundfile as sf

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp.flac")
    os.close(fd)
    try:
        clipped = np.clip(samples, -1.0, 1.0)
        sf.write(tmp, clipped, sample_rate, format="FLAC", subtype="PCM_24")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
