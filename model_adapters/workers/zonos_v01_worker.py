"""Zonos v0.1 worker: runs inside the `zonos-v0.1` environment (a pip install -e of a Zonos clone).

Speaker embedding from the prompt audio, conditioning with the language's espeak code, generation
with the package's defaults (cfg_scale 2.0, min_p 0.1), DAC decode at 44.1 kHz. Seeded with
torch.manual_seed per request, as the package's own app does.
"""

from __future__ import annotations

from typing import Any

from model_adapters.workers.protocol import serve

ESPEAK = {
    "en": "en-us",
    "ja": "ja",
    "zh": "cmn",
    "fr": "fr-fr",
    "de": "de",
    "es": "es",
    "it": "it",
    "pt": "pt-br",
    "ru": "ru",
    "ko": "ko",
    "pl": "pl",
    "tr": "tr",
    "ar": "ar",
    "hi": "hi",
    "id": "id",
    "th": "th",
}


def init(params: dict[str, Any]):
    import importlib.metadata as md

    import torch
    from zonos.model import Zonos

    device = params.get("device") or ("cuda" if torch.cuda.is_available() else "cpu")
    model = Zonos.from_pretrained(params["model"], device=device)
    return (model, params, device), {"zonos": md.version("zonos"), "torch": md.version("torch"), "device": device}


def synthesize_one(state, req: dict[str, Any]):
    import soundfile as sf
    import torch
    from zonos.conditioning import make_cond_dict

    model, params, device = state
    torch.manual_seed(int(req["seed"]))
    wav, sr = sf.read(req["prompt_audio"], dtype="float32", always_2d=True)
    speaker = model.make_speaker_embedding(torch.from_numpy(wav.mean(axis=1))[None], sr)
    cond = make_cond_dict(text=req["text"], speaker=speaker, language=ESPEAK[req["language"]])
    codes = model.generate(
        model.prepare_conditioning(cond),
        max_new_tokens=int(params.get("max_new_tokens") or 86 * 30),
        cfg_scale=float(params.get("cfg_scale") or 2.0),
        sampling_params={"min_p": float(params.get("min_p") or 0.1)},
    )
    audio = model.autoencoder.decode(codes).cpu().numpy()[0, 0]
    return audio, int(model.autoencoder.sampling_rate), {}


if __name__ == "__main__":
    serve(init, synthesize_one)
