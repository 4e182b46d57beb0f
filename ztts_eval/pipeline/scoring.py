"""Scoring stage, metric-major: one metric's model is loaded at a time, over every sample.

Scores are cached by (metric fingerprint, audio hash, text/language/prompt), so adding a system
or a metric costs only the new work. A metric that throws on a batch is retried item by item, and
an item that still throws becomes an error row. A metric whose rows depend on nothing but their own
input (`process_parallel`) is spread over the run's process pool: every core, same rows.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

from ztts_eval.metrics.base import ERROR, CorpusMetric, Metric, SampleMetric, ScoreInput, error_row
from ztts_eval.metrics.common.cpu_pool import default_workers, shutdown
from ztts_eval.pipeline.generation import StageStats
from ztts_eval.store import Store, score_key


def _input_key(metric: Metric, inp: ScoreInput, fp: dict) -> str:
    # Only the inputs the metric declares enter the key: a text fix does not re-run a MOS model.
    needs = metric.info.inputs
    return score_key(
        fp,
        inp.audio_sha256,
        {
            "text": inp.text if "text" in needs else None,
            "language": inp.language,
            "prompt": inp.prompt_sha256 if "prompt" in needs else None,
        },
    )


def _guarded(fn: Callable[[list[ScoreInput]], list[Any]], batch: list[ScoreInput], on_error: Callable[[str], Any]) -> list[Any]:
    """Run a batch; if it throws, retry item by item so only the failing item becomes an error."""
    try:
        out = fn(batch)
        if len(out) != len(batch):
            raise RuntimeError(f"metric returned {len(out)} rows for {len(batch)} inputs")
        return out
    except Exception as exc:
        if len(batch) == 1:
            return [on_error(f"{type(exc).__name__}: {exc}")]
    return [_guarded(fn, [inp], on_error)[0] for inp in batch]


def cached_map(
    metric: Metric,
    inputs: list[ScoreInput],
    store: Store,
    fn: Callable[[list[ScoreInput]], list[Any]],
    on_error: Callable[[str], Any],
    *,
    force: bool,
    progress: Callable[[int], None] | None,
    release: bool = True,
    pool: bool = False,
) -> tuple[dict[str, Any], StageStats]:
    """Apply `fn` to every input lacking a cached value; return {input key: value} and stats.

    The metric's models are loaded only when something is computed, and released afterwards unless
    `release` is False (a whole-set metric's three input sets share one load: corpus_scores).
    With `pool`, a metric that declares `process_parallel` runs `score_batch` on the run's process
    pool instead, one set-up copy per worker, batches returned and stored in input order."""
    t_start = time.perf_counter()
    stats = StageStats()
    fp = metric.fingerprint()
    keyed = {inp.key: _input_key(metric, inp, fp) for inp in inputs}
    cached = {} if force else store.get_many("scores", list(set(keyed.values())))
    out: dict[str, Any] = {}
    todo = []
    for inp in inputs:
        rec = cached.get(keyed[inp.key])
        if rec is None:
            todo.append(inp)
        else:
            out[inp.key] = rec["value"]
            stats.cached += 1
    metric.bind_store(store)  # metrics with their own intermediate cache (ASR transcripts, frames)
    if todo:
        # even one input or one core: a crash in the metric's native code then costs a row, not the run
        pooled = pool and metric.process_parallel
        size = max(1, metric.batch_size)
        if pooled:  # tasks small enough to keep every worker busy to the end (rows do not depend on batching)
            size = min(size, -(-len(todo) // (8 * default_workers())))
        batches = [todo[i : i + size] for i in range(0, len(todo), size)]
        if pooled:
            from ztts_eval.pipeline.scoring_pool import pooled_batches

            results = pooled_batches(metric, batches)
        else:
            results = _in_process(metric, fn, on_error, batches)
        t0 = time.perf_counter()
        try:
            for batch, values in zip(batches, results):  # in order, each stored as soon as it is back
                stats.model_s += time.perf_counter() - t0
                # a transient error (the scoring process died) is reported, not cached: a re-run retries it
                lasting = {keyed[inp.key]: {"value": v} for inp, v in zip(batch, values) if not _transient(v)}
                store.put_many("scores", lasting)
                out.update({inp.key: v for inp, v in zip(batch, values)})
                stats.computed += len(batch)
                if progress:
                    progress(len(batch))
                t0 = time.perf_counter()
        except BaseException:
            if pooled:
                shutdown(kill=True)  # interrupted: stop the workers now, not after the batches they hold
            raise
        finally:
            if pooled:
                shutdown()  # the workers' copies of the model go with them
            elif release:
                metric.teardown()
    stats.extra.update(metric.counters)
    stats.wall_s = time.perf_counter() - t_start
    return out, stats


def _transient(value: Any) -> bool:
    return isinstance(value, dict) and value.get("transient") is True


def _in_process(metric: Metric, fn, on_error, batches: list[list[ScoreInput]]) -> Iterator[list[Any]]:
    """The batches here, the metric's models loaded on first use (setup time counts as its work)."""
    metric.setup()
    for batch in batches:
        yield _guarded(fn, batch, on_error)


def score_samples(metric: SampleMetric, inputs, store, *, force=False, progress=None):
    return cached_map(metric, inputs, store, metric.score_batch, error_row, force=force, progress=progress, pool=True)


def corpus_scores(
    metric: CorpusMetric,
    system_inputs: list[ScoreInput],
    reference_inputs: list[ScoreInput],
    store: Store,
    *,
    force: bool = False,
) -> tuple[dict[tuple[str, str], dict[str, Any]], StageStats]:
    """Per (subset, language) group: the metric computed against that group's reference set."""

    def feature_error(msg: str) -> dict[str, Any]:
        return {"status": ERROR, "error": msg}

    def wrapped(batch):
        return [{"status": "ok", "feature": f} for f in metric.features(batch)]

    needs_reference = "reference_set" in metric.info.inputs
    # languages the metric does not run for are never extracted (they summarise as not covered)
    system_inputs = [i for i in system_inputs if metric.covers(i.language)]
    reference_inputs = [i for i in reference_inputs if needs_reference and metric.covers(i.language)]
    try:
        return _corpus_scores(metric, system_inputs, reference_inputs, store, wrapped, feature_error, force, needs_reference)
    finally:
        metric.teardown()  # once, after all three sets (a no-op for metrics that load nothing)


def _corpus_scores(metric, system_inputs, reference_inputs, store, wrapped, feature_error, force, needs_reference):
    t_start = time.perf_counter()
    common = dict(force=force, progress=None, release=False)
    sys_feats, stats = cached_map(metric, system_inputs, store, wrapped, feature_error, **common)
    ref_feats, ref_stats = cached_map(metric, reference_inputs, store, wrapped, feature_error, **common)
    stats.computed += ref_stats.computed
    stats.cached += ref_stats.cached
    stats.model_s += ref_stats.model_s
    noise = None
    t0 = time.perf_counter()
    extra_sets = metric.extra_sets(store)  # e.g. synthesising TTSDS2's noise clips: the metric's work
    stats.model_s += time.perf_counter() - t0
    if extra_sets:
        flat = [inp for inputs in extra_sets.values() for inp in inputs]
        extra_feats, extra_stats = cached_map(metric, flat, store, wrapped, feature_error, **common)
        stats.computed += extra_stats.computed
        stats.cached += extra_stats.cached
        stats.model_s += extra_stats.model_s
        noise = {}
        for name, inputs in extra_sets.items():
            for inp in inputs:
                value = extra_feats[inp.key]
                if value["status"] != "ok":
                    raise RuntimeError(f"{name} clip {inp.key}: {value['error']}")
                noise.setdefault(name, []).append(value["feature"])
    groups: dict[tuple[str, str], dict[str, list]] = defaultdict(lambda: {"sys": [], "ref": [], "inputs": [], "errors": []})
    for inputs, feats, side in ((system_inputs, sys_feats, "sys"), (reference_inputs, ref_feats, "ref")):
        for inp in inputs:
            value = feats[inp.key]
            g = groups[(inp.subset, inp.language)]
            if value["status"] == "ok":
                g[side].append(value["feature"])
                if side == "sys":
                    g["inputs"].append(inp)
            else:
                g["errors"].append(f"{side}:{inp.key}: {value['error']}")
    results = {}
    t0 = time.perf_counter()
    for group, g in groups.items():
        res: dict[str, Any] = {"n_system": len(g["sys"]), "n_reference": len(g["ref"]), "errors": g["errors"]}
        if not g["sys"] or (needs_reference and not g["ref"]):
            res["status"] = "not_covered"
            res["reason"] = "no system samples" if not g["sys"] else "no reference recordings in this group"
        else:
            try:
                res.update(metric.compute(g["sys"], g["ref"], g["inputs"], noise))
                res["status"] = "ok"
            except Exception as exc:
                res.update({"status": ERROR, "error": f"{type(exc).__name__}: {exc}"})
        results[group] = res
    stats.model_s += time.perf_counter() - t0
    stats.wall_s = time.perf_counter() - t_start
    return results, stats
