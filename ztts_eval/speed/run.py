"""`ztts-eval speed`: load settings → streamed requests → measures → stored audio → quality → speed.json.

Requests cycle through the suite's items interleaved by language (so every load level sees every
language the system supports), each setting starts with warm-up requests that are kept as rows but
excluded from statistics, and the streamed audio is stored in the same content-addressed store as
any generation. Quality is then scored on exactly that audio with the profile's per-sample metrics
and set beside the same items' one-shot audio (generated through the normal cached generation
stage, so a prior `ztts-eval run` is reused): streamed vs one-shot WER/SIM at each load level.

A speed run is a measurement, so a re-run measures again, except that settings already in
speed.json with the same configuration are kept (an interrupted sweep resumes at the next
setting; `--force` re-measures). Audio, one-shot generations and scores come from the cache.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import asdict, dataclass, field
from itertools import zip_longest
from pathlib import Path
from typing import Any

from ztts_eval import registry
from ztts_eval.hashing import sha256_json
from ztts_eval.metrics.base import SampleMetric
from ztts_eval.pipeline.generation import build_requests
from ztts_eval.pipeline.results import RunPaths, SpeedRow, SpeedSummary, read_speed, read_speed_rows, write_speed
from ztts_eval.pipeline.run_metadata import environment, utc_now
from ztts_eval.pipeline.runner import RunError, load_valid_manifest
from ztts_eval.speed.arrivals import Setting, settings_from
from ztts_eval.speed.hardware import hardware
from ztts_eval.speed.loadgen import LAG_LIMIT_S, RequestRecord, client_health, run_setting
from ztts_eval.speed.measures import measure
from ztts_eval.speed.quality import score_quality
from ztts_eval.speed.summary import summarize_setting, worst_request
from ztts_eval.store import Store

KIND = "ztts-eval-speed"


@dataclass
class SpeedConfig:
    model: str
    suite: str
    profile: str = "lite"
    concurrency: list[int] = field(default_factory=lambda: [1])
    rates: list[str] = field(default_factory=list)
    requests: int | None = None
    duration_s: float | None = None
    warmup: int = 2
    seed: int = 0
    max_in_flight: int = 256
    lag_limit_s: float = LAG_LIMIT_S
    params: dict[str, Any] = field(default_factory=dict)
    metrics: list[str] | None = None  # None: the profile's per-sample metrics; [] : no quality scoring
    metric_params: dict[str, dict[str, str]] = field(default_factory=dict)
    name: str | None = None
    results_dir: Path = Path("results")
    cache_dir: Path | None = None
    server_hardware: str | None = None
    force: bool = False
    argv: list[str] | None = None


def interleaved_requests(manifest, seed: int, params: dict[str, Any], languages) -> list:  # type: ignore[no-untyped-def]
    """The suite's requests the system supports, alternating languages: en, de, fr, zh, en, de…"""
    by_lang: dict[str, list] = {}
    for req in build_requests(manifest, [seed], params):
        if languages is None or req.language in languages:
            by_lang.setdefault(req.language, []).append(req)
    return [r for group in zip_longest(*by_lang.values()) for r in group if r is not None]


def row_of(rec: RequestRecord, system: str, setting: str) -> SpeedRow:
    req = rec.request
    row: SpeedRow = {
        "system": system,
        "setting": setting,
        "index": rec.index,
        "warmup": rec.warmup,
        "item_id": req.item_id,
        "language": req.language,
        "seed": req.seed,
        "due_s": rec.due_s,
        "sent_s": rec.sent_s,
        "lag_s": rec.lag_s,
        "end_s": rec.end_s,
        "prep_s": rec.prep_s,
        "sample_rate": rec.sample_rate,
        "chunks": [[round(a.t, 6), a.n] for a in rec.arrivals],
        "audio_sha256": None,
        "audio_path": None,
        "scores": {},
    }
    if rec.error is None and rec.audio is not None and rec.sample_rate:
        row.update(measure(rec.arrivals, rec.sample_rate, rec.audio, rec.first_byte_t))  # type: ignore[typeddict-item]
        row.update({"status": "ok", "error": None})
    else:
        row.update({"status": "failed", "error": rec.error or "no audio"})
    return row


def _store_audio(rows: list[SpeedRow], records: list[RequestRecord], store: Store, results_dir: Path) -> None:
    for row, rec in zip(rows, records):
        if row["status"] == "ok" and rec.audio is not None:
            sha, path = store.put_audio(rec.audio, int(rec.sample_rate or 0))
            row["audio_sha256"], row["audio_path"] = sha, os.path.relpath(path, results_dir)
        rec.audio = None  # free memory as soon as it is stored


def _echo(label: str, stats: dict[str, Any], health: dict[str, Any]) -> None:
    m = stats["measures"]

    def q(name: str, p: str) -> str:
        v = m[name].get(p)
        return "–" if v is None else f"{v:.3f}"

    client = "client OVERLOADED: " + health["reason"] if health["overloaded"] else "client ok"
    print(
        f"speed {label}: {stats['n_ok']}/{stats['n_requests']} ok, TTFA p50 {q('ttfa_s', 'p50')} p95 {q('ttfa_s', 'p95')} s, "
        f"RTF p50 {q('rtf', 'p50')} p95 {q('rtf', 'p95')}, {stats['requests_per_s']:.2f} req/s, "
        f"underruns {stats['n_underruns']}, streaming {'yes' if stats['stream']['streaming'] else 'no'}, {client}",
        file=sys.stderr,
    )


