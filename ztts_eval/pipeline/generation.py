"""Generation stage: requests → adapter batches → cached audio + diagnostics records.

Every request ends as a record: ok (with an audio hash) or an error of a named kind. Records are
committed one batch at a time, so a killed run loses at most the batch in flight.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from model_adapters.base import Adapter, AdapterError, SynthesisRequest, SynthesisResult, failure
from ztts_eval.audio import check_signal
from ztts_eval.pipeline.flags import signal_flags
from ztts_eval.pipeline.manifest import Manifest
from ztts_eval.store import Store, generation_key


@dataclass
class StageStats:
    wall_s: float = 0.0
    model_s: float = 0.0  # time inside adapter/metric calls: the rest is harness overhead
    computed: int = 0
    cached: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def build_requests(manifest: Manifest, seeds: list[int], params: dict[str, Any]) -> list[SynthesisRequest]:
    return [
        SynthesisRequest(
            item_id=it.id,
            text=it.text,
            language=it.language,
            prompt_audio=manifest.prompt_path(it),
            prompt_text=it.prompt_text,
            seed=seed,
            params=params,
            reference_audio=manifest.reference_path(it),
        )
        for it in manifest.items
        for seed in seeds
    ]


def result_record(res: SynthesisResult, store: Store) -> dict[str, Any]:
    diag = asdict(res.diagnostics)
    if not res.ok:
        return {"status": res.diagnostics.error_kind or "failed", "error": res.diagnostics.error, "diagnostics": diag}
    bad = check_signal(res.waveform)
    if bad:
        return {"status": "failed", "error": f"adapter returned {bad}", "diagnostics": diag}
    flags = signal_flags(res.waveform)
    sha, _ = store.put_audio(res.waveform, int(res.sample_rate))
    return {"status": "ok", "audio_sha256": sha, "sample_rate": int(res.sample_rate), "flags": flags, "diagnostics": diag}


def _call_adapter(adapter: Adapter, batch: list[SynthesisRequest]) -> list[SynthesisResult]:
    """A batch-level exception or a malformed answer fails that batch's items, never the run."""
    try:
        results = adapter.synthesize(batch)
    except AdapterError:
        raise
    except Exception as exc:
        return [failure(r, f"batch failed: {type(exc).__name__}: {exc}") for r in batch]
    if len(results) != len(batch) or any((res.item_id, res.seed) != (req.item_id, req.seed) for res, req in zip(results, batch)):
        return [failure(r, f"adapter returned {len(results)} results that do not match the {len(batch)} requests") for r in batch]
    return results


def synthesize_records(adapter: Adapter, batch: list[SynthesisRequest], store: Store) -> list[dict[str, Any]]:
    """One adapter call → one record per request (audio written to the store's content-addressed files)."""
    return [result_record(res, store) for res in _call_adapter(adapter, batch)]


def cache_lookup(
    keys: dict[tuple[str, int], str], requests: list[SynthesisRequest], store: Store, *, force: bool, retry_failed: bool
) -> tuple[dict[tuple[str, int], dict[str, Any]], list[SynthesisRequest]]:
    """Split requests into cached records and the ordered list still to synthesize."""
    cached = {} if force else store.get_many("generations", list(keys.values()))
    records: dict[tuple[str, int], dict[str, Any]] = {}
    todo = []
    for r in requests:
        rec = cached.get(keys[(r.item_id, r.seed)])
        if rec is None or (retry_failed and rec["status"] == "failed"):
            todo.append(r)
        else:
            records[(r.item_id, r.seed)] = rec
    return records, todo


def request_keys(
    fp: dict, requests: list[SynthesisRequest], item_shas: dict[str, tuple[str | None, str | None]]
) -> dict[tuple[str, int], str]:
    return {
        (r.item_id, r.seed): generation_key(fp, r.item_id, r.text, r.language, *item_shas[r.item_id], r.seed) for r in requests
    }


def generate(
    adapter: Adapter,
    requests: list[SynthesisRequest],
    item_shas: dict[str, tuple[str | None, str | None]],
    store: Store,
    *,
    force: bool = False,
    retry_failed: bool = False,
    progress: Callable[[int], None] | None = None,
) -> tuple[dict[tuple[str, int], dict[str, Any]], StageStats]:
    """Return {(item_id, seed): record}; compute only what the cache lacks.

    `item_shas` maps item id → (prompt sha256, reference sha256) as validated in the manifest.
    """
    t_start = time.perf_counter()
    stats = StageStats()
    keys = request_keys(adapter.fingerprint(), requests, item_shas)
    records, todo = cache_lookup(keys, requests, store, force=force, retry_failed=retry_failed)
    stats.cached = len(records)
    batch_size = max(1, adapter.capabilities.max_batch)
    for i in range(0, len(todo), batch_size):
        batch = todo[i : i + batch_size]
        t0 = time.perf_counter()
        results = _call_adapter(adapter, batch)
        stats.model_s += time.perf_counter() - t0
        new = {}
        for req, res in zip(batch, results):
            rec = result_record(res, store)
            records[(req.item_id, req.seed)] = rec
            new[keys[(req.item_id, req.seed)]] = rec
        store.put_many("generations", new)
        stats.computed += len(batch)
        if progress:
            progress(len(batch))
    stats.wall_s = time.perf_counter() - t_start
    return records, stats
