"""`ztts-eval run`: validate → preflight → generate → score (metric-major) → summarize → write.

Everything expensive is cached by content (ztts_eval.store), so running the same command again
after a crash or a kill continues where it stopped, and a finished run re-runs in seconds.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ztts_eval import registry
from ztts_eval.metrics.base import Metric, ScoreInput
from ztts_eval.pipeline.aggregate import summarize
from ztts_eval.pipeline.executors import StagePlan, make_executor
from ztts_eval.pipeline.file_checks import FileChecks
from ztts_eval.pipeline.flags import manifest_input_flags, sample_flags
from ztts_eval.pipeline.generation import StageStats, build_requests
from ztts_eval.pipeline.manifest import Manifest, load_manifest
from ztts_eval.pipeline.results import RunPaths, SampleRow, is_reference, log, write_run
from ztts_eval.pipeline.run_metadata import environment, utc_now
from ztts_eval.pipeline.subset import limit_manifest
from ztts_eval.pipeline.validate import validate_manifest
from ztts_eval.report.comparable import scorer_identity
from ztts_eval.setup.params import check_params
from ztts_eval.store import Store, audio_relpath


class RunError(RuntimeError):
    """Stops the run before any work; the message says what to fix."""


@dataclass
class RunConfig:
    model: str
    suite: str
    profile: str = "lite"
    seeds: list[int] = field(default_factory=lambda: [0])
    params: dict[str, Any] = field(default_factory=dict)
    name: str | None = None
    results_dir: Path = Path("results")
    cache_dir: Path | None = None
    force: frozenset[str] = frozenset()  # "generate", "score", or metric names
    retry_failed: bool = False
    revalidate: bool = False  # decode and hash every manifest file again, ignoring file_checks.sqlite
    metrics: list[str] | None = None  # overrides the profile's list ([]: generate only)
    limit: int | None = None  # a stratified subset of N items (ztts_eval.pipeline.subset), recorded
    metric_params: dict[str, dict[str, str]] = field(default_factory=dict)  # {metric: {param: value}}
    argv: list[str] | None = None
    executor: str = "local"  # where the stages run: "local" or "ray" (ztts_eval.pipeline.executors)
    executor_options: dict[str, Any] = field(default_factory=dict)  # e.g. {"address": "auto"} for ray


@dataclass
class RunOutcome:
    paths: RunPaths
    summary: list[dict[str, Any]]
    stages: dict[str, StageStats]

    @property
    def out_dir(self) -> Path:
        return self.paths.dir


def _log(paths: RunPaths, message: str) -> None:
    log(paths, message, utc_now())


def load_valid_manifest(suite: str, cache_dir: Path | None = None, revalidate: bool = False) -> Manifest:
    """The suite's manifest once it has no problem; files unchanged since their last check (path,
    size, mtime under `cache_dir`) are not decoded and hashed again."""
    path = registry.suite_manifest(suite)
    with FileChecks(cache_dir, revalidate=revalidate) as checks:
        problems = validate_manifest(path, checks=checks)
        if not problems:  # a refused run writes nothing
            checks.save()
    if problems:
        shown = "\n  ".join(str(p) for p in problems[:20])
        more = f"\n  … and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise RunError(f"manifest {path} has {len(problems)} problem(s); fix them first:\n  {shown}{more}")
    return load_manifest(path)


def _score_inputs(manifest: Manifest, records: dict, store: Store, reference_system: bool) -> list[ScoreInput]:
    items = {it.id: it for it in manifest.items}
    inputs = []
    for (item_id, seed), rec in records.items():
        if rec["status"] != "ok":
            continue
        it = items[item_id]
        # The recordings themselves (by the adapter's role, not its name) have a same-speaker prompt
        # only where the suite pairs speakers (docs/decisions.md §1).
        same_speaker = not reference_system or it.speaker_id is not None
        inputs.append(
            ScoreInput(
                key=f"{item_id}#{seed}",
                item_id=item_id,
                seed=seed,
                language=it.language,
                subset=it.subset,
                text=it.text,
                audio_path=store.audio_path(rec["audio_sha256"]),
                audio_sha256=rec["audio_sha256"],
                prompt_path=manifest.prompt_path(it) if same_speaker else None,
                prompt_sha256=it.prompt_sha256 if same_speaker else None,
            )
        )
    return inputs


def _reference_inputs(manifest: Manifest) -> list[ScoreInput]:
    """The suite's real recordings: the reference set of whole-set metrics."""
    return [
        ScoreInput(
            key=f"ref:{it.id}",
            item_id=it.id,
            seed=0,
            language=it.language,
            subset=it.subset,
            text=it.text,
            audio_path=manifest.reference_path(it),
            audio_sha256=it.reference_sha256,
            prompt_path=None,
            prompt_sha256=None,
        )
        for it in manifest.items
        if it.reference_audio
    ]


