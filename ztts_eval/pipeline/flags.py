"""Every per-sample flag and the rule that keeps flagged rows out of headlines, in one place.

Signal flags (`clipped`, `silent`) are read from the waveform when it is generated; duration flags
(`too_long`, `too_short`, `no_eos`) from duration vs text length per language once the row is
built. `sample_flags` combines both for a row; `excluded_from_headline` is the one rule that
aggregation and the gate apply.

A TTS system that never stops (no EOS) or stops early produces audio whose length is implausible
for its text. Such rows are flagged and counted separately; they are kept out of the headline WER
(which would otherwise mix a looping failure with transcription errors; docs/decisions.md §12).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ztts_eval.languages import get_language
from ztts_eval.metrics.wer.edit_distance import tokenize

# Plausible speaking rates in the language's text unit per second: (slowest, fastest).
# Generous on purpose: normal slow or fast speech must never be flagged.
RATE_BOUNDS = {"word": (0.5, 7.0), "char": (1.0, 14.0)}
RATE_BOUNDS_BY_LANGUAGE = {"th": (2.0, 30.0)}  # Thai characters include vowel and tone marks
SLACK_S = {"long": 3.0, "short": 0.4}  # absolute slack for very short texts

# Flags that mean "this is not a transcription problem": kept out of WER, counted separately.
RUNAWAY_FLAGS = frozenset({"too_long", "too_short", "no_eos", "silent"})
SILENCE_RMS = 1e-4


def signal_flags(x: np.ndarray) -> list[str]:
    """Flags on audio that is scoreable but suspicious; counted separately in the summary."""
    flags = []
    if float(np.max(np.abs(x))) > 1.0:
        flags.append("clipped")
    if float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) < SILENCE_RMS:
        flags.append("silent")
    return flags


def sample_flags(record: dict[str, Any], text: str, language: str) -> list[str]:
    """All flags of one generated sample: its signal flags plus, when it is ok, its duration flags."""
    flags = list(record.get("flags", []))
    if record["status"] == "ok":
        diag = record.get("diagnostics", {})
        flags += duration_flags(text, language, diag.get("duration_s"), diag.get("eos_reached"))
    return flags


def excluded_from_headline(row: dict[str, Any]) -> bool:
    """A runaway, truncation or silence is not a transcription error: error-rate headlines leave it out."""
    return bool(RUNAWAY_FLAGS & set(row.get("flags", [])))


def text_units(text: str, language: str) -> int:
    return len(tokenize(text, get_language(language).unit))


def duration_flags(text: str, language: str, duration_s: float | None, eos_reached: bool | None) -> list[str]:
    flags = []
    if eos_reached is False:
        flags.append("no_eos")
    if duration_s is None:
        return flags
    units = text_units(text, language)
    slow, fast = RATE_BOUNDS_BY_LANGUAGE.get(language, RATE_BOUNDS[get_language(language).unit])
    if duration_s > units / slow + SLACK_S["long"]:
        flags.append("too_long")
    elif duration_s < units / fast - SLACK_S["short"]:
        flags.append("too_short")
    return flags
