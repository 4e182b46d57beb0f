"""Runaway and truncation detection from duration vs text length, per language.

A TTS system that never stops (no EOS) or stops early produces audio whose length is implausible
for its text. Such rows are flagged and counted separately; they are kept out of the headline WER
(which would otherwise mix a looping failure with transcription errors; see USERS.md §A3).
"""

from __future__ import annotations

from ztts_eval.edit_distance import tokenize
from ztts_eval.languages import get_language

# Plausible speaking rates in the language's text unit per second: (slowest, fastest).
# Generous on purpose: normal slow or fast speech must never be flagged.
RATE_BOUNDS = {"word": (0.5, 7.0), "char": (1.0, 14.0)}
RATE_BOUNDS_BY_LANGUAGE = {"th": (2.0, 30.0)}  # Thai characters include vowel and tone marks
SLACK_S = {"long": 3.0, "short": 0.4}  # absolute slack for very short texts

# Flags that mean "this is not a transcription problem": kept out of WER, counted separately.
RUNAWAY_FLAGS = frozenset({"too_long", "too_short", "no_eos", "silent"})


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
