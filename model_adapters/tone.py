"""A tiny deterministic adapter for tests and benchmarks: speech-shaped tones, no model.

Its pitch follows the prompt (so the cloning contract test can tell two prompts apart), its length
follows the text, and the seed perturbs it (so multi-seed runs differ). Knobs for tests:
`fail_ids` makes chosen items fail, `delay_s` slows each item (kill/resume tests).
"""

from __future__ import annotations

import time
import zlib
from typing import Any

import numpy as np

from model_adapters.base import (
    Adapter,
    Capabilities,
    Diagnostics,
    SynthesisRequest,
    SynthesisResult,
)

SAMPLE_RATE = 16000


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

    def __init__(self, seconds_per_char: float = 0.06, fail_ids: str = "", delay_s: float = 0.0, **params: Any) -> None:
        super().__init__(seconds_per_char=float(seconds_per_char), fail_ids=str(fail_ids), delay_s=float(delay_s), **params)

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(zero_shot_cloning=True, languages=None, deterministic=True, max_batch=8)

    def fingerprint(self) -> dict[str, Any]:
        fp = super().fingerprint()
        fp["params"] = {k: v for k, v in self.params.items() if k != "delay_s"}  # delay never changes audio
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