def _rows(
    manifest: Manifest,
    seeds: list[int],
    records: dict,
    scores: dict,
    store: Store,
    system: str,
    results_dir: Path,
    item_flags: dict[str, list[str]],
) -> list[SampleRow]:
    rows: list[SampleRow] = []
    # relpath is lexical: the store's relative location once, joined to each file's place in it
    # (the same strings as relpath of every file, without 10,000 relpath calls on a large suite)
    store_rel = os.path.relpath(store.root, results_dir)
    for it in manifest.items:
        for seed in seeds:
            rec = records[(it.id, seed)]
            key = f"{it.id}#{seed}"
            diag = rec.get("diagnostics", {})
            flags = sample_flags(rec, it.text, it.language) + item_flags.get(it.id, [])
            row: SampleRow = {
                "system": system,
                "item_id": it.id,
                "seed": seed,
                "subset": it.subset,
                "language": it.language,
                "text": it.text,
                "utmos_bin": it.utmos_bin,
                "status": rec["status"],
                "error": rec.get("error"),
                "flags": flags,
                "audio_sha256": rec.get("audio_sha256"),
                "audio_path": os.path.normpath(os.path.join(store_rel, audio_relpath(rec["audio_sha256"])))
                if rec["status"] == "ok"
                else None,
                "duration_s": diag.get("duration_s"),
                "latency_s": diag.get("latency_s"),
                "eos_reached": diag.get("eos_reached"),
                "scores": {name: values[key] for name, values in scores.items() if key in values},
            }
            rows.append(row)
    return rows


