"""One process pool per run for CPU-bound work that holds the GIL (pyworld's DIO + StoneMask, the
pocketsphinx decoder of metrics declared `process_parallel`).

Creating a pool per batch cost a fork of the whole process per 16 clips; this one is created on
first use and shut down at the end of the run (the runner calls `shutdown()`, and so does
interpreter exit). Results come back in input order, so they are identical to a sequential loop.
"""

from __future__ import annotations

import atexit
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

MIN_ITEMS = 4  # below this a pool costs more than it saves

_pool: ProcessPoolExecutor | None = None
_pool_workers = 0


def default_workers() -> int:
    """The cores this process may run on (a container's or `taskset`'s limit, not the host's)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, cores or 1)


def executor(workers: int | None = None) -> ProcessPoolExecutor:
    """The run's pool with `workers` processes (default: every core), started if need be."""
    global _pool, _pool_workers
    workers = workers or default_workers()
    if _pool is None or _pool_workers != workers:
        shutdown()
        _pool, _pool_workers = ProcessPoolExecutor(max_workers=workers, initializer=_in_worker), workers
    return _pool


def _in_worker() -> None:
    """A forked worker inherits the parent's handle on the pool: it must never submit to it."""
    global _pool, _pool_workers
    _pool, _pool_workers = None, 0


def cpu_map(fn: Callable[[Any], Any], jobs: Sequence[Any], workers: int | None = None) -> list[Any]:
    """`[fn(j) for j in jobs]`, spread over the run's process pool; `fn` must be a module-level
    function (workers receive it by reference)."""
    workers = workers or default_workers()
    if workers <= 1 or len(jobs) < MIN_ITEMS:
        return [fn(j) for j in jobs]
    return list(executor(workers).map(fn, jobs, chunksize=max(1, len(jobs) // (4 * workers))))


def shutdown(kill: bool = False) -> None:
    """End the pool (end of a run, or of a stage whose workers hold models); the next call starts a
    new one. `kill` (an interrupted stage) stops the workers mid-task instead of letting the tasks
    already handed to them finish."""
    global _pool, _pool_workers
    if _pool is not None:
        if kill:
            for proc in list((getattr(_pool, "_processes", None) or {}).values()):
                proc.terminate()
        _pool.shutdown(wait=True, cancel_futures=True)
    _pool, _pool_workers = None, 0


def pool_started() -> bool:
    return _pool is not None


atexit.register(shutdown)
