"""Lite whole-set metric: 1-Wasserstein distance (Hz) between the system's per-utterance mean F0
and the ground-truth recordings' of the same language. Lower means closer to real speech.

The TTSDS2-style prosody score (normalised against noise sets) is the ztts1 version of this idea.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

from ztts_eval.metrics.base import Column, CorpusMetric, MetricInfo, ScoreInput
from ztts_eval.metrics.common.f0 import PITCH_SR
from ztts_eval.metrics.ttsds.distances import wasserstein_1d
from ztts_eval.metrics.ttsds.f0_pyworld import mean_f0s


class PyworldF0Distance(CorpusMetric):
    required_modules = ("pyworld",)
    info = MetricInfo(
        name="f0_dist_pyworld",
        version="1",
        kind="corpus",
        columns=(Column("f0_w1_pyworld", higher_is_better=False, unit="Hz"),),
        inputs=("audio", "reference_set"),
        scorer="pyworld mean-F0 W1 vs ground truth (lite)",
        extra="lite",
        family="lite",
        sample_rate=PITCH_SR,
        description="Distance between the mean-F0 distributions of the system and real speech.",
    )

    def versions(self) -> dict[str, str]:
        return {"pyworld": version("pyworld")}

    _store = None

    def bind_store(self, store) -> None:
        self._store = store

    def features(self, inputs: list[ScoreInput]) -> list[Any]:
        return mean_f0s(inputs, self._store)

    def compute(
        self,
        system: list[Any],
        reference: list[Any],
        inputs: list[ScoreInput] | None = None,
        noise: dict[str, list[Any]] | None = None,
    ) -> dict[str, float]:
        sys_f0 = [f for f in system if f is not None]
        ref_f0 = [f for f in reference if f is not None]
        return {"f0_w1_pyworld": wasserstein_1d(sys_f0, ref_f0, p=1)}
