"""DS-WED prosody diversity (Yang et al., ICASSP 2026): how different two generations of the same
text and prompt are, as a weighted edit distance between their discrete-unit sequences.

Per generation: Silero-VAD trims leading/trailing non-speech → HuBERT-base layer 8 (16 kHz) →
nearest of 50 k-means centres (the authors' `hubert-base-layer-8.kmeans.50.model`, given as
`dswed.kmeans=`, or `dswed.kmeans=fit:DIR` for a seeded fit on up to 100 audio files of DIR).
Per item, every pair of seeds is compared (N generations → N·(N−1)/2 pairs); the column is the
mean over all pairs of a language (raw edit count, as the paper). The runner generates
`dswed.generations` seeds per item (default 2 → one pair). English only by default, as ZTTS1
reports it (`dswed.languages=all` for every language; HuBERT is English-trained).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from ztts_eval.audio import load_audio
from ztts_eval.hub import WeightsMissingError
from ztts_eval.languages import language_set
from ztts_eval.metrics.base import Column, CorpusMetric, MetricInfo, MetricSetupError, ScoreInput, package_versions
from ztts_eval.metrics.common.kmeans_units import UnitsSetupError, assign, describe, fit_centres, load_centres
from ztts_eval.metrics.common.ssl_frames import SAMPLE_RATE, SSLFrames
from ztts_eval.metrics.common.torch_hub import truthy
from ztts_eval.metrics.dswed.distance import seed_pairs, weighted_levenshtein
from ztts_eval.metrics.dswed.vad_trim import trim


class DsWed(CorpusMetric):
    info = MetricInfo(
        name="dswed",
        version="1",
        kind="corpus",
        columns=(Column("dswed", higher_is_better=True, unit="edits"),),
        inputs=("audio",),
        scorer="DS-WED (HuBERT-base L8, k=50)",
        extra="prosody",
        family="ztts1",
        device="cuda-optional",
        sample_rate=SAMPLE_RATE,
        languages=frozenset({"en"}),
        description="Mean weighted edit distance between unit sequences of generations that differ only by seed.",
    )
    required_modules = ("torch", "transformers", "silero_vad")

    def __init__(
        self,
        hubert: str = "hubert",
        layer: int = 8,
        kmeans: str | None = None,
        k: int = 50,
        seed: int = 0,
        weights: str = "1,1,1",
        generations: int = 2,
        languages: str = "en",
        trust_pickle: Any = False,
        device: str = "cpu",
    ) -> None:
        ins, dele, sub = (float(w) for w in str(weights).split(","))
        super().__init__(
            layer=int(layer),
            k=int(k),
            seed=int(seed),
            weights=[ins, dele, sub],
            generations=int(generations),
            languages=languages,
            device=device,
        )
        if self.params["generations"] < 2:
            raise ValueError("dswed.generations must be at least 2 (a pair)")
        self.info = dataclasses.replace(self.info, languages=language_set(languages))
        self.ssl = SSLFrames(hubert, device=device, param="dswed")
        self._kmeans, self._trust = kmeans, truthy(trust_pickle)
        self._centres: np.ndarray | None = None

    def preflight(self) -> None:
        super().preflight()
        if not self._kmeans:
            raise MetricSetupError(
                "DS-WED needs the 50-unit k-means: --metric-param dswed.kmeans=/path/"
                "hubert-base-layer-8.kmeans.50.model (or .npy centres), or dswed.kmeans=fit:AUDIO_DIR"
            )
        if self._centres is not None:
            return
        try:
            self.ssl.resolve()
            if self._kmeans.startswith("fit:"):
                self._centres = self._fit(Path(self._kmeans[4:]))
            else:
                self._centres = load_centres(self._kmeans, self._trust)
        except (WeightsMissingError, UnitsSetupError, ValueError) as exc:
            raise MetricSetupError(f"DS-WED: {exc}") from None

    def _fit(self, folder: Path) -> np.ndarray:
        files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".wav", ".flac", ".mp3", ".ogg"))
        if not files:
            raise ValueError(f"no audio files under {folder} to fit k-means on")
        rng = np.random.default_rng(self.params["seed"])
        chosen = sorted(rng.choice(len(files), size=min(100, len(files)), replace=False))
        frames = [
            self.ssl.layers(trim(load_audio(files[i], SAMPLE_RATE).samples), (self.params["layer"],))[self.params["layer"]]
            for i in chosen
        ]
        return fit_centres(frames, self.params["k"], self.params["seed"])

    def generations_per_item(self) -> int:
        return self.params["generations"]

    def identity(self) -> dict[str, Any]:
        units = describe(self.resolved(self._centres), self._kmeans if self._kmeans.startswith("fit:") else "file")
        return {"ssl": self.ssl.fingerprint(), "units": units, "vad": "silero-vad"}

    def versions(self) -> dict[str, str]:
        return package_versions("torch", "transformers", "silero-vad")

    def teardown(self) -> None:
        self.ssl.unload()

    def _frames(self, inp: ScoreInput) -> np.ndarray:
        x = trim(load_audio(inp.audio_path, SAMPLE_RATE).samples)
        return self.ssl.layers(x, (self.params["layer"],))[self.params["layer"]]

    def features(self, inputs: list[ScoreInput]) -> list[Any]:
        return [assign(self._frames(inp), self._centres) for inp in inputs]

    def compute(
        self, system: list[Any], reference: list[Any], inputs: list[ScoreInput], noise: dict[str, list[Any]] | None = None
    ) -> dict[str, Any]:
        by_item: dict[str, dict[int, list[int]]] = defaultdict(dict)
        for tokens, inp in zip(system, inputs):
            by_item[inp.item_id][inp.seed] = tokens
        ins, dele, sub = self.params["weights"]
        distances = [
            weighted_levenshtein(seqs[a], seqs[b], ins=ins, dele=dele, sub=sub)
            for seqs in by_item.values()
            for a, b in seed_pairs(list(seqs))
        ]
        if not distances:
            raise ValueError("no item has two generations: run with at least two --seeds")
        return {
            "dswed": float(np.mean(distances)),
            "n_pairs": len(distances),
            "n_items": sum(len(s) >= 2 for s in by_item.values()),
            "items_without_pair": sum(len(s) < 2 for s in by_item.values()),
        }
