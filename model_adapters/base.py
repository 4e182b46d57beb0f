"""The adapter contract: batch-first synthesis where one bad item never stops a run.

An adapter turns requests (text, language, prompt audio, seed, params) into results (float32 mono
audio + diagnostics). It owns everything model-specific, prompt formatting included, and declares
what it can do, so the harness never guesses (e.g. whether a similarity row is comparable).
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

CONTRACT_VERSION = 1


@dataclass(frozen=True)
class SynthesisRequest:
    item_id: str
    text: str
    language: str  # canonical ISO 639-1 code (ztts_eval.languages)
    prompt_audio: Path | None
    prompt_text: str | None = None
    seed: int = 0
    params: dict[str, Any] = field(default_factory=dict)
    # Only the ground-truth adapter may read this: the real recording of `text`.
    reference_audio: Path | None = None


@dataclass
class Diagnostics:
    duration_s: float | None = None
    eos_reached: bool | None = None  # None: the system has no notion of EOS
    latency_s: float | None = None
    error: str | None = None
    # "failed": the system broke on this item; "unsupported": it declares it cannot do it
    # (e.g. a language); "unavailable": nothing to return (ground truth without a recording).
    error_kind: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class SynthesisResult:
    item_id: str
    seed: int
    waveform: np.ndarray | None
    sample_rate: int | None
    diagnostics: Diagnostics

    @property
    def ok(self) -> bool:
        return self.diagnostics.error is None and self.waveform is not None


@dataclass(frozen=True)
class Capabilities:
    zero_shot_cloning: bool
    languages: frozenset[str] | None  # None: any language in ztts_eval.languages
    deterministic: bool  # same request + seed -> same audio
    needs_prompt_text: bool = False
    max_batch: int = 1
    max_text_chars: int = 2000  # longer texts are refused per item, not truncated
    # requests of one batch that `synthesize_each` works on at once (threads): for adapters whose
    # work runs outside the GIL, e.g. one subprocess per request (espeak-ng, flite)
    max_concurrency: int = 1


@dataclass
class AudioChunk:
    """One piece of a streamed answer: float32 mono samples and when they arrived.

    `t` is seconds since the request was sent (time.perf_counter() clock), taken when the chunk's
    last byte arrived; `first_byte_t` (first chunk only, optional) when its first byte did.
    """

    samples: np.ndarray
    sample_rate: int
    t: float
    first_byte_t: float | None = None


class AdapterError(RuntimeError):
    """A setup problem that stops the run before any work (missing binary, missing weights)."""


def failure(req: SynthesisRequest, message: str, kind: str = "failed", latency: float | None = None) -> SynthesisResult:
    return SynthesisResult(req.item_id, req.seed, None, None, Diagnostics(latency_s=latency, error=message, error_kind=kind))


class Adapter(ABC):
    name: str = "adapter"
    version: str = "0"  # bump when the adapter's code changes its output
    group: str = "open"  # leaderboard group: "reference", "open" (open weights) or "closed" (API)
    published_name: str | None = None  # the system's name in the ZONOS2 report's tables, if any

    def __init__(self, **params: Any) -> None:
        self.params = dict(params)

    @property
    @abstractmethod
    def capabilities(self) -> Capabilities: ...

    def fingerprint(self) -> dict[str, Any]:
        """Everything that changes the audio: the generation-cache key includes it."""
        return {"adapter": self.name, "version": self.version, "contract": CONTRACT_VERSION, "params": self.params}

    def load(self) -> None:
        """Acquire models/binaries; raise AdapterError with a one-line fix when that fails."""

    def close(self) -> None:
        pass

    @abstractmethod
    def synthesize(self, requests: list[SynthesisRequest]) -> list[SynthesisResult]:
        """One result per request, same order; a per-item problem is a result, not an exception."""

    streams: bool = False  # True when synthesize_stream yields audio as it is produced

    def synthesize_stream(self, request: SynthesisRequest) -> Iterator[AudioChunk]:
        """Audio chunks as they arrive. The default answers in one chunk after the whole synthesis
        (a non-streaming system, measured as such); streaming adapters override this and set
        `streams = True`. An exception raised here becomes that request's error row."""
        t0 = time.perf_counter()
        (res,) = self.synthesize([request])
        if not res.ok:
            raise RuntimeError(res.diagnostics.error or "synthesis failed")
        yield AudioChunk(np.asarray(res.waveform, dtype=np.float32), int(res.sample_rate), time.perf_counter() - t0)

    def check_request(self, req: SynthesisRequest) -> SynthesisResult | None:
        """The shared per-item refusals: empty text, undeclared language, missing prompt text."""
        caps = self.capabilities
        if not req.text or not req.text.strip():
            return failure(req, "empty text", "failed")
        if len(req.text) > caps.max_text_chars:
            return failure(req, f"text has {len(req.text)} characters; {self.name} accepts at most {caps.max_text_chars}")
        if caps.languages is not None and req.language not in caps.languages:
            return failure(req, f"language {req.language!r} not supported by {self.name}", "unsupported")
        if caps.needs_prompt_text and not req.prompt_text:
            return failure(req, f"{self.name} needs prompt_text and the item has none", "failed")
        return None

    def synthesize_each(
        self, requests: list[SynthesisRequest], one: Callable[[SynthesisRequest], tuple[np.ndarray, int, Diagnostics]]
    ) -> list[SynthesisResult]:
        """Run `one` per request, turning refusals and exceptions into per-item result rows.

        Up to `capabilities.max_concurrency` requests run at once on threads; results are in
        request order whatever order they finish in."""

        def run(req: SynthesisRequest) -> SynthesisResult:
            refused = self.check_request(req)
            if refused is not None:
                return refused
            t0 = time.perf_counter()
            try:
                wav, sr, diag = one(req)
            except AdapterError:
                raise
            except Exception as exc:  # per-item failure: recorded, never fatal
                return failure(req, f"{type(exc).__name__}: {exc}", latency=time.perf_counter() - t0)
            wav = np.asarray(wav, dtype=np.float32).reshape(-1)
            diag.latency_s = time.perf_counter() - t0
            diag.duration_s = len(wav) / float(sr)
            return SynthesisResult(req.item_id, req.seed, wav, sr, diag)

        workers = min(max(1, self.capabilities.max_concurrency), len(requests))
        if workers <= 1:
            return [run(req) for req in requests]
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(run, requests))