def run_evaluation(cfg: RunConfig) -> RunOutcome:
    t_start = time.perf_counter()
    started = utc_now()
    if cfg.metrics is not None:
        metric_names = registry.resolve_quality(cfg.metrics, cfg.metric_params)
    else:
        metric_names = registry.profile_metrics(cfg.profile, cfg.metric_params)
    unknown = set(cfg.metric_params) - set(metric_names)
    if unknown:
        raise RunError(f"--metric-param names metric(s) not in this run: {', '.join(sorted(unknown))}")
    # Typed and known before any work: a misspelt name must never run at the default silently.
    cfg.params = check_params("model", cfg.model, registry.adapter_class(cfg.model), cfg.params)
    cfg.metric_params = {n: check_params("metric", n, registry.metric_class(n), p) for n, p in cfg.metric_params.items()}
    cache_dir = cfg.cache_dir or Path(cfg.results_dir) / ".cache"
    manifest, limit = limit_manifest(load_valid_manifest(cfg.suite, cache_dir, cfg.revalidate), cfg.limit)
    suite_name = manifest.items[0].suite
    metrics: list[Metric] = [registry.metric_class(n)(**cfg.metric_params.get(n, {})) for n in metric_names]
    _preflight_all(metrics, cfg)
    adapter = registry.adapter_class(cfg.model)(**cfg.params)
    executor = make_executor(cfg.executor, **cfg.executor_options)
    try:
        executor.load(adapter, cfg.model, metrics, cfg.metric_params, cache_dir)
    except BaseException:
        executor.close()
        raise
    system = cfg.name or cfg.model
    paths = RunPaths(Path(cfg.results_dir), suite_name, system, cfg.profile)
    seeds = seeds_for(cfg.seeds, metrics)
    if seeds != cfg.seeds:
        _log(paths, f"seeds {cfg.seeds} -> {seeds}: a metric compares several generations per item")
        cfg.seeds = seeds
    store = Store(cache_dir)
    stages: dict[str, StageStats] = {}
    try:
        plan = StagePlan(
            model=cfg.model,
            params=cfg.params,
            requests=build_requests(manifest, cfg.seeds, cfg.params),
            item_shas={it.id: (it.prompt_sha256, it.reference_sha256) for it in manifest.items},
            store=store,
            metrics=metrics,
            metric_params=cfg.metric_params,
            force=cfg.force,
            retry_failed=cfg.retry_failed,
            score_inputs=lambda recs: _score_inputs(manifest, recs, store, is_reference(adapter.group)),
            reference_inputs=_reference_inputs(manifest),
            system=system,
            log=lambda message: _log(paths, message),
        )
        done = executor.run(plan)
        records, scores, corpus, stages = done.records, done.scores, done.corpus, done.stages
        with FileChecks(cache_dir) as checks:  # validated moments ago: the flags come from that cache
            item_flags = manifest_input_flags(manifest, checks)
            checks.save()
        rows = _rows(manifest, cfg.seeds, records, scores, store, system, Path(cfg.results_dir), item_flags)
        summary = summarize(rows, [m.info for m in metrics], corpus)
        caps = adapter.capabilities
        head = {"system": system, "model": cfg.model, "suite": suite_name, "profile": cfg.profile, "seeds": cfg.seeds}
        meta = {
            **head,
            "argv": cfg.argv,
            "params": cfg.params,
            "metric_params": cfg.metric_params,
            "force": sorted(cfg.force),
            "retry_failed": cfg.retry_failed,
            "manifest": {"path": str(manifest.path), "sha256": manifest.sha256, "rows": len(manifest.items)},
            "limit": limit,
            "adapter": {"fingerprint": executor.adapter_fingerprint(), "capabilities": _caps_json(caps)},
            "metrics": {m.info.name: m.fingerprint() for m in metrics},
            "environment": environment(registry.REPO_ROOT),
            "started": started,
            "finished": utc_now(),
            "stages": {k: vars(v) for k, v in stages.items()},
            "executor": {**executor.describe(), **done.accounting},
            "wall_s": time.perf_counter() - t_start,
        }
        write_run(
            paths,
            rows,
            {
                **head,
                "zero_shot_cloning": caps.zero_shot_cloning,
                "group": adapter.group,
                "published_name": adapter.published_name,
                "manifest_sha256": manifest.sha256,
                "limit": limit,
                "metrics": [m.info.to_json() for m in metrics],
                "scorers": {m.info.name: scorer_identity(m) for m in metrics},
                "groups": summary,
            },
            meta,
        )
    finally:
        from ztts_eval.metrics.common.cpu_pool import shutdown

        shutdown()  # the run's one process pool (pyworld features)
        executor.close()
        store.close()
    return RunOutcome(paths=paths, summary=summary, stages=stages)


def _preflight_all(metrics: list[Metric], cfg: RunConfig) -> None:
    """Every metric's preflight, then the model's pieces (checked, not loaded) when any failed:
    all missing pieces in one message, before any work (the form `ztts-eval doctor` prints)."""
    from ztts_eval.metrics.base import MetricSetupError

    failed = {}
    for m in metrics:
        try:
            m.preflight()
        except MetricSetupError as exc:
            failed[m.info.name] = str(exc)
    if failed:
        from ztts_eval.setup.doctor import check, missing_lines
        from ztts_eval.setup.pieces import pieces_for

        pieces = pieces_for(cfg.model, [m.info.name for m in metrics], cfg.params, cfg.metric_params)
        problems = missing_lines([check(p) for p in pieces])
        # a metric whose pieces all look present but whose preflight failed (a corrupt file…) keeps its own line
        problems += [f"metric {n}: {e}" for n, e in failed.items() if not any(f"metric {n}" in line for line in problems)]
        shown = "\n  ".join(problems)
        raise RunError(
            f"{len(problems)} missing piece(s), nothing was run (`ztts-eval doctor` prints them as a table):\n  {shown}"
        )


def seeds_for(seeds: list[int], metrics: list[Metric]) -> list[int]:
    """Extend the seed list when a metric (DS-WED) needs N generations per item."""
    needed = max((m.generations_per_item() for m in metrics), default=1)
    out = list(seeds)
    candidate = 0
    while len(out) < needed:
        if candidate not in out:
            out.append(candidate)
        candidate += 1
    return out


def _caps_json(caps) -> dict[str, Any]:
    d = dict(vars(caps))
    d["languages"] = sorted(caps.languages) if caps.languages is not None else None
    return d
