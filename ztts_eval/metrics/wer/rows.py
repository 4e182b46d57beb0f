"""Turn (reference text, raw ASR transcript) into a WER row, the same way for every ASR backend.

The row keeps the raw transcript, both normalized sides and the edit counts in the language's unit
(S, D, I, N) plus the other unit's counts under "alt", so any aggregation or unit view is exact
and a normalizer change can re-score cached transcripts without re-running ASR.
"""

from __future__ import annotations

from typing import Any

from ztts_eval.languages import get_language
from ztts_eval.metrics.base import OK, error_row
from ztts_eval.metrics.wer import seedtts
from ztts_eval.metrics.wer.edit_distance import edit_counts, tokenize
from ztts_eval.metrics.wer.text_norm import normalize, normalizer_id


def unit_for(language: str, overrides: dict[str, str] | None = None) -> str:
    """CER ("char") for zh/ja/ko/th, WER ("word") elsewhere, unless overridden per language."""
    unit = (overrides or {}).get(language) or get_language(language).unit
    if unit not in ("word", "char"):
        raise ValueError(f"unit for {language!r} must be 'word' or 'char', got {unit!r}")
    return unit


def split_tokens(text: str, unit: str, variant: str = "ztts") -> list[str]:
    """Tokens as the variant's upstream splits them: seedtts as jiwer does inside its run_wer.py
    (split on " " only, runs of whitespace collapsed), ours on any whitespace."""
    return seedtts.tokens(text, unit) if variant == "seedtts" else tokenize(text, unit)


def transcript_row(
    column: str, ref_text: str, hyp_raw: str, language: str, *, variant: str = "ztts", unit: str | None = None
) -> dict[str, Any]:
    unit = unit or unit_for(language)
    ref_norm = normalize(ref_text, language, variant, side="ref")
    hyp_norm = normalize(hyp_raw, language, variant, side="hyp")
    counts = edit_counts(split_tokens(ref_norm, unit, variant), split_tokens(hyp_norm, unit, variant))
    if counts.ref_len == 0:
        return error_row(f"reference text is empty after normalization: {ref_text!r}")
    other = "char" if unit == "word" else "word"
    alt = edit_counts(split_tokens(ref_norm, other, variant), split_tokens(hyp_norm, other, variant))
    return {
        "status": OK,
        column: 100.0 * counts.rate,
        "hyp_raw": hyp_raw,
        "ref_norm": ref_norm,
        "hyp_norm": hyp_norm,
        "S": counts.substitutions,
        "D": counts.deletions,
        "I": counts.insertions,
        "N": counts.ref_len,
        "unit": unit,
        "alt": {"unit": other, "S": alt.substitutions, "D": alt.deletions, "I": alt.insertions, "N": alt.ref_len},
        "normalizer": normalizer_id(variant),
    }
