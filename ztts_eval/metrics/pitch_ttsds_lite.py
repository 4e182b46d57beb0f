"""Lite, weight-free slice of TTSDS2: the pitch feature's score alone (pyworld mean F0 vs the suite's
real recordings and the synthetic noise sets). Named apart from the ztts1 `ttsds_prosody` factor."""

from __future__ import annotations

from typing import Any

from ztts_eval.metrics.base import Column, MetricInfo, ScoreInput
from ztts_eval.metrics.ttsds_prosody import TtsdsProsody
from ztts_eval.prosody.ttsds_audio import TTSDS_SR


class PitchTtsdsLite(TtsdsProsody):
    info = MetricInfo(
        name="pitch_ttsds_lite",
        version="1",
        kind="corpus",
        columns=(Column("pitch_ttsds_lite", True, unit="score"),),
        inputs=("audio", "reference_set", "noise_set"),
        scorer="TTSDS2 pitch feature only (pyworld, lite)",
        extra="lite",
        family="lite",
        sample_rate=TTSDS_SR,
        description="TTSDS2-style score of the mean-F0 distribution: 100 = like real speech, 0 = like noise.",
    )
    required_modules = ("pyworld", "scipy")

    def __init__(self, languages: str = "all", device: str = "cpu") -> None:
        super().__init__(features="pitch", languages=languages, device=device)

    def compute(self, system: list[Any], reference: list[Any], inputs: list[ScoreInput],
                noise: dict[str, list[Any]] | None = None) -> dict[str, Any]:
        out = super().compute(system, reference, inputs, noise)
        return {"pitch_ttsds_lite": out["ttsds_pitch"], "details": out["details"]}
