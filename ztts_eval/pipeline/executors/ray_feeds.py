"""Turn a stream of score inputs into the same batches the local executor would score.

The local executor scores `todo[i : i + batch_size]` over the inputs lacking a cached value, in
the order the runner builds them. A feed receives those inputs in the same order while generation
runs (the driver releases them in generation order, not completion order), looks each up in the
cache as the local executor would have at the start (a key written during this run does not
count as cached), and cuts the uncached ones into the same batches. So a metric whose values
depend on batch composition (padding in a batched ASR) still gives identical numbers.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from ztts_eval.metrics.base import ERROR, Metric, ScoreInput
from ztts_eval.pipeline.scoring import _input_key
from ztts_eval.store import Store


@dataclass
class Batch:
    """One unit of work on an actor; `attempts` counts the actor deaths it has lived through."""

    stage: str
    items: list[Any]  # SynthesisRequest for generation, ScoreInput for scoring
    kind: str  # "generate" | "sample" | "feature"
    feed: Feed | None = None
    attempts: int = 0


@dataclass
class Feed:
    """One metric's inputs of one set (system, reference, or extra sets) on their way to its actor."""

    stage: str
    metric: Metric
    kind: str  # "sample" | "feature"
    store: Store
    force: bool
    fingerprint: dict[str, Any]
    written: set[str]  # cache keys this run wrote (shared by a metric's feeds)
    covered_only: bool = False  # system and reference sets of a whole-set metric: its languages only
    values: dict[str, Any] = field(default_factory=dict)  # input key → value (cached or computed)
    keys: dict[str, str] = field(default_factory=dict)  # input key → cache key
    pending: list[ScoreInput] = field(default_factory=list)
    ready: deque = field(default_factory=deque)
    cached: int = 0
    computed: int = 0

    def add(self, inputs: list[ScoreInput]) -> int:
        """Accept inputs (in the local executor's order); return how many need computing."""
        if self.covered_only:
            inputs = [i for i in inputs if self.metric.covers(i.language)]
        for inp in inputs:
            self.keys[inp.key] = _input_key(self.metric, inp, self.fingerprint)
        lookup = [] if self.force else [k for k in {self.keys[i.key] for i in inputs} if k not in self.written]
        hits = self.store.get_many("scores", lookup) if lookup else {}
        new = 0
        for inp in inputs:
            rec = hits.get(self.keys[inp.key])
            if rec is None:
                self.pending.append(inp)
                new += 1
            else:
                self.values[inp.key] = rec["value"]
                self.cached += 1
        size = max(1, self.metric.batch_size)
        while len(self.pending) >= size:
            self._cut(size)
        return new

    def flush(self) -> None:
        """No more inputs will come: the remainder is the last batch (as in the local executor)."""
        if self.pending:
            self._cut(len(self.pending))

    def _cut(self, n: int) -> None:
        self.ready.append(Batch(self.stage, self.pending[:n], self.kind, self))
        self.pending = self.pending[n:]

    def finish(self, batch: Batch, values: list[Any]) -> None:
        """Record a batch's values; the driver writes them to the store (the only writer)."""
        rows = {}
        for inp, value in zip(batch.items, values):
            self.values[inp.key] = value
            rows[self.keys[inp.key]] = {"value": value}
        self.store.put_many("scores", rows)
        self.written.update(rows)
        self.computed += len(batch.items)

    def give_up(self, batch: Batch, why: str) -> None:
        """The actor died on this input every time: an error row, cached like any metric error."""
        self.finish(batch, [{"status": ERROR, "error": why} for _ in batch.items])
