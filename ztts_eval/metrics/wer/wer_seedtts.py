"""Seed-TTS-Eval WER/CER (`wer_seedtts`): `run_wer.py` + `average_wer.py`, per item.

Judges as upstream: Paraformer-zh for Chinese (isolated worker, `paraformer_asr.py`), Whisper-
large-v3 through transformers for English (`whisper_asr.py`) and, as CV3-Eval does, for every
other language (forced to the item's language). Text: the `seedtts` normalizer variant, which is
`run_wer.py`'s `process_one` step for step (zhconv on the Chinese hypothesis, zh/ja/ko as
characters). Headline: the mean of per-utterance error ×100, `average_wer.py`'s `WER:` line.
Transcripts are cached apart from scores, like the ztts1 `wer`, so a normalizer fix never re-runs
an ASR model. `zh=off` scores English-only suites without the Paraformer environment (Chinese
items are then `not_covered`, never silently dropped).
"""

from __future__ import annotations

from typing import Any

from ztts_eval.hub import WeightsMissingError
from ztts_eval.languages import LANGUAGES
from ztts_eval.metrics.base import (
    Column,
    MetricInfo,
    MetricSetupError,
    SampleMetric,
    ScoreInput,
    error_row,
    not_covered,
    package_versions,
)
from ztts_eval.metrics.wer.rows import transcript_row
from ztts_eval.metrics.wer.text_norm import normalizer_id
from ztts_eval.store import Store, score_key


class SeedTtsWer(SampleMetric):
    info = MetricInfo(
        name="wer_seedtts",
        version="1",
        kind="sample",
        columns=(Column("wer_seedtts", higher_is_better=False, aggregation="edits", unit="%"),),
        inputs=("audio", "text"),
        scorer="Whisper-large-v3 (en) / Paraformer-zh (zh)",
        extra="asr",
        family="seedtts",
        device="cuda-optional",
        sample_rate=None,  # each judge reads the file as upstream does
        languages=frozenset(LANGUAGES),
        description="Seed-TTS-Eval WER (CER for zh/ja/ko): Whisper-large-v3 / Paraformer-zh, run_wer.py text rules.",
    )
    required_modules = ("torch", "transformers", "scipy", "soundfile", "zhconv", "zhon")
    batch_size = 16

    def __init__(
        self,
        whisper: str = "openai/whisper-large-v3",
        whisper_revision: str | None = None,
        paraformer: str = "funasr/paraformer-zh",
        paraformer_revision: str | None = None,
        paraformer_python: str | None = None,
        zh: str = "paraformer",
        device: str = "auto",
        batch_size: int = 8,
    ) -> None:
        from ztts_eval.metrics.wer.paraformer_asr import ParaformerTranscriber
        from ztts_eval.metrics.wer.whisper_asr import WhisperTranscriber

        if zh not in ("paraformer", "off"):
            raise ValueError(f"wer_seedtts.zh must be 'paraformer' or 'off', got {zh!r}")
        super().__init__(zh=zh)
        self.whisper = WhisperTranscriber(whisper, whisper_revision, device, batch_size)
        self.paraformer = (
            ParaformerTranscriber(paraformer, paraformer_revision, paraformer_python, device) if zh != "off" else None
        )
        self._store: Store | None = None
        self.counters = {"transcripts_computed": 0, "transcripts_cached": 0}

    def preflight(self) -> None:
        super().preflight()
        try:
            self.whisper.resolve()
            if self.paraformer is not None:
                self.paraformer.resolve()
        except WeightsMissingError as exc:
            hint = "; English-only suites can run with --metric-param wer_seedtts.zh=off" if self.paraformer else ""
            raise MetricSetupError(f"{exc}{hint}") from None

    def versions(self) -> dict[str, str]:
        return {"normalizer": normalizer_id("seedtts"), **package_versions("transformers", "torch", "scipy", "zhconv", "zhon")}

    def identity(self) -> dict[str, Any]:
        return {
            "whisper": self.whisper.fingerprint(),
            "paraformer": self.paraformer.fingerprint() if self.paraformer else "off",
        }

    def bind_store(self, store: Store) -> None:
        self._store = store

    def teardown(self) -> None:
        if self.paraformer is not None:
            self.paraformer.close()

    def _judge(self, language: str) -> str:
        return "paraformer" if language == "zh" else "whisper"

    def transcripts(self, inputs: list[ScoreInput]) -> dict[str, dict[str, Any]]:
        """{input key: {"text"} or {"error"}}, cached per (judge fingerprint, audio, language)."""
        from ztts_eval.metrics.wer.whisper_asr import read_like_run_wer

        fps = {"whisper": self.whisper.fingerprint(), "paraformer": self.paraformer.fingerprint() if self.paraformer else None}
        keys = {
            inp.key: score_key({"transcriber": fps[self._judge(inp.language)]}, inp.audio_sha256, {"language": inp.language})
            for inp in inputs
        }
        cached = self._store.get_many("scores", list(keys.values())) if self._store else {}
        out = {inp.key: cached[keys[inp.key]] for inp in inputs if keys[inp.key] in cached}
        self.counters["transcripts_cached"] += len(out)
        todo = [inp for inp in inputs if inp.key not in out]
        fresh: dict[str, dict[str, Any]] = {}
        zh = [inp for inp in todo if self._judge(inp.language) == "paraformer"]
        if zh:
            for inp, ans in zip(zh, self.paraformer.transcribe([inp.audio_path for inp in zh])):
                fresh[inp.key] = {"text": ans["text"]} if not ans.get("error") else {"error": f"Paraformer-zh: {ans['error']}"}
        rest = [inp for inp in todo if self._judge(inp.language) == "whisper"]
        wavs, readable = [], []
        for inp in rest:
            try:
                wavs.append(read_like_run_wer(inp.audio_path))
                readable.append(inp)
            except (ValueError, RuntimeError) as exc:
                fresh[inp.key] = {"error": str(exc)}
        for inp, text in zip(readable, self.whisper.transcribe(wavs, [inp.language for inp in readable]) if readable else []):
            fresh[inp.key] = {"text": text}
        if self._store:  # only transcripts are cached; an error is retried next run
            self._store.put_many("scores", {keys[k]: v for k, v in fresh.items() if "text" in v})
        self.counters["transcripts_computed"] += sum("text" in v for v in fresh.values())
        return {**out, **fresh}

    def score_batch(self, inputs: list[ScoreInput]) -> list[dict[str, Any]]:
        covered = [inp for inp in inputs if not (inp.language == "zh" and self.paraformer is None)]
        texts = self.transcripts(covered)
        rows = []
        for inp in inputs:
            if inp.key not in texts:
                rows.append(not_covered("Chinese is off (wer_seedtts.zh=off)"))
            elif "error" in texts[inp.key]:
                rows.append(error_row(texts[inp.key]["error"]))
            else:
                row = transcript_row("wer_seedtts", inp.text, texts[inp.key]["text"], inp.language, variant="seedtts")
                row["asr_judge"] = self._judge(inp.language)
                rows.append(row)
        return rows
