"""Scoring a `process_parallel` sample metric on the run's process pool.

Each worker rebuilds the metric from its class and parameters and sets it up once; batches come
back in input order, so the rows equal in-process scoring (tests/pipeline/test_scoring_pool.py).
A worker that dies (a native crash, the kernel's OOM killer) breaks the whole pool, and Python
cannot say which input did it: the batch in flight is then retried one input per fresh process,
an input whose process dies again becomes an error row naming the exit, and the remaining batches
go to a new pool — one bad file costs one row, never the run (as a killed Ray actor does).
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from ztts_eval.metrics.base import Metric, ScoreInput, error_row
from ztts_eval.metrics.common.cpu_pool import cpu_imap, shutdown

Job = tuple[type, dict[str, Any], list[ScoreInput]]


def pooled_batches(metric: Metric, batches: list[list[ScoreInput]]) -> Iterator[list[Any]]:
    """Rows of each batch, in order, computed on the run's pool (a fresh one, forked now, so it
    holds every module loaded so far: metrics from --include too)."""
    shutdown()
    jobs: list[Job] = [(type(metric), dict(metric.params), batch) for batch in batches]
    results = cpu_imap(score_in_worker, jobs)
    for i, job in enumerate(jobs):
        try:
            yield next(results)
        except BrokenProcessPool:
            shutdown()
            yield [_alone((job[0], job[1], [inp])) for inp in job[2]]
            results = cpu_imap(score_in_worker, jobs[i + 1 :])


def _alone(job: Job) -> Any:
    """One input in a process of its own: its row, or an error row when that process dies too."""
    with ProcessPoolExecutor(max_workers=1) as solo:
        try:
            return solo.submit(score_in_worker, job).result()[0]
        except BrokenProcessPool:
            return error_row("the scoring process died on this input (a crash in native code or out of memory)")


_worker_metric: dict[tuple, Metric] = {}  # in a pool worker: the one metric it has set up


def score_in_worker(job: Job) -> list[Any]:
    """A pool worker's side: the metric rebuilt from its class and parameters, set up once per
    worker (not per batch) and kept until the pool ends with the stage."""
    from ztts_eval.pipeline.scoring import _guarded

    cls, params, batch = job
    key = (cls, repr(sorted(params.items())))
    metric = _worker_metric.get(key)
    if metric is None:
        for old in _worker_metric.values():
            old.teardown()
        _worker_metric.clear()
        metric = cls(**params)
        metric.setup()
        _worker_metric[key] = metric
    return _guarded(metric.score_batch, batch, error_row)
