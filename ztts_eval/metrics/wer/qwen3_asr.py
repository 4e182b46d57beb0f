"""Qwen3-ASR transcription through the `qwen-asr` package's transformers backend (pinned 0.0.6).

Differences from `Qwen3ASRModel.transcribe`, each deliberate:
* The package's output parser collapses repeated characters/phrases (`detect_and_fix_repetitions`),
  which hides TTS looping. We take the raw decoded string and parse it ourselves, keeping repeats.
* The package silently splits audio over 1200 s into chunks. We never chunk: longer audio is
  refused per item (`max_seconds`), and the row says why.
* Resampling to 16 kHz is soxr VHQ (the harness-wide choice) instead of librosa.
* The language is forced from the item (the prompt ends with `language X<asr_text>`); the model's
  own language guess is recorded from a short second pass without forcing (`detect_language`).
* The context (biasing prompt) is always empty: the target text is never given to the judge.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ztts_eval.hub import resolve_hf_model, weights_fingerprint
from ztts_eval.languages import LANGUAGES

SAMPLE_RATE = 16000
MIN_SECONDS = 0.5  # the package zero-pads shorter clips to this length; we do the same
PACKAGE_VERSION = "0.0.6"

# Hub ids. Revisions are None (= the cache's snapshot / "main") because no verified commit hash
# could be read offline; every result records the resolved snapshot commit and a content
# fingerprint of the weights, and `revision` pins a commit when the user sets it.
MODELS = {"1.7B": "Qwen/Qwen3-ASR-1.7B", "0.6B": "Qwen/Qwen3-ASR-0.6B"}
DEFAULT_MODEL = "1.7B"

_LANG_LINE = re.compile(r"^\s*language\s+([A-Za-z]+)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Transcript:
    text: str  # raw decoded text, control prefix removed, repetitions kept
    raw: str  # exactly what the decoder produced
    language: str  # the forced language name
    detected_language: str | None  # the model's own guess (None when detection is off)


def language_name(code: str) -> str:
    """Qwen3-ASR's English name for a canonical code (`tl` → "Filipino")."""
    return LANGUAGES[code].name


def parse_raw_output(raw: str, forced_language: str | None) -> tuple[str, str]:
    """(language, text) from a raw decode. With a forced language the decode is the text itself,
    but a stray `language X<asr_text>` prefix is still removed. No repetition collapsing."""
    s = (raw or "").strip()
    if "<asr_text>" in s:
        meta, _, text = s.partition("<asr_text>")
        match = _LANG_LINE.match(meta.strip().splitlines()[-1] if meta.strip() else "")
        lang = match.group(1).capitalize() if match else ""
        if lang.lower() == "none":
            lang = ""
        return (forced_language or lang), text.strip()
    return (forced_language or ""), s


def prepare_audio(samples: np.ndarray) -> np.ndarray:
    """16 kHz mono float32 in [-1, 1], zero-padded to the model's minimum length."""
    x = np.asarray(samples, dtype=np.float32)
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    if peak > 1.0:
        x = x / peak
    min_len = int(MIN_SECONDS * SAMPLE_RATE)
    if x.size < min_len:
        x = np.pad(x, (0, min_len - x.size))
    return x


def duration_batches(durations: list[float], max_batch: int, max_batch_seconds: float) -> list[list[int]]:
    """Indices grouped longest-first so each batch pads little and stays under a seconds budget."""
    order = sorted(range(len(durations)), key=lambda i: -durations[i])
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        # padded cost of a batch = its longest item × its size
        longest = durations[current[0]] if current else durations[i]
        if current and (len(current) >= max_batch or longest * (len(current) + 1) > max_batch_seconds):
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


