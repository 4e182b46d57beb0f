"""Scoring stage, metric-major: one metric's model is loaded at a time, over every sample.

Scores are cached by (metric fingerprint, audio hash, text/language/prompt), so adding a system
or a metric costs only the new work. A metric that throws on a batch is retried item by item, and
an item that still throws becomes an error row.
"""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any, Callable

from ztts_eval.generation import StageStats
from ztts_eval.metrics.base import ERROR, CorpusMetric, Metric, SampleMetric, ScoreInput, error_row
from ztts_eval.store import Store, score_key

BATCH = 16


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
) -> tuple[dict[str, Any], StageStats]:
    """Apply `fn` to every input lacking a cached value; return {input key: value} and stats."""
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
    if hasattr(metric, "bind_store"):
        metric.bind_store(store)  # metrics with their own intermediate cache (ASR transcripts)
    if todo:
        t0 = time.perf_counter()
        metric.setup()
        stats.model_s += time.perf_counter() - t0
        try:
            size = getattr(metric, "batch_size", BATCH)
            for i in range(0, len(todo), size):
                batch = todo[i : i + size]
                t0 = time.perf_counter()
                values = _guarded(fn, batch, on_error)
                stats.model_s += time.perf_counter() - t0
                store.put_many("scores", {keyed[inp.key]: {"value": v} for inp, v in zip(batch, values)})
                out.update({inp.key: v for inp, v in zip(batch, values)})
                stats.computed += len(batch)
                if progress:
                    progress(len(batch))
        finally:
            metric.teardown()
    stats.extra.update(getattr(metric, "counters", {}))
    stats.wall_s = time.perf_counter() - t_start
    return out, stats


def noise_set_inputs(store: Store) -> list[ScoreInput]:
    """TTSDS2's synthetic noise sets as score inputs (subset = noise kind), written into the cache."""
    from ztts_eval.hashing import sha256_file
    from ztts_eval.noise_sets import write_noise_sets

    out = []
    for kind, paths in write_noise_sets(store.root).items():
        for i, path in enumerate(paths):
            out.append(ScoreInput(key=f"noise:{kind}:{i}", item_id=f"noise-{kind}-{i}", seed=0, language="", subset=kind,
                                  text="", audio_path=path, audio_sha256=sha256_file(path), prompt_path=None, prompt_sha256=None))
    return out


def score_samples(metric: SampleMetric, inputs, store, *, force=False, progress=None):
    return cached_map(metric, inputs, store, metric.score_batch, error_row, force=force, progress=progress)


def corpus_scores(
    metric: CorpusMetric,
    system_inputs: list[ScoreInput],
    reference_inputs: list[ScoreInput],
    store: Store,
    *,
    force: bool = False,
) -> tuple[dict[tuple[str, str], dict[str, Any]], StageStats]:
    """Per (subset, language) group: the metric computed against that group's reference set."""
    t_start = time.perf_counter()

    def feature_error(msg: str) -> dict[str, Any]:
        return {"status": ERROR, "error": msg}

    def wrapped(batch):
        return [{"status": "ok", "feature": f} for f in metric.features(batch)]

    needs_reference = "reference_set" in metric.info.inputs
    # languages the metric does not run for are never extracted (they summarise as not covered)
    system_inputs = [i for i in system_inputs if metric.covers(i.language)]
    reference_inputs = [i for i in reference_inputs if needs_reference and metric.covers(i.language)]
    sys_feats, stats = cached_map(metric, system_inputs, store, wrapped, feature_error, force=force, progress=None)
    ref_feats, ref_stats = cached_map(metric, reference_inputs, store, wrapped, feature_error, force=force, progress=None)
    stats.computed += ref_stats.computed
    stats.cached += ref_stats.cached
    stats.model_s += ref_stats.model_s
    noise = None
    if "noise_set" in metric.info.inputs:
        noise_inputs = noise_set_inputs(store)
        noise_feats, noise_stats = cached_map(metric, noise_inputs, store, wrapped, feature_error, force=force, progress=None)
        stats.computed += noise_stats.computed
        stats.cached += noise_stats.cached
        noise = {}
        for inp in noise_inputs:
            value = noise_feats[inp.key]
            if value["status"] != "ok":
                raise RuntimeError(f"noise clip {inp.key}: {value['error']}")
            noise.setdefault(inp.subset, []).append(value["feature"])
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
