"""Qwen3-TTS (Alibaba Qwen, official `qwen-tts` package) as a local adapter.

qwen-tts pins transformers==4.57.3 while Qwen3-ASR needs 4.57.6, so the model runs in the
`qwen3-tts` environment (`ztts-eval env create qwen3-tts`) through a worker. Voice cloning from the
prompt audio plus its transcript; without a transcript the package's x-vector-only mode is used
(lower quality, recorded in the fingerprint as the params say). Default model: the 1.7B Base
(cloning) checkpoint; `--param model=/local/dir` for offline use.
"""

from __future__ import annotations

from typing import Any

from model_adapters.base import Capabilities
from model_adapters.workers.adapter import WorkerAdapter

LANGUAGES = frozenset({"zh", "en", "ja", "ko", "de", "fr", "ru", "pt", "es", "it"})


class Qwen3TtsAdapter(WorkerAdapter):
    name = "qwen3-tts"
    version = "1"
    published_name = "Qwen 3 TTS 1.7B"
    env_name = "qwen3-tts"
    worker_module = "model_adapters.workers.qwen3_tts_worker"

    def __init__(
        self,
        model: str = "Qwen/Qwen3-TTS-12Hz-1.7B-Base",
        revision: str | None = None,
        device: str | None = None,
        dtype: str | None = None,
        temperature: float | None = None,
        top_k: int | None = None,
        top_p: float | None = None,
        max_new_tokens: int | None = None,
        **params: Any,
    ) -> None:
        super().__init__(
            model=model,
            revision=revision,
            device=device,
            dtype=dtype,
            temperature=temperature,
            top_k=top_k,
            top_p=top_p,
            max_new_tokens=max_new_tokens,
            **params,
        )

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(zero_shot_cloning=True, languages=LANGUAGES, deterministic=True, max_batch=8)