class Qwen3Transcriber:
    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        revision: str | None = None,
        backend: str = "transformers",
        device: str = "auto",
        dtype: str = "auto",
        max_new_tokens: int = 512,
        detect_language: bool = True,
        max_batch: int = 32,
        max_batch_seconds: float = 600.0,
    ) -> None:
        self.model_ref = MODELS.get(model, model)
        self.revision = revision
        if backend not in ("transformers", "vllm"):
            raise ValueError(f"Qwen3-ASR backend must be 'transformers' or 'vllm', got {backend!r}")
        self.backend = backend
        self.device, self.dtype = device, dtype
        self.max_new_tokens, self.detect_language = int(max_new_tokens), bool(detect_language)
        self.max_batch, self.max_batch_seconds = int(max_batch), float(max_batch_seconds)
        self._dir: Path | None = None
        self._commit: str | None = None
        self._asr: Any = None
        self._fingerprint: dict[str, Any] | None = None

    def resolve(self) -> Path:
        """Locate the weights (no loading); raises WeightsMissingError with the fix."""
        if self._dir is None:
            self._dir, self._commit = resolve_hf_model(
                self.model_ref,
                self.revision,
                what="Qwen3-ASR",
                param_hint="pass a local directory with --metric-param wer.model=/path/to/Qwen3-ASR-1.7B",
            )
        return self._dir

    def fingerprint(self) -> dict[str, Any]:
        if self._fingerprint is None:
            self._fingerprint = self._compute_fingerprint()
        return self._fingerprint

    def _compute_fingerprint(self) -> dict[str, Any]:
        directory = self.resolve()
        return {
            "model": self.model_ref if not Path(self.model_ref).is_dir() else "local-directory",
            "revision": self.revision,
            "snapshot": self._commit,
            "weights": weights_fingerprint(directory),
            "backend": f"qwen-asr-{PACKAGE_VERSION}/{self.backend}",
            "dtype": self._torch_dtype_name(),
            "max_new_tokens": self.max_new_tokens,
            "decoding": "greedy",
            "context": "",
            "language": "forced",
            "repetition_collapse": False,
            "resampler": "soxr-VHQ",
        }

    def _device(self) -> str:
        if self.device != "auto":
            return self.device
        import torch

        return "cuda:0" if torch.cuda.is_available() else "cpu"

    def _torch_dtype_name(self) -> str:
        if self.dtype != "auto":
            return self.dtype
        return "bfloat16" if self._device().startswith("cuda") else "float32"

    def unload(self) -> None:
        """Drop the ASR model and its (GPU) memory; `load()` brings it back."""
        from ztts_eval.metrics.base import free_memory

        self._asr = None
        free_memory()

    def load(self) -> None:
        if self._asr is not None:
            return
        from qwen_asr import Qwen3ASRModel

        if self.backend == "vllm":  # greedy (temperature 0) as the package sets it
            self._asr = Qwen3ASRModel.LLM(
                model=str(self.resolve()), max_inference_batch_size=-1, max_new_tokens=self.max_new_tokens
            )
            return
        import torch

        self._asr = Qwen3ASRModel.from_pretrained(
            str(self.resolve()),
            dtype=getattr(torch, self._torch_dtype_name()),
            device_map=self._device(),
            max_inference_batch_size=-1,
            max_new_tokens=self.max_new_tokens,
        )

    def _decode(self, wavs: list[np.ndarray], languages: list[str | None], max_new_tokens: int) -> list[str]:
        """Raw decoded strings for one batch, through the package's own prompt and batching code."""
        if self.backend == "vllm":
            from vllm import SamplingParams

            self._asr.sampling_params = SamplingParams(temperature=0.0, max_tokens=max_new_tokens)
        else:
            self._asr.max_new_tokens = max_new_tokens
        return self._asr._infer_asr([""] * len(wavs), wavs, languages)

    def transcribe(self, clips: list[np.ndarray], language_codes: list[str]) -> list[Transcript]:
        """Clips are 16 kHz mono float32; one Transcript per clip, in order."""
        self.load()
        wavs = [prepare_audio(c) for c in clips]
        names = [language_name(code) for code in language_codes]
        out: list[Transcript | None] = [None] * len(wavs)
        for batch in duration_batches([w.size / SAMPLE_RATE for w in wavs], self.max_batch, self.max_batch_seconds):
            bw, bn = [wavs[i] for i in batch], [names[i] for i in batch]
            raws = self._decode(bw, bn, self.max_new_tokens)
            detected = self._decode(bw, [None] * len(bw), 8) if self.detect_language else [None] * len(bw)
            for i, raw, det in zip(batch, raws, detected):
                lang, text = parse_raw_output(raw, names[i])
                guess = parse_raw_output(det, None)[0] if det is not None else None
                out[i] = Transcript(text=text, raw=raw, language=lang, detected_language=guess)
        return out  # type: ignore[return-value]
