"""Sample metrics for the process-pool scoring path: module-level (pool workers import them by
reference), rows that say which process made them and how often it set the metric up."""

from __future__ import annotations

import os
import time
from typing import Any

from ztts_eval.metrics.base import Column, MetricInfo, SampleMetric, ScoreInput

_setups: dict[int, int] = {}  # per process id (a forked worker inherits its parent's entries, not its own)


class PooledLength(SampleMetric):
    """Text length as the score; the text "boom" raises, so one input of a batch fails alone,
    "die" ends the process that scores it, as a crash in native code would, and "slow" takes a
    while (so a crash elsewhere happens while it runs)."""

    info = MetricInfo("pooled_len", "1", "sample", (Column("n_chars", True),), ("audio", "text"), "x", "lite", "lite")
    process_parallel = True
    batch_size = 16

    def __init__(self, scale: int = 1) -> None:
        super().__init__(scale=scale)
        self.scale = scale

    def setup(self) -> None:
        _setups[os.getpid()] = _setups.get(os.getpid(), 0) + 1

    def score_batch(self, inputs: list[ScoreInput]) -> list[dict[str, Any]]:
        time.sleep(0.5 if any(inp.text == "slow" for inp in inputs) else 0.02)  # long enough that both workers get batches
        if any(inp.text == "die" for inp in inputs):
            os._exit(3)
        if any(inp.text == "boom" for inp in inputs):
            raise ValueError("boom")
        return [
            {"status": "ok", "n_chars": len(inp.text) * self.scale, "pid": os.getpid(), "setups": _setups[os.getpid()]}
            for inp in inputs
        ]


class InProcessLength(PooledLength):
    info = PooledLength.info
    process_parallel = False
