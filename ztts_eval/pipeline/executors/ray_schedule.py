"""The overlapped schedule: generation batches on generation actors, and each item's scoring as
soon as its audio exists, on one actor per metric; the driver writes every record.

Faults: an actor that dies (SIGKILL, OOM, lost node) fails the batches it held; each is sent
again, split into single items so one poisonous item cannot sink its neighbours, until an item
has lived through `max_attempts` deaths — then it becomes a failed (generation) or error (score)
row, as a batch exception does in the local executor. Ray restarts the actor (it re-loads lazily).
A result is recorded once per key (dict + INSERT OR REPLACE), so a retry never duplicates a row.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from model_adapters.base import failure
from ztts_eval.pipeline.executors.ray_feeds import Batch, Feed
from ztts_eval.pipeline.generation import result_record

PING_LIMIT = 240  # half-second tries for a restarted actor to answer (2 minutes) before the run stops


@dataclass
class Pool:
    """The actors of one stage and what each holds in flight: one batch each, so an actor's death
    fails exactly the batch it was running (a queued batch behind it would be charged an attempt
    it did not cause); the driver's turnaround between batches is milliseconds."""

    actors: list[Any]
    gpus: float
    depth: int = 1
    inflight: dict[int, int] = field(default_factory=dict)
    pings: dict[int, int] = field(default_factory=dict)  # failed pings in a row, per actor

    def free(self) -> int | None:
        load = {i: self.inflight.get(i, 0) for i in range(len(self.actors))}
        best = min(load, key=load.get)
        return best if load[best] < self.depth else None


@dataclass
class Usage:
    busy_s: float = 0.0
    cpu_s: float = 0.0
    gpu_s: float = 0.0
    deaths: int = 0
    first_s: float | None = None
    last_s: float = 0.0


