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

from collections.abc import Iterable
from pathlib import Path
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
# Input recordings (prompt, reference): hard-clipped when this share of samples sits at full scale.
# One peak-normalised sample at 0 dBFS is normal; a clipped recording has runs of them.
CLIPPED_SHARE, CLIPPED_MIN = 1e-3, 3
PCM_BITS = {"PCM_S8": 8, "PCM_U8": 8, "PCM_16": 16, "PCM_24": 24, "PCM_32": 32}


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


def full_scale(subtype: str) -> float:
    """The largest magnitude a file of this subtype can hold, read as float: (2^(b-1) - 1) / 2^(b-1)
    for b-bit integer PCM (int16 32767 reads as 0.99997), 1.0 for float and lossy formats."""
    bits = PCM_BITS.get(subtype)
    return (2 ** (bits - 1) - 1) / 2 ** (bits - 1) if bits else 1.0


def recording_flags(path: str | Path) -> list[str]:
    """`silent` / `clipped` of a prompt or reference file, at its own full scale (integer PCM too)."""
    import soundfile as sf

    info = sf.info(str(path))
    x, _ = sf.read(str(path), dtype="float64", always_2d=True)
    peak = np.abs(x).max(axis=1) if x.size else np.zeros(0)
    flags = []
    at_full_scale = int(np.count_nonzero(peak >= full_scale(info.subtype) - 1e-9))
    if x.size and at_full_scale >= max(CLIPPED_MIN, CLIPPED_SHARE * len(peak)):
        flags.append("clipped")
    if not x.size or float(np.sqrt(np.mean(np.square(x)))) < SILENCE_RMS:
        flags.append("silent")
    return flags


def input_flags(items: Iterable[tuple[str, dict[str, Path | None]]]) -> dict[str, list[str]]:
    """Per item: `prompt_silent`, `reference_clipped`, … for the recordings it uses (each file read once).

    Rows of the item carry these, so a similarity of 47.7 against a silent prompt is visibly suspect."""
    seen: dict[Path, list[str]] = {}
    out: dict[str, list[str]] = {}
    for item_id, roles in items:
        flags = []
        for role, path in roles.items():
            if path is None:
                continue
            if path not in seen:
                try:
                    seen[path] = recording_flags(path)
                except Exception:  # unreadable files are validation problems, reported there
                    seen[path] = []
            flags += [f"{role}_{flag}" for flag in seen[path]]
        if flags:
            out[item_id] = flags
    return out


def manifest_input_flags(manifest: Any, checks: Any = None) -> dict[str, list[str]]:
    """Silent or clipped prompts and references, per item: every row of the item carries them.

    With `checks` (pipeline/file_checks.FileChecks), the flags come from the validation cache, so a
    warm re-run decodes no recording again; without it each file is read once here."""
    roles = [(it.id, {"prompt": manifest.prompt_path(it), "reference": manifest.reference_path(it)}) for it in manifest.items]
    if checks is None:
        return input_flags(roles)
    checks.prefetch(p for _, paths in roles for p in paths.values() if p is not None)
    out: dict[str, list[str]] = {}
    for item_id, paths in roles:
        flags = [f"{role}_{flag}" for role, p in paths.items() if p is not None for flag in _checked_flags(checks, p)]
        if flags:
            out[item_id] = flags
    return out


def _checked_flags(checks: Any, path: Any) -> tuple[str, ...]:
    try:
        return checks.get(path).flags
    except OSError:  # a missing file is a validation problem, reported there
        return ()
