"""Lite WER: pocketsphinx's bundled US-English model (offline, CPU). English only.

A smoke-test judge, not Qwen3-ASR: it ranks intelligible TTS above unintelligible TTS, but its
absolute numbers are far higher than ZTTS1's. Other languages are reported as not covered.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

import numpy as np

from ztts_eval.audio import load_audio
from ztts_eval.edit_distance import edit_counts, tokenize
from ztts_eval.metrics.base import OK, Column, MetricInfo, SampleMetric, ScoreInput, error_row, not_covered
from ztts_eval.text_norm import normalize, normalizer_id

SAMPLE_RATE = 16000


def edit_row(column: str, ref_text: str, hyp_raw: str, language: str, unit: str) -> dict[str, Any]:
    """Normalize both sides and count edits; the shared core of every WER metric's row."""
    ref_norm, hyp_norm = normalize(ref_text, language), normalize(hyp_raw, language)
    counts = edit_counts(tokenize(ref_norm, unit), tokenize(hyp_norm, unit))
    if counts.ref_len == 0:
        return error_row(f"reference text is empty after normalization: {ref_text!r}")
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
        "normalizer": normalizer_id(),
    }


class PocketsphinxWer(SampleMetric):
    required_modules = ("pocketsphinx",)
    info = MetricInfo(
        name="wer_pocketsphinx",
        version="1",
        kind="sample",
        columns=(Column("wer_pocketsphinx", higher_is_better=False, aggregation="edits", unit="%"),),
        inputs=("audio", "text"),
        scorer="pocketsphinx en-us (lite)",
        extra="lite",
        family="lite",
        sample_rate=SAMPLE_RATE,
        languages=frozenset({"en"}),
        description="WER of pocketsphinx's transcript vs the item text, Whisper-normalized.",
    )

    def versions(self) -> dict[str, str]:
        return {"pocketsphinx": version("pocketsphinx"), "normalizer": normalizer_id()}

    def setup(self) -> None:
        from pocketsphinx import Decoder

        self._decoder = Decoder(samprate=SAMPLE_RATE, logfn="/dev/null")

    def transcribe(self, samples: np.ndarray) -> str:
        pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()
        self._decoder.start_utt()
        self._decoder.process_raw(pcm, full_utt=True)
        self._decoder.end_utt()
        hyp = self._decoder.hyp()
        return hyp.hypstr if hyp is not None else ""

    def score_batch(self, inputs: list[ScoreInput]) -> list[dict[str, Any]]:
        rows = []
        for inp in inputs:
            if not self.covers(inp.language):
                rows.append(not_covered(f"pocketsphinx lite model is English-only (item is {inp.language})"))
                continue
            hyp = self.transcribe(load_audio(inp.audio_path, SAMPLE_RATE).samples)
            rows.append(edit_row(self.info.name, inp.text, hyp, inp.language, "word"))
        return rows
