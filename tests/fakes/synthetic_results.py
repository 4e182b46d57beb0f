"""Write small but realistic results folders for report/gate tests: rows go through the real
`summarize`, so summaries, intervals and counts are exactly what `run` would write."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ztts_eval.metrics.base import Column, MetricInfo
from ztts_eval.pipeline import results
from ztts_eval.pipeline.aggregate import summarize

METRICS = [
    MetricInfo("wer", "1", "sample", (Column("wer", False, "edits", "%"),), ("audio", "text"), "Qwen3-ASR-1.7B", "asr", "ztts1"),
    MetricInfo(
        "sim", "1", "sample", (Column("sim", True, "mean", "cos×100"),), ("audio", "prompt"), "ReDimNet b6", "speaker", "ztts1"
    ),
    MetricInfo("utmos", "1", "sample", (Column("utmos", True, "mean", "MOS"),), ("audio",), "MSR-UTMOS", "quality", "ztts1"),
]


def make_rows(
    system: str,
    languages: dict[str, tuple[float, float, float]],
    n: int = 40,
    seed: int = 0,
    wer_shift: dict[str, float] | None = None,
    seeds: tuple[int, ...] = (0,),
) -> list[dict]:
    """Per language (mean WER %, mean SIM, mean UTMOS); item difficulty is shared across systems."""
    rows = []
    for li, (lang, (wer, sim, mos)) in enumerate(languages.items()):
        difficulty = np.random.default_rng(1000 + li).gamma(2.0, wer / 2.0, size=n)  # same items for every system
        for s in seeds:
            rng = np.random.default_rng([seed, li, s])
            for i in range(n):
                w = max(0.0, difficulty[i] + (wer_shift or {}).get(lang, 0.0) + rng.normal(0, 0.3))
                words = 20
                errors = round(w * words / 100)
                rows.append(
                    {
                        "system": system,
                        "item_id": f"{lang}-{i:03d}",
                        "seed": s,
                        "subset": "clean",
                        "language": lang,
                        "text": f"text {i}",
                        "status": "ok",
                        "error": None,
                        "flags": [],
                        "audio_path": None,
                        "utmos_bin": i % 10,
                        "scores": {
                            "wer": {
                                "status": "ok",
                                "wer": 100.0 * errors / words,
                                "S": errors,
                                "D": 0,
                                "I": 0,
                                "N": words,
                                "hyp_raw": f"hyp <{i}>",
                                "unit": "word",
                            },
                            "sim": {"status": "ok", "sim": float(sim + rng.normal(0, 2))},
                            "utmos": {"status": "ok", "utmos": float(mos + rng.normal(0, 0.2))},
                        },
                    }
                )
    return rows


def write_run(
    root: Path, suite: str, system: str, rows: list[dict], profile: str = "ztts1", cloning: bool = True, group: str = "open"
) -> Path:
    paths = results.RunPaths(root, suite, system, profile)
    summary = {
        "system": system,
        "model": system,
        "suite": suite,
        "profile": profile,
        "zero_shot_cloning": cloning,
        "group": group,
        "published_name": None,
        "seeds": sorted({r["seed"] for r in rows}),
        "manifest_sha256": "0" * 64,
        "metrics": [m.to_json() for m in METRICS],
        "groups": summarize(rows, METRICS),
    }
    results.write_run(paths, rows, summary, None)
    return paths.dir
