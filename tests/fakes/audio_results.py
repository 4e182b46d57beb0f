"""A results folder with real audio, laid out exactly as `ztts-eval run` writes it: a suite manifest
with prompt and reference FLACs (+ sidecar), generations in the content-addressed cache
(`<results>/.cache/audio/<sha[:2]>/<sha>.flac`, through the real Store), samples/summary/run.json
through the real writers, run.json naming the manifest path as the runner records it.

Every file's duration is programmed, so a browser's reported duration can be checked against truth:
prompt of item i: 1.00 + 0.05·i s; reference: 0.90 + 0.05·i s; system k (0-based, ground truth
excluded): 0.50 + 0.10·k + 0.02·i s. Metric values are programmed per system and item too.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import soundfile as sf

from tests.fakes.synthetic_results import METRICS
from ztts_eval.hashing import sha256_file
from ztts_eval.metrics.base import Column, MetricInfo
from ztts_eval.pipeline import results
from ztts_eval.pipeline.aggregate import summarize
from ztts_eval.pipeline.manifest import Item, write_manifest
from ztts_eval.store import Store

SR = 16000
SUITE = "tiny-listen"
LANGS = ("en", "de")
PER_LANG = 6
# A whole-set metric compared against the suite's own recordings (like the lite pitch score).
PITCH = MetricInfo(
    "pitch_ttsds_lite",
    "1",
    "corpus",
    (Column("pitch_ttsds_lite", True, unit="score"),),
    ("audio", "reference_set"),
    "pyworld",
    "lite",
    "lite",
)


def tone(seconds: float, freq: float) -> np.ndarray:
    t = np.arange(int(round(seconds * SR))) / SR
    return (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def prompt_seconds(i: int) -> float:
    return 1.0 + 0.05 * i


def system_seconds(k: int, i: int) -> float:
    return 0.5 + 0.1 * k + 0.02 * i


def write_suite(folder: Path) -> tuple[Path, list[Item]]:
    (folder / "audio").mkdir(parents=True, exist_ok=True)
    items = []
    n = 0
    for lang in LANGS:
        for j in range(PER_LANG):
            i = n
            n += 1
            prompt, ref = folder / "audio" / f"p{i:02d}.flac", folder / "audio" / f"r{i:02d}.flac"
            sf.write(prompt, tone(prompt_seconds(i), 220 + 10 * i), SR)
            sf.write(ref, tone(prompt_seconds(i) - 0.1, 330 + 10 * i), SR)
            items.append(
                Item(
                    id=f"{lang}-{j:02d}",
                    suite=SUITE,
                    subset=lang,
                    language=lang,
                    text=f"sentence {j} in {lang} <b>&</b>",
                    prompt_audio=f"audio/{prompt.name}",
                    prompt_sha256=sha256_file(prompt),
                    speaker_id=f"spk{i}",
                    reference_audio=f"audio/{ref.name}",
                    reference_sha256=sha256_file(ref),
                )
            )
    return write_manifest(folder / "manifest.jsonl", items), items


def write_results(root: Path, systems: tuple[str, ...] = ("alpha", "beta")) -> tuple[Path, Path]:
    """(results folder, manifest path) with ground truth + `systems`; alpha has the lowest WER."""
    manifest, items = write_suite(root / "suite")
    res = root / "results"
    store = Store(res / ".cache")
    manifest_sha = json.loads(manifest.with_name(manifest.name + ".meta.json").read_text())["sha256"]
    for k, system in enumerate(("ground-truth", *systems)):
        rows = []
        for i, it in enumerate(items):
            if k == 0:
                samples = sf.read(root / "suite" / it.reference_audio, dtype="float32")[0]
            else:
                samples = tone(system_seconds(k - 1, i), 440 + 40 * k)
            sha, path = store.put_audio(samples, SR)
            wer = [2.0, 5.0 + (i % 3), 12.0 + 4 * (i % 4), 20.0][min(k, 3)]
            rows.append(
                {
                    "system": system,
                    "item_id": it.id,
                    "seed": 0,
                    "subset": it.subset,
                    "language": it.language,
                    "text": it.text,
                    "utmos_bin": None,
                    "status": "ok",
                    "error": None,
                    "flags": ["clipped"] if (k == 2 and i == 3) else [],
                    "audio_sha256": sha,
                    "audio_path": str(path.relative_to(res)),
                    "duration_s": len(samples) / SR,
                    "latency_s": 0.1,
                    "eos_reached": True,
                    "scores": {
                        "wer": {
                            "status": "ok",
                            "wer": wer,
                            "S": int(wer // 5),
                            "D": 0,
                            "I": 0,
                            "N": 20,
                            "hyp_raw": f"hyp {i}",
                            "unit": "word",
                        },
                        "sim": {"status": "ok", "sim": 60.0 + 3 * k + (i % 5)},  # beta is "more similar": metrics disagree
                        "utmos": {"status": "ok", "utmos": 3.0 + 0.1 * ((i + k) % 4)},
                    },
                }
            )
        metrics = [*METRICS, PITCH]
        corpus = {
            "pitch_ttsds_lite": {
                (lang, lang): {"status": "ok", "pitch_ttsds_lite": 100.0 if k == 0 else 80.0 - 5 * k} for lang in LANGS
            }
        }
        summary = {
            "system": system,
            "model": system,
            "suite": SUITE,
            "profile": "lite",
            "zero_shot_cloning": True,
            "group": "reference" if k == 0 else "open",
            "published_name": None,
            "seeds": [0],
            "manifest_sha256": manifest_sha,
            "metrics": [m.to_json() for m in metrics],
            "groups": summarize(rows, metrics, corpus),
        }
        meta = {
            "system": system,
            "suite": SUITE,
            "profile": "lite",
            "manifest": {"path": str(manifest), "sha256": manifest_sha, "rows": len(items)},
        }
        results.write_run(results.RunPaths(res, SUITE, system, "lite"), rows, summary, meta)
    store.close()
    return res, manifest
