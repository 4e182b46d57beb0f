"""Adapters and a metric that SIGKILL their own process on chosen items: actor deaths on cue.

Loaded with `--include` (registry.include), so Ray actors load them the same way the driver does.
`kill_once` kills the process the first time it reaches the item (a marker file in `marks`
remembers it across the restart); `kill_always` kills it every time (a poisonous item).
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import soundfile as sf

from model_adapters.tone import TestToneAdapter
from ztts_eval.metrics.base import OK, Column, MetricInfo, SampleMetric, ScoreInput


def _die(marks: str, tag: str) -> None:
    with open(Path(marks) / "kills.log", "a") as log:  # the truth the test counts deaths against
        log.write(f"{tag}\n")
    os.kill(os.getpid(), signal.SIGKILL)


def _maybe_die(marks: str, tag: str, once: set[str], always: set[str]) -> None:
    if tag in always:
        _die(marks, tag)
    if tag in once:
        marker = Path(marks) / f"killed-{tag}"
        if not marker.exists():
            marker.write_text(str(os.getpid()))
            _die(marks, tag)


def _ids(text: str) -> set[str]:
    return {s for s in text.split(",") if s}


class KillingToneAdapter(TestToneAdapter):
    """test-tone, but it dies mid-batch on cue (the audio is test-tone's)."""

    name = "test-tone-killing"

    def __init__(self, marks: str = "", kill_once: str = "", kill_always: str = "", **params: Any) -> None:
        super().__init__(**params)
        self.params.update(marks=marks, kill_once=kill_once, kill_always=kill_always)

    def synthesize(self, requests):
        out = []
        for req in requests:  # item by item, so the death lands in the middle of the batch
            _maybe_die(self.params["marks"], req.item_id, _ids(self.params["kill_once"]), _ids(self.params["kill_always"]))
            out += super().synthesize([req])
        return out


class KillingDuration(SampleMetric):
    """Duration in seconds read from the file header; dies on cue."""

    info = MetricInfo(
        name="probe_duration",
        version="1",
        kind="sample",
        columns=(Column("probe_s", higher_is_better=None, unit="s"),),
        inputs=("audio",),
        scorer="soundfile header (test probe)",
        extra="lite",
        family="lite",
    )
    batch_size = 4

    def __init__(self, marks: str = "", kill_once: str = "") -> None:
        super().__init__(marks=marks, kill_once=kill_once)

    def score_batch(self, inputs: list[ScoreInput]) -> list[dict[str, Any]]:
        rows = []
        for inp in inputs:
            _maybe_die(self.params["marks"], f"score-{inp.key}", {f"score-{k}" for k in _ids(self.params["kill_once"])}, set())
            rows.append({"status": OK, "probe_s": round(sf.info(str(inp.audio_path)).duration, 6)})
        return rows
