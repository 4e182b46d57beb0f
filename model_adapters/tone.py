"""A tiny deterministic adapter for tests and benchmarks: speech-shaped tones, no model.

Its pitch follows the prompt (so the cloning contract test can tell two prompts apart), its length
follows the text, and the seed perturbs it (so multi-seed runs differ). Knobs for tests:
`fail_ids` makes chosen items fail, `delay_s` slows each item (kill/resume tests).

It also streams on a programmed schedule (for `ztts-eval speed` tests and demos): the first chunk
`stream_start_s` after the call, then one `stream_chunk_s` piece of audio every
`stream_pace × stream_chunk_s` seconds (pace 0.5 = twice real time, 0 = all at once). The streamed
samples are exactly the one-shot samples, so streamed and one-shot quality must match. Timing knobs
never change the audio, so none of them is in the fingerprint.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from model_adapters.base import (
    Adapter,
    AudioChunk,
    Capabilities,
    Diagnostics,
    SynthesisRequest,
    SynthesisResult,
)

SAMPLE_RATE = 16000
TIMING_PARAMS = ("delay_s", "stream_start_s", "stream_chunk_s", "stream_pace")


def prompt_pitch(x: np.ndarray, sr: int) -> float:
    """A crude, deterministic pitch-like number from the prompt: autocorrelation peak in 70–400 Hz."""
    x = x[: sr * 3] - np.mean(x[: sr * 3])
    if x.size < sr // 10 or not np.any(x):
        return 150.0
    ac = np.correlate(x[: sr // 2], x[: sr // 2], mode="full")[sr // 2 - 1 :]
    lo, hi = sr // 400, sr // 70
    lag = lo + int(np.argmax(ac[lo:hi]))
    return float(sr / lag)


class TestToneAdapter(Adapter):
    name = "test-tone"
    version = "1"
    __test__ = False  # not a pytest class

    streams = True

    def __init__(
        self,
        seconds_per_char: float = 0.06,
        fail_ids: str = "",
        delay_s: float = 0.0,
        stream_start_s: float = 0.0,
        stream_chunk_s: float = 0.1,
        stream_pace: float = 0.0,
        **params: Any,
    ) -> None:
        if float(stream_chunk_s) <= 0 or float(stream_start_s) < 0 or float(stream_pace) < 0:
            raise ValueError("stream_chunk_s must be > 0; stream_start_s and stream_pace must be >= 0")
        super().__init__(
            seconds_per_char=float(seconds_per_char),
            fail_ids=str(fail_ids),
            delay_s=float(delay_s),
            stream_start_s=float(stream_start_s),
            stream_chunk_s=float(stream_chunk_s),
            stream_pace=float(stream_pace),
            **params,
        )

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(zero_shot_cloning=True, languages=None, deterministic=True, max_batch=8)

    def fingerprint(self) -> dict[str, Any]:
        fp = super().fingerprint()
        fp["params"] = {k: v for k, v in self.params.items() if k not in TIMING_PARAMS}  # timing never changes audio
        return fp

    def synthesize(self, requests: list[SynthesisRequest]) -> list[SynthesisResult]:
        from ztts_eval.audio import load_audio

        fail = {s for s in self.params["fail_ids"].split(",") if s}

        def one(req: SynthesisRequest):
            if self.params["delay_s"]:
                time.sleep(self.params["delay_s"])
            if req.item_id in fail:
                raise RuntimeError("failure requested by fail_ids")
            f0 = 150.0
            if req.prompt_audio is not None:
                prompt = load_audio(req.prompt_audio, SAMPLE_RATE)
                f0 = prompt_pitch(prompt.samples, SAMPLE_RATE)
            rng = np.random.default_rng([req.seed, zlib.crc32(req.item_id.encode())])
            n = int(SAMPLE_RATE * max(0.3, self.params["seconds_per_char"] * len(req.text)))
            t = np.arange(n) / SAMPLE_RATE
            f = f0 * (1 + 0.05 * np.sin(2 * np.pi * rng.uniform(0.5, 2.0) * t))
            phase = 2 * np.pi * np.cumsum(f) / SAMPLE_RATE
            wav = sum(np.sin(k * phase) / k for k in range(1, 6))
            envelope = 0.5 * (1 + np.sin(2 * np.pi * 4.0 * t + rng.uniform(0, np.pi)))
            wav = 0.2 * wav * envelope + 0.002 * rng.standard_normal(n)
            return wav.astype(np.float32), SAMPLE_RATE, Diagnostics(eos_reached=True, extra={"f0": round(f0, 2)})

        return self.synthesize_each(requests, one)

    def synthesize_stream(self, request: SynthesisRequest) -> Iterator[AudioChunk]:
        """The one-shot audio cut into `stream_chunk_s` pieces, released on the programmed schedule
        (absolute deadlines from the call, so sleeps never accumulate drift)."""
        t0 = time.perf_counter()
        p = self.params
        (res,) = self.synthesize([request])
        if not res.ok:
            raise RuntimeError(res.diagnostics.error or "synthesis failed")
        wav, step = res.waveform, max(1, int(round(p["stream_chunk_s"] * SAMPLE_RATE)))
        for k, start in enumerate(range(0, len(wav), step)):
            due = p["stream_start_s"] + p["stream_pace"] * k * p["stream_chunk_s"]
            wait = due - (time.perf_counter() - t0)
            if wait > 0:
                time.sleep(wait)
            t = time.perf_counter() - t0
            yield AudioChunk(wav[start : start + step], SAMPLE_RATE, t, t if k == 0 else None)
