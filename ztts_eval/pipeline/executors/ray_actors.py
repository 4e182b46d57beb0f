"""Ray actors: one adapter per generation actor, one metric per scoring actor, loaded once each.

Actors never open the SQLite store (docs/decisions.md §16): they write audio and arrays to the
content-addressed cache folder (temp file + rename, so two writers of one file are harmless) and
return records; the driver is the only writer of records. Every call also returns how long the
actor was busy and how many CPU seconds it used, so the accounting survives an actor's death.
Actors re-load lazily after Ray restarts them (a SIGKILL mid-batch), so a restart needs no help.
"""

from __future__ import annotations

import os
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from ztts_eval.pipeline.executors.base import cpu_seconds
from ztts_eval.store import Store


def included_files() -> list[str]:
    """Files loaded with --include in the driver: every actor loads them too, so their names resolve."""
    from ztts_eval import registry

    mods = {spec.split(":")[0] for table in registry.INCLUDED.values() for spec in table.values()}
    return sorted(str(sys.modules[m].__file__) for m in mods if m in sys.modules)


def _include(files: list[str]) -> None:
    from ztts_eval import registry

    for f in files:
        registry.include(f)


class ActorStore(Store):
    """The cache folder without the SQLite file: records the metric reads come through the driver's
    node (a read-only `StoreReader`), records it writes go back with the batch for the driver."""

    def __init__(self, root: str | Path, reader: Any = None) -> None:
        super().__init__(root, records="none")
        self._reader = reader
        self.pending: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)

    def get_many(self, table: str, keys: list[str]) -> dict[str, dict[str, Any]]:
        import ray

        found = ray.get(self._reader.get_many.remote(table, keys)) if self._reader is not None and keys else {}
        found.update({k: self.pending[table][k] for k in keys if k in self.pending[table]})
        return found

    def put_many(self, table: str, records: dict[str, dict[str, Any]]) -> None:
        self.pending[table].update(records)

    def take_pending(self) -> dict[str, dict[str, dict[str, Any]]]:
        out, self.pending = dict(self.pending), defaultdict(dict)
        return out


class _Timed:
    """Busy wall seconds and CPU seconds of one call, returned beside its result."""

    def __enter__(self) -> _Timed:
        self.t0, self.c0 = time.perf_counter(), cpu_seconds()
        return self

    def __exit__(self, *exc) -> None:
        self.usage = {"busy_s": time.perf_counter() - self.t0, "cpu_s": cpu_seconds() - self.c0}


class GenerationActor:
    """Holds one loaded adapter; `synthesize` turns a batch of requests into generation records."""

    def __init__(self, model: str, params: dict[str, Any], includes: list[str], cache_root: str) -> None:
        self.model, self.params, self.includes = model, params, includes
        self.store = ActorStore(cache_root)
        self.adapter = None

    def _ensure(self) -> None:
        if self.adapter is None:
            from ztts_eval import registry

            _include(self.includes)
            adapter = registry.adapter_class(self.model)(**self.params)
            adapter.load()
            self.adapter = adapter

    def ping(self) -> int:
        return os.getpid()

    def load(self) -> dict[str, Any]:
        """Load now (setup errors surface before any work) and say what will generate."""
        import socket

        with _Timed() as t:
            self._ensure()
        return {"fingerprint": self.adapter.fingerprint(), "host": socket.gethostname(), "pid": os.getpid(), **t.usage}

    def synthesize(self, batch: list) -> dict[str, Any]:
        from ztts_eval.pipeline.generation import synthesize_records

        with _Timed() as t:
            self._ensure()
            records = synthesize_records(self.adapter, batch, self.store)
        return {"records": records, **t.usage}


class ScoringActor:
    """Holds one metric, set up on first use; scores sample batches or extracts whole-set features."""

    def __init__(self, name: str, params: dict[str, Any], includes: list[str], cache_root: str, reader: Any) -> None:
        self.name, self.params, self.includes = name, params, includes
        self.store = ActorStore(cache_root, reader)
        self.metric = None
        self.ready = False

    def _metric(self):
        if self.metric is None:
            from ztts_eval import registry

            _include(self.includes)
            self.metric = registry.metric_class(self.name)(**self.params)
            self.metric.preflight()
        return self.metric

    def fingerprint(self) -> dict[str, Any]:
        return self._metric().fingerprint()

    def ping(self) -> int:
        return os.getpid()

    def score(self, batch: list, kind: str) -> dict[str, Any]:
        """`kind` "sample": metric rows; "feature": whole-set features shaped as scoring.corpus_scores
        caches them ({"status": "ok", "feature": f} or an error row)."""
        from ztts_eval.metrics.base import error_row
        from ztts_eval.pipeline.scoring import _guarded

        with _Timed() as t:
            metric = self._metric()
            if not self.ready:
                metric.bind_store(self.store)
                metric.setup()
                self.ready = True
            if kind == "sample":
                values = _guarded(metric.score_batch, batch, error_row)
            else:
                values = _guarded(lambda b: [{"status": "ok", "feature": f} for f in metric.features(b)], batch, error_row)
        counters = dict(metric.counters)  # work since the last batch: the driver sums them
        metric.counters.update(dict.fromkeys(counters, 0))
        return {"values": values, "writes": self.store.take_pending(), "counters": counters, **t.usage}

    def close(self) -> None:
        if self.metric is not None and self.ready:
            self.metric.teardown()
            self.ready = False


class StoreReader:
    """Read-only SQLite access on the driver's node, for metrics that keep an intermediate cache
    (Qwen3-ASR transcripts): reads stay on the machine that holds the file."""

    def __init__(self, cache_root: str) -> None:
        self.store = Store(cache_root, records="ro")

    def get_many(self, table: str, keys: list[str]) -> dict[str, dict[str, Any]]:
        return self.store.get_many(table, keys)
