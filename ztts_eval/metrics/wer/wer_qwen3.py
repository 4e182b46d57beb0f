"""ZTTS1 WER/CER: Qwen3-ASR transcripts, language forced from the item, versioned normalization.

Transcripts are cached separately from scores, keyed by (transcriber fingerprint, audio hash,
language): a normalizer or unit change re-scores every row without loading the ASR model, and the
run log says how many transcripts came from cache. Units: CER for zh/ja/ko/th, WER elsewhere
(override with `units=th:word,...`). Headline = mean of per-utterance error ×100 (docs/decisions.md §2).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ztts_eval.audio import audio_duration, load_audio
from ztts_eval.hub import WeightsMissingError
from ztts_eval.languages import LANGUAGES
from ztts_eval.metrics.base import Column, MetricInfo, MetricSetupError, SampleMetric, ScoreInput, error_row, package_versions
from ztts_eval.metrics.wer.rows import transcript_row, unit_for
from ztts_eval.metrics.wer.text_norm import VARIANTS, normalizer_id
from ztts_eval.store import Store, score_key

SAMPLE_RATE = 16000


def parse_units(spec: str | dict | None) -> dict[str, str]:
    if not spec:
        return {}
    if isinstance(spec, dict):
        return dict(spec)
    pairs = [p.split(":", 1) for p in spec.split(",") if p.strip()]
    if any(len(p) != 2 for p in pairs):
        raise ValueError(f"units must look like 'th:word,ko:char', got {spec!r}")
    return {lang.strip(): unit.strip() for lang, unit in pairs}


class Qwen3Wer(SampleMetric):
    info = MetricInfo(
        name="wer",
        version="1",
        kind="sample",
        columns=(Column("wer", higher_is_better=False, aggregation="edits", unit="%"),),
        inputs=("audio", "text"),
        scorer="Qwen3-ASR-1.7B",
        extra="asr",
        family="ztts1",
        device="cuda-optional",
        sample_rate=SAMPLE_RATE,
        languages=frozenset(LANGUAGES),
        description="WER (CER for zh/ja/ko/th) of Qwen3-ASR's forced-language transcript vs the item text.",
    )
    required_modules = ("torch", "transformers", "qwen_asr", "zhconv", "zhon")
    batch_size = 64

    def __init__(
        self,
        model: str = "1.7B",
        revision: str | None = None,
        backend: str = "transformers",
        variant: str = "ztts",
        units: Any = None,
        max_seconds: float = 1200.0,
        device: str = "auto",
        dtype: str = "auto",
        max_new_tokens: int = 512,
        detect_language: Any = True,
    ) -> None:
        if variant not in VARIANTS:
            raise ValueError(f"wer variant must be one of {VARIANTS}, got {variant!r}")
        detect = str(detect_language).lower() not in ("0", "false", "no", "off")
        super().__init__(variant=variant, units=parse_units(units), max_seconds=float(max_seconds))
        from ztts_eval.metrics.wer.qwen3_asr import Qwen3Transcriber

        self.transcriber = Qwen3Transcriber(
            model=model,
            revision=revision,
            backend=backend,
            device=device,
            dtype=dtype,
            max_new_tokens=int(max_new_tokens),
            detect_language=detect,
        )
        if model != "1.7B":
            self.info = dataclasses.replace(self.info, scorer=f"Qwen3-ASR {model}")
        self._store: Store | None = None
        self.counters = {"transcripts_computed": 0, "transcripts_cached": 0}

    def versions(self) -> dict[str, str]:
        return {
            "normalizer": normalizer_id(self.params["variant"]),
            **package_versions("qwen-asr", "transformers", "torch", "zhconv", "zhon"),
        }

    def identity(self) -> dict[str, Any]:
        return {"transcriber": self.transcriber.fingerprint()}

    def preflight(self) -> None:
        super().preflight()
        try:
            self.transcriber.resolve()
        except WeightsMissingError as exc:
            raise MetricSetupError(str(exc)) from None
        for lang in self.params["units"]:
            unit_for(lang, self.params["units"])

    def bind_store(self, store: Store) -> None:
        self._store = store

    def teardown(self) -> None:
        self.transcriber.unload()

    def _transcript_keys(self, inputs: list[ScoreInput]) -> dict[str, str]:
        tfp = self.transcriber.fingerprint()
        return {inp.key: score_key({"transcriber": tfp}, inp.audio_sha256, {"language": inp.language}) for inp in inputs}

    def transcripts(self, inputs: list[ScoreInput]) -> dict[str, dict[str, Any]]:
        """{input key: transcript record}, from the cache where possible."""
        keys = self._transcript_keys(inputs)
        cached = self._store.get_many("scores", list(keys.values())) if self._store else {}
        out = {inp.key: cached[keys[inp.key]] for inp in inputs if keys[inp.key] in cached}
        todo = [inp for inp in inputs if inp.key not in out]
        self.counters["transcripts_cached"] += len(out)
        if todo:
            clips = [load_audio(inp.audio_path, SAMPLE_RATE).samples for inp in todo]
            results = self.transcriber.transcribe(clips, [inp.language for inp in todo])
            new = {}
            for inp, t in zip(todo, results):
                rec = {"text": t.text, "raw": t.raw, "language": t.language, "detected_language": t.detected_language}
                out[inp.key] = rec
                new[keys[inp.key]] = rec
            if self._store:
                self._store.put_many("scores", new)
            self.counters["transcripts_computed"] += len(todo)
        return out

    def score_batch(self, inputs: list[ScoreInput]) -> list[dict[str, Any]]:
        max_s = self.params["max_seconds"]
        too_long = {}
        for inp in inputs:
            seconds = audio_duration(inp.audio_path)
            if seconds > max_s:
                too_long[inp.key] = error_row(
                    f"audio is {seconds:.1f} s, over max_seconds={max_s:g}: not transcribed (never chunked)"
                )
        texts = self.transcripts([inp for inp in inputs if inp.key not in too_long])
        rows = []
        for inp in inputs:
            if inp.key in too_long:
                rows.append(too_long[inp.key])
                continue
            t = texts[inp.key]
            unit = unit_for(inp.language, self.params["units"])
            row = transcript_row("wer", inp.text, t["text"], inp.language, variant=self.params["variant"], unit=unit)
            row.update({"asr_language": t["language"], "asr_detected_language": t["detected_language"], "asr_raw": t["raw"]})
            rows.append(row)
        return rows
