"""A worker for tests of the worker protocol and worker adapters: tones whose pitch follows the
prompt and whose phase follows the seed, run with the test interpreter (no model involved)."""

from __future__ import annotations

import zlib

import numpy as np

from model_adapters.workers.protocol import serve


def init(params):
    if params.get("fail_init"):
        raise RuntimeError("init failure requested")
    return params, {"worker": "tone", "params_seen": sorted(params)}


def synthesize_one(params, req):
    if req["text"] == "crash-the-worker":
        raise SystemExit(3)
    if req["text"] == "raise":
        raise ValueError("per-item failure requested")
    with open(req["prompt_audio"], "rb") as f:
        pitch = 120 + zlib.crc32(f.read()) % 200
    rng = np.random.default_rng([int(req["seed"]), zlib.crc32(req["item_id"].encode())])
    t = np.arange(int(16000 * max(0.3, 0.05 * len(req["text"])))) / 16000
    return (0.2 * np.sin(2 * np.pi * pitch * t + rng.uniform(0, 3))).astype(np.float32), 16000, {"eos_reached": True}


if __name__ == "__main__":
    serve(init, synthesize_one)