class Schedule:
    def __init__(self, ray: Any, store: Any, max_attempts: int, progress: Any) -> None:
        self.ray, self.store, self.max_attempts, self.progress = ray, store, max_attempts, progress
        self.t0 = time.perf_counter()
        self.gen_queue: deque[Batch] = deque()
        self.feeds: dict[str, list[Feed]] = {}  # metric → its feeds; all share the metric's actor pool
        self.pools: dict[str, Pool] = {}  # stage → actors
        self.flight: dict[Any, tuple[Batch | None, Pool, int]] = {}  # object ref → (batch or None for a ping, pool, actor)
        self.usage: dict[str, Usage] = {}
        self.counters: dict[str, dict[str, int]] = {}
        self.on_records = None  # callable(list[(request, record)]) set by the executor

    # -- dispatch ---------------------------------------------------------------------------------
    def _submit(self, batch: Batch, pool: Pool) -> bool:
        i = pool.free()
        if i is None:
            return False
        actor = pool.actors[i]
        if batch.kind == "generate":
            ref = actor.synthesize.remote(batch.items)
        else:
            ref = actor.score.remote(batch.items, batch.kind)
        self.flight[ref] = (batch, pool, i)
        pool.inflight[i] = pool.inflight.get(i, 0) + 1
        u = self.usage.setdefault(batch.stage, Usage())
        u.first_s = u.first_s if u.first_s is not None else time.perf_counter() - self.t0
        return True

    def _dispatch(self) -> None:
        while self.gen_queue and self._submit(self.gen_queue[0], self.pools["generate"]):
            self.gen_queue.popleft()
        for metric, feeds in self.feeds.items():
            pool = self.pools[metric]
            for feed in feeds:
                while feed.ready and self._submit(feed.ready[0], pool):
                    feed.ready.popleft()

    # -- results ----------------------------------------------------------------------------------
    def step(self) -> bool:
        """Dispatch what can go, wait for one result, record it. False when nothing is left."""
        self._dispatch()
        if not self.flight:
            return False
        (ref,), _ = self.ray.wait(list(self.flight), num_returns=1)
        batch, pool, i = self.flight.pop(ref)
        if batch is None:
            return self._pinged(ref, pool, i)
        u = self.usage[batch.stage]
        try:
            out = self.ray.get(ref)
        except self.ray.exceptions.RayActorError as exc:
            # The actor was alive when it got the batch (see _pinged) and holds one at a time: it died on this one.
            u.deaths += 1
            self._retry(batch, f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}".strip())
            self._ping(pool, i)  # the slot stays taken until Ray has restarted the actor
            return True
        except self.ray.exceptions.RayTaskError as exc:  # the code raised: what the local executor would raise
            raise exc.cause if isinstance(exc.cause, BaseException) else exc from None
        pool.inflight[i] -= 1
        u.busy_s += out["busy_s"]
        u.cpu_s += out["cpu_s"]
        u.gpu_s += out["busy_s"] * pool.gpus
        u.last_s = time.perf_counter() - self.t0
        if batch.kind == "generate":
            self.on_records(list(zip(batch.items, out["records"])))
        else:
            for table, rows in out["writes"].items():  # a metric's own intermediate records (transcripts)
                self.store.put_many(table, rows)
            batch.feed.finish(batch, out["values"])
            totals = self.counters.setdefault(batch.feed.metric.info.name, {})
            for k, v in out["counters"].items():
                totals[k] = totals.get(k, 0) + v
        self.progress.update(batch.stage, len(batch.items))
        return True

    def _ping(self, pool: Pool, i: int) -> None:
        self.flight[pool.actors[i].ping.remote()] = (None, pool, i)

    def _pinged(self, ref: Any, pool: Pool, i: int) -> bool:
        """A restarted actor answers before it gets work again, so a batch sent to a restarting
        actor is never charged an attempt for a death it did not see (bounded: PING_LIMIT tries)."""
        try:
            self.ray.get(ref)
        except self.ray.exceptions.RayActorError:
            pool.pings[i] = pool.pings.get(i, 0) + 1
            if pool.pings[i] > PING_LIMIT:
                raise RuntimeError(f"a Ray actor did not come back after {PING_LIMIT} tries; see `ray status`") from None
            time.sleep(0.5)
            self._ping(pool, i)
            return True
        pool.pings[i] = 0
        pool.inflight[i] -= 1
        return True

    def _retry(self, batch: Batch, why: str) -> None:
        attempts = batch.attempts + 1
        if attempts >= self.max_attempts:
            msg = f"{'generation' if batch.kind == 'generate' else 'scoring'} actor died {attempts} times on this item (last: {why})"
            if batch.kind == "generate":
                self.on_records([(req, result_record(failure(req, msg), self.store)) for req in batch.items])
            else:
                batch.feed.give_up(batch, msg)
            self.progress.update(batch.stage, len(batch.items))
            return
        singles = [Batch(batch.stage, [x], batch.kind, batch.feed, attempts) for x in batch.items]
        queue = self.gen_queue if batch.kind == "generate" else batch.feed.ready
        queue.extendleft(reversed(singles))  # next in line, in their order

    # -- accounting -------------------------------------------------------------------------------
    def accounting(self) -> dict[str, dict[str, Any]]:
        out = {}
        for stage, u in self.usage.items():
            pool = self.pools["generate" if stage == "generate" else stage.split(":", 1)[1]]
            span = max(0.0, u.last_s - (u.first_s or 0.0))
            out[stage] = {
                "actors": len(pool.actors),
                "busy_s": round(u.busy_s, 3),
                "cpu_s": round(u.cpu_s, 3),
                "gpu_s": round(u.gpu_s, 3),
                "span_s": round(span, 3),
                "start_s": round(u.first_s or 0.0, 3),
                "utilisation": round(u.busy_s / (len(pool.actors) * span), 3) if span > 0 else None,
                "actor_deaths": u.deaths,
            }
        return out
