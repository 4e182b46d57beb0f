"""The local executor (the default): generation, then each metric in turn, in this process.

This is the pipeline's original order, kept as is: all generation first, then metric-major
scoring (one metric's model loaded at a time). It adds per-stage CPU seconds to the accounting so
`run.json` compares with the Ray executor's busy time.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from model_adapters.base import Adapter
from ztts_eval.metrics.base import CorpusMetric, Metric
from ztts_eval.pipeline.executors.base import Executor, StageOutcome, StagePlan, cpu_seconds, stage_log
from ztts_eval.pipeline.generation import StageStats, generate
from ztts_eval.pipeline.progress import Progress
from ztts_eval.pipeline.scoring import corpus_scores, score_samples


class LocalExecutor(Executor):
    name = "local"

    def __init__(self) -> None:
        self._adapter: Adapter | None = None

    def load(
        self, adapter: Adapter, model: str, metrics: list[Metric], metric_params: dict[str, dict[str, Any]], cache_root: Path
    ) -> None:
        adapter.load()
        self._adapter = adapter

    def adapter_fingerprint(self) -> dict[str, Any]:
        return self._adapter.fingerprint()

    def run(self, plan: StagePlan) -> StageOutcome:
        stages: dict[str, StageStats] = {}
        usage: dict[str, dict[str, float | None]] = {}
        self._t_run = t0 = time.perf_counter()
        c0 = cpu_seconds()
        with Progress(len(plan.requests), f"generate {plan.system}") as bar:
            records, stages["generate"] = generate(
                self._adapter,
                plan.requests,
                plan.item_shas,
                plan.store,
                force="generate" in plan.force,
                retry_failed=plan.retry_failed,
                progress=bar.update,
            )
        usage["generate"] = self._usage(t0, c0)
        plan.log(stage_log(f"generate {plan.system}", stages["generate"]))
        inputs = plan.score_inputs(records)
        scores: dict[str, dict[str, Any]] = {}
        corpus: dict[str, dict] = {}
        for m in plan.metrics:
            t0, c0 = time.perf_counter(), cpu_seconds()
            if isinstance(m, CorpusMetric):
                corpus[m.info.name], st = corpus_scores(m, inputs, plan.reference_inputs, plan.store, force=plan.forced(m))
            else:
                with Progress(len(inputs), f"score {m.info.name}") as bar:
                    scores[m.info.name], st = score_samples(m, inputs, plan.store, force=plan.forced(m), progress=bar.update)
            stages[f"score:{m.info.name}"] = st
            usage[f"score:{m.info.name}"] = self._usage(t0, c0)
            plan.log(stage_log(f"score {m.info.name}", st))
        return StageOutcome(records, scores, corpus, stages, {"stages": usage})

    def _usage(self, t0: float, c0: float) -> dict[str, float | None]:
        """One process runs one stage at a time: its span is its busy time (GPU time is not measured here)."""
        span = time.perf_counter() - t0
        return {
            "actors": 1,
            "busy_s": round(span, 3),
            "cpu_s": round(cpu_seconds() - c0, 3),
            "gpu_s": None,
            "span_s": round(span, 3),
            "start_s": round(t0 - self._t_run, 3),
            "utilisation": 1.0 if span > 0 else None,
        }

    def close(self) -> None:
        if self._adapter is not None:
            self._adapter.close()
