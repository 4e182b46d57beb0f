"""What one streamed request measured: time to first audio, latency, real-time factor, gaps, player stalls.

All times are seconds since the request was sent (the adapter's clock, `AudioChunk.t`). TTFA is the
arrival of the chunk holding the first *audible* 10 ms frame (RMS above -40 dBFS), so a server that
opens with silence or a bare header does not pass for a fast one; the first body byte is kept too.
The real-time player starts when the first chunk arrives, plays in real time, and pauses whenever
its buffer runs dry; the longest pause is the request's worst deficit, and one longer than 100 ms
counts as an underrun (the continuity threshold sglang-omni's benchmark uses).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

SILENCE_DBFS = -40.0
FRAME_S = 0.010
UNDERRUN_S = 0.100


@dataclass
class Arrival:
    """One received chunk: when its last byte arrived and how many samples it held."""

    t: float
    n: int


def first_audible_sample(audio: np.ndarray, sample_rate: int, threshold_dbfs: float = SILENCE_DBFS) -> int | None:
    """Index of the first sample of the first 10 ms frame whose RMS exceeds the threshold (None: all silent)."""
    frame = max(1, int(round(FRAME_S * sample_rate)))
    n = len(audio) // frame * frame
    x = np.asarray(audio, dtype=np.float64)
    frames = x[:n].reshape(-1, frame) if n else np.zeros((0, frame))
    rms = np.sqrt(np.mean(frames**2, axis=1)) if len(frames) else np.zeros(0)
    if len(x) > n:  # the short tail frame counts too
        rms = np.append(rms, np.sqrt(np.mean(x[n:] ** 2)))
    loud = np.flatnonzero(rms > 10 ** (threshold_dbfs / 20))
    return int(loud[0]) * frame if loud.size else None


def player_stalls(arrivals: list[Arrival], sample_rate: int) -> np.ndarray:
    """Pause before each chunk (0 for the first) of a player that starts at the first arrival.

    Chunk i starts playing at max(arrival_i, end of chunk i-1). Unrolled, start_i = D_i +
    max_{j<=i}(a_j - D_j) with D_i the audio before chunk i, so one cumulative max does it.
    """
    if not arrivals:
        return np.zeros(0)
    a = np.array([c.t for c in arrivals], dtype=np.float64)
    d = np.array([c.n for c in arrivals], dtype=np.float64) / sample_rate
    before = np.concatenate(([0.0], np.cumsum(d)[:-1]))
    start = before + np.maximum.accumulate(a - before)
    stalls = np.zeros_like(a)
    stalls[1:] = start[1:] - (start[:-1] + d[:-1])
    return np.maximum(stalls, 0.0)


def measure(
    arrivals: list[Arrival], sample_rate: int, audio: np.ndarray, first_byte_t: float | None, underrun_s: float = UNDERRUN_S
) -> dict[str, Any]:
    """The per-request speed row (see module docstring); `audio` is the chunks concatenated."""
    if not arrivals:
        raise ValueError("a request without audio has no speed measures")
    times = np.array([c.t for c in arrivals])
    sizes = np.cumsum([c.n for c in arrivals])
    audio_s = float(sizes[-1]) / sample_rate
    latency = float(times[-1])
    loud = first_audible_sample(audio, sample_rate)
    ttfa = float(times[int(np.searchsorted(sizes, loud, side="right"))]) if loud is not None else None
    gaps = np.diff(times)
    stalls = player_stalls(arrivals, sample_rate)
    worst = float(stalls.max())
    return {
        "ttfb_s": float(first_byte_t if first_byte_t is not None else times[0]),
        "ttfc_s": float(times[0]),  # first decoded chunk, audible or not
        "ttfa_s": ttfa,
        "latency_s": latency,
        "audio_s": audio_s,
        "rtf": latency / audio_s if audio_s > 0 else None,
        "n_chunks": len(arrivals),
        "max_gap_s": float(gaps.max()) if gaps.size else 0.0,
        "mean_gap_s": float(gaps.mean()) if gaps.size else 0.0,
        "worst_stall_s": worst,
        "total_stall_s": float(stalls.sum()),
        "underrun": worst > underrun_s,
        "silent": loud is None,
    }
