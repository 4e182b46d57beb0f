"""Scoring a `process_parallel` sample metric on the run's process pool.

Each worker rebuilds the metric from its class and parameters and sets it up once; batches come
back in input order, so the rows equal in-process scoring (tests/pipeline/test_scoring_pool.py).
At most one batch per worker is handed out at a time, so every batch in the pool is running.
A worker that dies (a native crash, the kernel's OOM killer) breaks the whole pool and Python
cannot say which input did it: the batches that were running and had not finished are retried
one input per fresh process, an input whose process dies again becomes an error row marked
`transient` (not cached: a re-run tries it again), and the rest go on in a new pool. One bad
file costs one row, never the run, as a killed Ray actor does.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from ztts_eval.metrics.base import Metric, ScoreInput, error_row
from ztts_eval.metrics.common.cpu_pool import default_workers, executor, shutdown

Job = tuple[type, dict[str, Any], list[ScoreInput]]
DIED = "the scoring process died on this input (a crash in native code, or out of memory)"


def pooled_batches(metric: Metric, batches: list[list[ScoreInput]]) -> Iterator[list[Any]]:
    """Rows of each batch, in order. The pool is a fresh one, forked now, so it holds every module
    loaded so far (metrics from --include too)."""
    shutdown()
    workers = default_workers()
    jobs: list[Job] = [(type(metric), dict(metric.params), batch) for batch in batches]
    done: dict[int, list[Any]] = {}
    running: dict[Future, int] = {}
    submitted = 0
    for head in range(len(jobs)):
        while head not in done:
            broken: list[int] = []
            while submitted < len(jobs) and len(running) < workers and not broken:
                try:
                    running[executor(workers).submit(score_in_worker, jobs[submitted])] = submitted
                except BrokenProcessPool:
                    broken.append(submitted)
                submitted += 1
            finished = wait(running, return_when=FIRST_COMPLETED).done if running else set()
            broken += _collect(finished, running, done)
            if broken:  # the pool is gone: whatever still runs in it fails too
                broken += _collect(wait(running).done, running, done)
                shutdown()
                for i in sorted(broken):
                    done[i] = [_alone((jobs[i][0], jobs[i][1], [inp])) for inp in jobs[i][2]]
        yield done.pop(head)


def _collect(finished: set[Future], running: dict[Future, int], done: dict[int, list[Any]]) -> list[int]:
    """Move finished batches from `running` to `done`; return the indices whose pool broke under them."""
    broken = []
    for fut in finished:
        i = running.pop(fut)
        try:
            done[i] = fut.result()
        except BrokenProcessPool:
            broken.append(i)
    return broken


def _alone(job: Job) -> Any:
    """One input in a process of its own: its row, or a transient error row when that process dies too."""
    with ProcessPoolExecutor(max_workers=1) as solo:
        try:
            return solo.submit(score_in_worker, job).result()[0]
        except BrokenProcessPool:
            return {**error_row(DIED), "transient": True}


_worker_metric: dict[tuple, Metric] = {}  # in a pool worker: the one metric it has set up


def score_in_worker(job: Job) -> list[Any]:
    """A pool worker's side: the metric rebuilt from its class and parameters, checked and set up
    once per worker (not per batch) and kept until the pool ends with the stage."""
    from ztts_eval.pipeline.scoring import _guarded

    cls, params, batch = job
    key = (cls, repr(sorted(params.items())))
    metric = _worker_metric.get(key)
    if metric is None:
        for old in _worker_metric.values():
            old.teardown()
        _worker_metric.clear()
        metric = cls(**params)
        metric.preflight()  # what setup() may read (located weights) is resolved here, as in the parent
        metric.setup()
        _worker_metric[key] = metric
    return _guarded(metric.score_batch, batch, error_row)
