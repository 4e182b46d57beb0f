"""Qwen3-TTS worker: runs inside the `qwen3-tts` environment, never in the harness's.

Loads `Qwen3TTSModel` (official qwen-tts package) from a hub id or a local directory, with the hub
offline unless allowed, and clones the prompt's voice from its audio and transcript
(`generate_voice_clone`). The package has no seed argument, so each request seeds torch first,
which makes a request reproducible on the same device and batch size.
"""

from __future__ import annotations

from typing import Any

from model_adapters.workers.protocol import serve

LANGUAGE_NAMES = {
    "zh": "Chinese",
    "en": "English",
    "ja": "Japanese",
    "ko": "Korean",
    "de": "German",
    "fr": "French",
    "ru": "Russian",
    "pt": "Portuguese",
    "es": "Spanish",
    "it": "Italian",
}


def init(params: dict[str, Any]):
    import importlib.metadata as md

    import torch
    from qwen_tts import Qwen3TTSModel

    dtype = getattr(torch, params.get("dtype") or ("bfloat16" if torch.cuda.is_available() else "float32"))
    device = params.get("device") or ("cuda:0" if torch.cuda.is_available() else "cpu")
    kwargs = {"revision": params["revision"]} if params.get("revision") else {}
    model = Qwen3TTSModel.from_pretrained(params["model"], device_map=device, dtype=dtype, **kwargs)
    info = {
        "qwen-tts": md.version("qwen-tts"),
        "transformers": md.version("transformers"),
        "torch": md.version("torch"),
        "device": device,
        "dtype": str(dtype),
    }
    return (model, params), info


def synthesize_one(state, req: dict[str, Any]):
    import numpy as np
    import soundfile as sf
    import torch

    model, params = state
    torch.manual_seed(int(req["seed"]))
    ref, sr = sf.read(req["prompt_audio"], dtype="float32", always_2d=False)
    if ref.ndim == 2:
        ref = ref.mean(axis=1)
    gen = {k: params[k] for k in ("temperature", "top_k", "top_p", "max_new_tokens") if params.get(k) is not None}
    wavs, out_sr = model.generate_voice_clone(
        text=req["text"],
        language=LANGUAGE_NAMES[req["language"]],
        ref_audio=(ref, sr),
        ref_text=req.get("prompt_text"),
        x_vector_only_mode=not req.get("prompt_text"),
        **gen,
    )
    return np.asarray(wavs[0], dtype=np.float32), int(out_sr), {}


if __name__ == "__main__":
    serve(init, synthesize_one)