def run_speed(cfg: SpeedConfig) -> tuple[RunPaths, SpeedSummary]:
    started = utc_now()
    manifest = load_valid_manifest(cfg.suite)
    suite = manifest.items[0].suite
    names = registry.resolve_quality(cfg.metrics, cfg.metric_params) if cfg.metrics is not None else None
    if names is None:
        names = registry.profile_metrics(cfg.profile, cfg.metric_params)
    metrics = [registry.metric_class(n)(**cfg.metric_params.get(n, {})) for n in names]
    skipped = [m.info.name for m in metrics if not isinstance(m, SampleMetric)]
    metrics = [m for m in metrics if isinstance(m, SampleMetric)]
    for m in metrics:
        m.preflight()
    settings = settings_from(cfg.concurrency, cfg.rates, cfg.requests, cfg.duration_s)
    if not settings:
        raise RunError("speed needs at least one --concurrency level or --rate")
    adapter = registry.adapter_class(cfg.model)(**cfg.params)
    adapter.load()
    system = cfg.name or cfg.model
    paths = RunPaths(Path(cfg.results_dir), suite, system, cfg.profile)
    requests = interleaved_requests(manifest, cfg.seed, cfg.params, adapter.capabilities.languages)
    if not requests:
        raise RunError(f"{cfg.model} supports none of the suite's languages")
    config = {
        "settings": [asdict(s) for s in settings],
        "warmup": cfg.warmup,
        "seed": cfg.seed,
        "max_in_flight": cfg.max_in_flight,
        "lag_limit_s": cfg.lag_limit_s,
        "params": cfg.params,
        "manifest_sha256": manifest.sha256,
        "adapter": adapter.fingerprint(),
        "quality_metrics": [m.info.name for m in metrics],
        "metrics_skipped": skipped,  # whole-set metrics need full sets: `ztts-eval run` computes them
    }
    config_sha = sha256_json({k: v for k, v in config.items() if k != "settings"})
    done: dict[str, dict[str, Any]] = {}
    kept_rows: list[SpeedRow] = []
    if paths.speed.exists() and not cfg.force:
        old = read_speed(paths.speed)
        if old.get("config_sha256") == config_sha:
            done = {s["label"]: s for s in old["settings"]}
            kept_rows = [r for r in read_speed_rows(paths.speed_requests) if r["setting"] in done] if done else []
    store = Store(cfg.cache_dir or Path(cfg.results_dir) / ".cache")
    head: SpeedSummary = {
        "kind": KIND,
        "system": system,
        "model": cfg.model,
        "suite": suite,
        "profile": cfg.profile,
        "group": adapter.group,
        "streams": bool(adapter.streams),
        "hardware": hardware(cfg.server_hardware, local_model=not hasattr(adapter, "http")),
        "config": config,
        "config_sha256": config_sha,
        "adapter": {"fingerprint": adapter.fingerprint(), "name": adapter.name, "version": adapter.version},
        "metrics": [m.info.to_json() for m in metrics],
        "environment": environment(registry.REPO_ROOT),
        "started": started,
        "argv": cfg.argv,
    }
    rows, summaries = list(kept_rows), []
    try:
        for setting in settings:
            if setting.label in done:
                summaries.append(done[setting.label])
                print(
                    f"speed {setting.label}: kept from {paths.speed} (same configuration; --force re-measures)", file=sys.stderr
                )
                continue
            summaries.append(_measure_setting(adapter, setting, requests, cfg, system, store, rows))
            write_speed(paths, rows, {**head, "settings": summaries, "finished": utc_now()})  # a killed sweep resumes here
        quality = score_quality(metrics, rows, manifest, adapter, store, Path(cfg.results_dir), cfg.params) if metrics else {}
        for s in summaries:
            s["quality"] = quality.get(s["label"], [])
        summary: SpeedSummary = {
            **head,
            "metric_fingerprints": {m.info.name: m.fingerprint() for m in metrics},
            "settings": summaries,
            "finished": utc_now(),
        }
        write_speed(paths, rows, summary)
    finally:
        adapter.close()
        store.close()
    return paths, summary


def _measure_setting(
    adapter, setting: Setting, requests: list, cfg: SpeedConfig, system: str, store: Store, rows: list[SpeedRow]
) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    measured, warm = run_setting(
        adapter,
        setting,
        lambda i: requests[i % len(requests)],
        warmup=cfg.warmup,
        max_in_flight=cfg.max_in_flight,
        seed=cfg.seed,
    )
    health = client_health(measured, cfg.lag_limit_s)
    records = (warm.records if warm else []) + measured.records
    new = [row_of(rec, system, setting.label) for rec in records]
    _store_audio(new, records, store, Path(cfg.results_dir))
    rows.extend(new)
    stats = summarize_setting(new, bool(adapter.streams), seed=cfg.seed)
    _echo(setting.label, stats, health)
    return {
        **asdict(setting),
        **stats,
        "client": health,
        "worst_request": worst_request(new),
        "setting_wall_s": time.perf_counter() - t0,
    }
