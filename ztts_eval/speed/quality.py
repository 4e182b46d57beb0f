"""Quality of the streamed audio itself, beside the same items' one-shot audio, per load setting.

Streaming can change what a system says (sglang-omni measured WER 3.94 % streamed vs 1.17 %
one-shot until its chunking was fixed), and load can too (batching, timeouts, truncation). So the
audio a speed run received is scored with the same per-sample metrics and score cache as any run,
and each setting reports, per metric column, the streamed mean, the one-shot mean over the same
requests' items, and the paired-bootstrap interval of the difference. One-shot audio comes from the
normal generation stage (same cache key as `ztts-eval run`, so a prior run is reused).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ztts_eval.metrics.base import OK, SampleMetric, ScoreInput
from ztts_eval.pipeline.generation import build_requests, generate
from ztts_eval.pipeline.manifest import Manifest
from ztts_eval.pipeline.results import SpeedRow, is_reference
from ztts_eval.pipeline.scoring import score_samples
from ztts_eval.pipeline.stats import paired_bootstrap
from ztts_eval.store import Store


def _input(manifest: Manifest, it: Any, seed: int, sha: str, key: str, store: Store, reference: bool) -> ScoreInput:
    same_speaker = not reference or it.speaker_id is not None  # docs/decisions.md §1, as in the run pipeline
    return ScoreInput(
        key=key,
        item_id=it.id,
        seed=seed,
        language=it.language,
        subset=it.subset,
        text=it.text,
        audio_path=store.audio_path(sha),
        audio_sha256=sha,
        prompt_path=manifest.prompt_path(it) if same_speaker else None,
        prompt_sha256=it.prompt_sha256 if same_speaker else None,
    )


def score_quality(
    metrics: list[SampleMetric],
    rows: list[SpeedRow],
    manifest: Manifest,
    adapter: Any,
    store: Store,
    results_dir: Path,
    params: dict[str, Any],
) -> dict[str, list[dict[str, Any]]]:
    """Score streamed rows in place (row["scores"]) and return per-setting streamed vs one-shot comparisons."""
    reference, items = is_reference(adapter.group), {it.id: it for it in manifest.items}
    ok = [r for r in rows if r["status"] == "ok" and not r["warmup"] and r.get("audio_sha256")]
    streamed = {}
    for r in ok:
        key = f"{r['item_id']}#{r['seed']}@{r['audio_sha256']}"
        streamed[key] = _input(manifest, items[r["item_id"]], r["seed"], r["audio_sha256"], key, store, reference)
    pairs = sorted({(r["item_id"], r["seed"]) for r in ok})
    wanted = set(pairs)
    seeds = sorted({seed for _, seed in pairs})
    reqs = [q for q in build_requests(manifest, seeds, params) if (q.item_id, q.seed) in wanted]
    shas = {it.id: (it.prompt_sha256, it.reference_sha256) for it in manifest.items}
    records, _ = generate(adapter, reqs, shas, store) if reqs else ({}, None)
    one_shot = {
        f"{item}#{seed}": _input(manifest, items[item], seed, rec["audio_sha256"], f"{item}#{seed}", store, reference)
        for (item, seed), rec in records.items()
        if rec["status"] == "ok"
    }
    scores: dict[str, dict[str, dict[str, Any]]] = {}
    for m in metrics:
        scores[m.info.name], _ = score_samples(m, list(streamed.values()) + list(one_shot.values()), store)
    for r in ok:
        key = f"{r['item_id']}#{r['seed']}@{r['audio_sha256']}"
        r["scores"] = {name: values[key] for name, values in scores.items() if key in values}
    out: dict[str, list[dict[str, Any]]] = {}
    for label in dict.fromkeys(r["setting"] for r in ok):
        mine = [r for r in ok if r["setting"] == label]
        out[label] = [_compare(m, scores[m.info.name], mine) for m in metrics]
    return out


def _compare(metric: SampleMetric, values: dict[str, dict[str, Any]], rows: list[SpeedRow]) -> dict[str, Any]:
    col = metric.info.columns[0]
    streamed, one_shot, not_covered = [], [], 0
    for r in rows:
        s = values.get(f"{r['item_id']}#{r['seed']}@{r['audio_sha256']}", {})
        o = values.get(f"{r['item_id']}#{r['seed']}", {})
        if s.get("status") != OK or o.get("status") != OK or s.get(col.name) is None or o.get(col.name) is None:
            not_covered += 1
            continue
        streamed.append(float(s[col.name]))
        one_shot.append(float(o[col.name]))
    out: dict[str, Any] = {
        "metric": metric.info.name,
        "column": col.name,
        "higher_is_better": col.higher_is_better,
        "scorer": metric.info.scorer,
        "n": len(streamed),
        "n_unscored": not_covered,
    }
    if streamed:
        diff = paired_bootstrap(one_shot, streamed, seed=0)
        out.update(
            streamed=float(np.mean(streamed)),
            one_shot=float(np.mean(one_shot)),
            delta=diff["delta"],
            delta_ci95=[diff["lo"], diff["hi"]],
        )
    return out
