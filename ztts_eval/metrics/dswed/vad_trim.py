"""Trim leading and trailing non-speech with Silero VAD (the model ships inside the silero-vad wheel).

DS-WED compares two generations after removing their leading/trailing silence, so that a longer
pause before speech onset is not counted as prosodic diversity. No speech detected: the clip is
kept whole (as the paper's code does). Internal pauses are kept: they are prosody.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

SAMPLE_RATE = 16000


@lru_cache(maxsize=1)
def _model():
    from silero_vad import load_silero_vad

    return load_silero_vad()


def speech_span(samples16k: np.ndarray) -> tuple[int, int] | None:
    """(first speech start, last speech end) in samples, or None when no speech is found."""
    import torch
    from silero_vad import get_speech_timestamps

    stamps = get_speech_timestamps(torch.from_numpy(np.array(samples16k, dtype=np.float32)), _model(), sampling_rate=SAMPLE_RATE)
    if not stamps:
        return None
    return int(stamps[0]["start"]), int(stamps[-1]["end"])


def trim(samples16k: np.ndarray) -> np.ndarray:
    span = speech_span(samples16k)
    return samples16k if span is None else samples16k[span[0] : span[1]]
