"""Parallel generation for adapters whose work runs outside the GIL (one subprocess per request):
bounded by `max_concurrency`, results in request order, per-item failures still rows."""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np

from model_adapters.base import Adapter, Capabilities, Diagnostics, SynthesisRequest, SynthesisResult
from model_adapters.espeak_ng import EspeakNgAdapter
from tests.fakes.cli import DEMO

# seconds each request takes: the first is the slowest, so finishing order != request order
SCHEDULE = {"a": 0.30, "b": 0.05, "c": 0.05, "d": 0.05, "e": 0.05}


class ScheduledAdapter(Adapter):
    """Sleeps (releasing the GIL, as a subprocess wait does) for its programmed time per item."""

    name = "scheduled"

    def __init__(self, concurrency: int) -> None:
        super().__init__()
        self.concurrency = concurrency
        self.lock = threading.Lock()
        self.in_flight = self.peak = 0
        self.finished: list[str] = []

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(False, None, True, max_batch=8, max_concurrency=self.concurrency)

    def synthesize(self, requests: list[SynthesisRequest]) -> list[SynthesisResult]:
        def one(req: SynthesisRequest) -> tuple[np.ndarray, int, Diagnostics]:
            with self.lock:
                self.in_flight += 1
                self.peak = max(self.peak, self.in_flight)
            time.sleep(SCHEDULE[req.item_id])
            with self.lock:
                self.in_flight -= 1
                self.finished.append(req.item_id)
            if req.item_id == "c":
                raise RuntimeError("programmed failure")
            return np.full(160, ord(req.item_id) / 1000, dtype=np.float32), 16000, Diagnostics(eos_reached=True)

        return self.synthesize_each(requests, one)


def _requests(ids: Any) -> list[SynthesisRequest]:
    return [SynthesisRequest(item_id=i, text="hello", language="en", prompt_audio=None, seed=0) for i in ids]


def test_two_at_a_time_in_request_order():
    adapter = ScheduledAdapter(concurrency=2)
    results = adapter.synthesize(_requests(SCHEDULE))
    assert adapter.peak == 2  # never more than max_concurrency at once
    assert adapter.finished == ["b", "c", "d", "e", "a"]  # "a" (0.30 s) overlapped the four 0.05 s items
    assert [r.item_id for r in results] == list(SCHEDULE)  # request order, not finishing order
    assert [r.ok for r in results] == [True, True, False, True, True]
    assert "programmed failure" in results[2].diagnostics.error
    assert results[0].waveform[0] == np.float32(ord("a") / 1000)
    assert results[0].diagnostics.latency_s >= 0.3 and results[1].diagnostics.latency_s < 0.3


def test_concurrency_one_is_sequential():
    adapter = ScheduledAdapter(concurrency=1)
    adapter.synthesize(_requests(SCHEDULE))
    assert adapter.peak == 1 and adapter.finished == list(SCHEDULE)


def test_espeak_in_parallel_gives_the_sequential_audio():
    adapter = EspeakNgAdapter()
    adapter.load()
    assert adapter.capabilities.max_concurrency >= 1 and adapter.capabilities.max_batch >= adapter.capabilities.max_concurrency
    reqs = [
        SynthesisRequest(item_id=f"i{i}", text=t, language="en", prompt_audio=DEMO / "audio" / "lj002_0020.flac", seed=0)
        for i, t in enumerate(["one two three", "four five", "six seven eight nine", "ten"])
    ]
    parallel = adapter.synthesize(reqs)
    sequential = [adapter.synthesize([r])[0] for r in reqs]
    assert all(a.ok and np.array_equal(a.waveform, b.waveform) for a, b in zip(parallel, sequential))
