"""Whisper-large-v3 as seed-tts-eval's `run_wer.py` runs it for English, through transformers.

Upstream (BytedanceSpeech/seed-tts-eval @ 752f429, `run_wer.py`, `lang == "en"`), reproduced:
* `soundfile.read` (float64) at the file's rate; if that is not 16 kHz,
  `scipy.signal.resample(wav, int(len(wav) * 16000 / sr))` (FFT resampling, not soxr);
* `WhisperProcessor(wav, sampling_rate=16000)` features (one 30 s window: longer audio is cut by
  the feature extractor, as upstream);
* `model.generate(features, forced_decoder_ids=processor.get_decoder_prompt_ids(language=…,
  task="transcribe"))` with the checkpoint's generation config otherwise untouched (greedy, max
  length 448), float32 weights;
* `batch_decode(…, skip_special_tokens=True)[0]`, no strip.
Upstream forces "english" because its script only scores English; we force the item's language,
which is the same for English items. Upstream decodes one file at a time; we batch (every input is
padded to the same 30 s window, and greedy decoding is per sequence).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ztts_eval.hub import resolve_hf_model, weights_fingerprint

MODEL = "openai/whisper-large-v3"
SAMPLE_RATE = 16000


def read_like_run_wer(path: str | Path) -> np.ndarray:
    """float64 mono samples at 16 kHz exactly as `run_wer.py` prepares them."""
    import scipy.signal
    import soundfile as sf

    wav, sr = sf.read(str(path))
    if wav.ndim != 1:
        raise ValueError(f"{Path(path).name} has {wav.shape[1]} channels; run_wer.py scores mono files only")
    if sr != SAMPLE_RATE:
        wav = scipy.signal.resample(wav, int(len(wav) * SAMPLE_RATE / sr))
    return wav


class WhisperTranscriber:
    def __init__(self, model: str = MODEL, revision: str | None = None, device: str = "auto", batch_size: int = 8) -> None:
        self.model_ref, self.revision, self.device, self.batch_size = model, revision, device, int(batch_size)
        self._dir: Path | None = None
        self._commit: str | None = None
        self._fp: dict[str, Any] | None = None
        self._processor: Any = None
        self._model: Any = None

    def resolve(self) -> Path:
        """Locate the weights without loading them; WeightsMissingError names the fix."""
        if self._dir is None:
            self._dir, self._commit = resolve_hf_model(
                self.model_ref,
                self.revision,
                what="Whisper-large-v3 (seedtts WER, en)",
                param_hint="pass a local directory with --metric-param wer_seedtts.whisper=/path/to/whisper-large-v3",
            )
        return self._dir

    def fingerprint(self) -> dict[str, Any]:
        if self._fp is None:
            directory = self.resolve()
            self._fp = {
                "model": self.model_ref if not Path(self.model_ref).is_dir() else "local-directory",
                "revision": self.revision,
                "snapshot": self._commit,
                "weights": weights_fingerprint(directory),
                "prompt": "forced_decoder_ids(language=item, task=transcribe)",
                "decoding": "generation_config defaults (greedy)",
                "resampler": "scipy.signal.resample (FFT), as run_wer.py",
                "precision": "float32",
            }
        return self._fp

    def _torch_device(self) -> str:
        if self.device != "auto":
            return self.device
        import torch

        return "cuda:0" if torch.cuda.is_available() else "cpu"

    def load(self) -> None:
        if self._model is not None:
            return
        from transformers import WhisperForConditionalGeneration, WhisperProcessor

        directory = str(self.resolve())
        self._processor = WhisperProcessor.from_pretrained(directory)
        model = WhisperForConditionalGeneration.from_pretrained(directory, use_safetensors=True)
        self._model = model.to(self._torch_device()).eval()

    def transcribe(self, wavs: list[np.ndarray], languages: list[str]) -> list[str]:
        """16 kHz float64 clips (from `read_like_run_wer`) → raw transcripts, in order."""
        import torch

        self.load()
        out: list[str] = [""] * len(wavs)
        order = sorted(range(len(wavs)), key=lambda i: languages[i])  # one forced prompt per batch
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            by_lang: dict[str, list[int]] = {}
            for i in chunk:
                by_lang.setdefault(languages[i], []).append(i)
            for lang, idx in by_lang.items():
                feats = self._processor([wavs[i] for i in idx], sampling_rate=SAMPLE_RATE, return_tensors="pt").input_features
                # the ISO code names the same language token as upstream's "english"
                prompt = self._processor.get_decoder_prompt_ids(language=lang, task="transcribe")
                with torch.no_grad():
                    ids = self._model.generate(feats.to(self._model.device), forced_decoder_ids=prompt)
                for i, text in zip(idx, self._processor.batch_decode(ids, skip_special_tokens=True)):
                    out[i] = text
        return out
