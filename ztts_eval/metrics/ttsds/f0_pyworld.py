"""Lite prosody descriptor: mean F0 (Hz) over voiced frames, via pyworld. Not higher/lower-better."""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

from ztts_eval.metrics.base import OK, Column, MetricInfo, SampleMetric, ScoreInput, error_row
from ztts_eval.metrics.common.f0 import PITCH_SR, f0_tracks, mean_voiced_f0


def mean_f0s(inputs: list[ScoreInput], store=None) -> list[float | None]:
    """Mean voiced F0 of each input from the shared F0 tracks (f0_dist_pyworld reads the same)."""
    return [mean_voiced_f0(track) for track in f0_tracks(inputs, store=store)]


class PyworldF0(SampleMetric):
    required_modules = ("pyworld",)
    info = MetricInfo(
        name="f0_pyworld",
        version="1",
        kind="sample",
        columns=(Column("f0_mean_pyworld", higher_is_better=None, unit="Hz"),),
        inputs=("audio",),
        scorer="pyworld DIO+StoneMask (lite)",
        extra="lite",
        family="lite",
        sample_rate=PITCH_SR,
        description="Mean F0 of voiced frames; a descriptor, compared against the ground truth.",
    )

    def versions(self) -> dict[str, str]:
        return {"pyworld": version("pyworld")}

    _store = None

    def bind_store(self, store) -> None:
        self._store = store

    def score_batch(self, inputs: list[ScoreInput]) -> list[dict[str, Any]]:
        rows = []
        for f0 in mean_f0s(inputs, self._store):
            rows.append({"status": OK, "f0_mean_pyworld": f0} if f0 is not None else error_row("no voiced frames"))
        return rows
