"""Lite, weight-free slice of TTSDS2: the pitch feature's score alone (pyworld mean F0 vs the suite's
real recordings and the synthetic noise sets). Named apart from the ztts1 `ttsds_prosody` factor.

Stands on the family's DSP pieces only (audio loading, pitch, noise sets, score), never on the
full factor's module, so the lite profile imports no SSL model code and no torch.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ztts_eval.languages import language_set
from ztts_eval.metrics.base import Column, CorpusMetric, MetricInfo, ScoreInput, package_versions
from ztts_eval.metrics.ttsds.audio import LOADER, TTSDS_SR
from ztts_eval.metrics.ttsds.noise_sets import NOISE_VERSION, noise_set_inputs
from ztts_eval.metrics.ttsds.pitch import pitch_features
from ztts_eval.metrics.ttsds.score import score_sets


class PitchTtsdsLite(CorpusMetric):
    info = MetricInfo(
        name="pitch_ttsds_lite",
        version="2",
        kind="corpus",
        columns=(Column("pitch_ttsds_lite", True, unit="score"),),
        inputs=("audio", "reference_set"),
        scorer="TTSDS2 pitch feature only (pyworld, lite)",
        extra="lite",
        family="lite",
        sample_rate=TTSDS_SR,
        description="TTSDS2-style score of the mean-F0 distribution: 100 = like real speech, 0 = like noise.",
    )
    required_modules = ("pyworld", "scipy")

    def __init__(self, languages: str = "all") -> None:
        super().__init__(languages=languages)
        self.info = dataclasses.replace(self.info, languages=language_set(languages))

    def identity(self) -> dict[str, Any]:
        return {"feature": "ttsds-pitch", "noise": NOISE_VERSION, "loader": LOADER}

    def versions(self) -> dict[str, str]:
        return package_versions("pyworld", "scipy", "soxr")

    def extra_sets(self, store) -> dict[str, list[ScoreInput]]:
        return noise_set_inputs(store.root)

    _store = None

    def bind_store(self, store) -> None:
        self._store = store

    def features(self, inputs: list[ScoreInput]) -> list[Any]:
        return [{"pitch": p} for p in pitch_features(inputs, self._store)]

    def compute(
        self, system: list[Any], reference: list[Any], inputs: list[ScoreInput], noise: dict[str, list[Any]] | None = None
    ) -> dict[str, Any]:
        sets = {"system": system, "real": reference, **{f"noise_{k}": v for k, v in (noise or {}).items()}}
        score, details = score_sets({n: [x["pitch"] for x in s] for n, s in sets.items()}, kind="1d")
        return {"pitch_ttsds_lite": score, "details": {"pitch": details}}
