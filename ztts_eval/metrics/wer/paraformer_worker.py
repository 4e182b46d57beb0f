"""Paraformer-zh worker: runs inside the `paraformer-zh` environment, never in the harness's.

Loads FunASR's `AutoModel` from the local folder the harness resolved (no hub access, no update
check) and answers `transcribe` items exactly as seed-tts-eval's `run_wer.py` calls the model.
"""

from __future__ import annotations

from typing import Any

from model_adapters.workers.protocol import serve


def init(params: dict[str, Any]):
    import importlib.metadata as md

    import torch
    from funasr import AutoModel

    device = params.get("device") or "auto"
    if device == "auto":
        device = "cuda:0" if torch.cuda.is_available() else "cpu"
    model = AutoModel(model=params["model_dir"], device=device, disable_update=True, disable_pbar=True)
    info = {"funasr": md.version("funasr"), "torch": md.version("torch"), "device": device}
    return model, info


def transcribe_one(model, item: dict[str, Any]) -> dict[str, Any]:
    res = model.generate(input=item["path"], batch_size_s=300)
    return {"text": res[0]["text"]}


if __name__ == "__main__":
    serve(init, None, {"transcribe": transcribe_one})
