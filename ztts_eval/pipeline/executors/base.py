"""The executor seam: what the runner hands to whoever runs generation and scoring, and what it gets back.

The runner owns everything before (manifest, preflight, seeds) and after (rows, summary, results
files); an executor owns only *where* the stages run: in this process one after the other
(`local`, the default) or on a Ray cluster with the stages overlapped (`ray`). Both read and
write the same content-addressed store through the same key functions, so they produce the same
records, scores and cache keys (docs/decisions.md §16).
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from model_adapters.base import Adapter, SynthesisRequest
from ztts_eval.metrics.base import Metric, ScoreInput
from ztts_eval.pipeline.generation import StageStats
from ztts_eval.store import Store


@dataclass
class StagePlan:
    """Everything the stages need, decided by the runner before any work."""

    model: str  # registry name of the adapter (actors build their own instance from it)
    params: dict[str, Any]
    requests: list[SynthesisRequest]
    item_shas: dict[str, tuple[str | None, str | None]]  # item id → (prompt sha256, reference sha256)
    store: Store
    metrics: list[Metric]  # preflighted driver instances: fingerprints and cache keys come from these
    metric_params: dict[str, dict[str, Any]]
    force: frozenset[str]
    retry_failed: bool
    score_inputs: Callable[[dict[tuple[str, int], dict[str, Any]]], list[ScoreInput]]  # ok records → inputs
    reference_inputs: list[ScoreInput]  # the suite's recordings: the reference set of whole-set metrics
    system: str
    log: Callable[[str], None]

    def forced(self, metric: Metric) -> bool:
        return bool({"score", metric.info.name} & self.force)


@dataclass
class StageOutcome:
    records: dict[tuple[str, int], dict[str, Any]]  # (item id, seed) → generation record
    scores: dict[str, dict[str, Any]]  # sample metric → {"<item>#<seed>": row}
    corpus: dict[str, dict]  # whole-set metric → {(subset, language): result}
    stages: dict[str, StageStats]
    accounting: dict[str, Any] = field(default_factory=dict)  # per-stage busy/CPU/GPU seconds: run.json "executor"


class Executor(ABC):
    name: str = "executor"

    @abstractmethod
    def load(
        self, adapter: Adapter, model: str, metrics: list[Metric], metric_params: dict[str, dict[str, Any]], cache_root: Path
    ) -> None:
        """Make the adapter ready (raise AdapterError with the fix) before any work or output.
        `metrics` are preflighted; `cache_root` is the store's folder (audio, arrays, SQLite)."""

    @abstractmethod
    def adapter_fingerprint(self) -> dict[str, Any]:
        """The fingerprint of the adapter that actually generates (after `load`): the cache key's."""

    @abstractmethod
    def run(self, plan: StagePlan) -> StageOutcome: ...

    def describe(self) -> dict[str, Any]:
        """What run.json records about where the run ran."""
        return {"name": self.name}

    def close(self) -> None:
        pass


def cpu_seconds() -> float:
    """User + system CPU seconds of this process and its reaped children (subprocess TTS binaries)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def stage_log(stage: str, st: StageStats) -> str:
    """The run.log line of one stage (same words for every executor)."""
    extra = "".join(f", {k} {v}" for k, v in st.extra.items())
    return f"{stage}: {st.computed} computed, {st.cached} cached{extra}, {st.wall_s:.1f}s"
