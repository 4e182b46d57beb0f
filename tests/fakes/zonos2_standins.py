"""ZONOS2 stand-ins: a tiny ECAPA speaker encoder and a tiny DAC in their hub formats, and a loopback
stand-in for the official ZONOS2 server (127.0.0.1 only, served from a thread the test stops)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Self

import numpy as np
import torch

FULL = {
    "mel_dim": 128,
    "enc_dim": 2048,
    "enc_channels": [512, 512, 512, 512, 1536],
    "enc_kernel_sizes": [5, 3, 3, 3, 1],
    "enc_dilations": [1, 2, 3, 4, 1],
    "enc_attention_channels": 128,
    "enc_res2net_scale": 8,
    "enc_se_channels": 128,
}
TINY = {
    **FULL,
    "enc_dim": 32,
    "enc_channels": [16, 16, 16, 16, 48],
    "enc_attention_channels": 8,
    "enc_res2net_scale": 4,
    "enc_se_channels": 8,
}


def spec_shapes(cfg: dict) -> dict[str, tuple[int, ...]]:
    """Conv weight shapes per docs/zonos2.md §5, parameterised by the config."""
    c, cl, scale = cfg["enc_channels"][0], cfg["enc_channels"][-1], cfg["enc_res2net_scale"]
    att, se = cfg["enc_attention_channels"], cfg["enc_se_channels"]
    shapes = {"blocks.0.conv": (c, cfg["mel_dim"], 5)}
    for b in (1, 2, 3):
        shapes[f"blocks.{b}.tdnn1.conv"] = (c, c, 1)
        for j in range(scale - 1):
            shapes[f"blocks.{b}.res2net_block.blocks.{j}.conv"] = (c // scale, c // scale, 3)
        shapes[f"blocks.{b}.tdnn2.conv"] = (c, c, 1)
        shapes[f"blocks.{b}.se_block.conv1"] = (se, c, 1)
        shapes[f"blocks.{b}.se_block.conv2"] = (c, se, 1)
    shapes.update(
        {
            "mfa.conv": (cl, 3 * c, 1),
            "asp.tdnn.conv": (att, 3 * cl, 1),
            "asp.conv": (cl, att, 1),
            "fc": (cfg["enc_dim"], 2 * cl, 1),
        }
    )
    return shapes


def tiny_ecapa(directory: Path, drop: str | None = None, reshape: str | None = None) -> Path:
    """A tiny checkpoint as the hub ships it: config.json + bf16 model.safetensors, no key prefix."""
    from safetensors.torch import save_file

    gen, tensors = torch.Generator().manual_seed(0), {}
    for name, shape in spec_shapes(TINY).items():
        tensors[f"{name}.weight"] = (torch.randn(shape, generator=gen) / (shape[1] * shape[2]) ** 0.5).bfloat16()
        tensors[f"{name}.bias"] = (0.1 * torch.randn(shape[0], generator=gen)).bfloat16()
    if drop:
        del tensors[drop]
    if reshape:
        tensors[reshape] = torch.zeros(3, 3, 3, dtype=torch.bfloat16)
    directory.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(directory / "model.safetensors"))
    cfg = {"architectures": ["EcapaTdnnSpeakerEncoder"], "model_type": "ecapa_tdnn_speaker_encoder", "sample_rate": 24000, **TINY}
    (directory / "config.json").write_text(json.dumps(cfg))
    return directory


def tiny_dac(directory: Path, **overrides) -> Path:
    from transformers import DacConfig, DacModel

    torch.manual_seed(0)
    cfg = {
        "encoder_hidden_size": 2,
        "decoder_hidden_size": 16,
        "codebook_dim": 4,
        "n_codebooks": 9,
        "codebook_size": 1024,
        "downsampling_ratios": [2, 4, 8, 8],
        "sampling_rate": 44100,
    }
    DacModel(DacConfig(**{**cfg, **overrides})).save_pretrained(str(directory))
    return directory


class FakeZonos2Server:
    """Loopback stand-in for the official server's /tts/capabilities and /tts/generate."""

    def __init__(self, fail_first: int = 0, rate: str = "44100", voice_dependent: bool = False) -> None:
        self.bodies: list[dict] = []
        self.fail_first, self.rate, self.voice_dependent = fail_first, rate, voice_dependent
        self.pcm = np.linspace(-0.5, 0.5, 4410, dtype=np.float32)
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _send(self, code: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(code)
                for k, v in {**headers, "Content-Length": str(len(body))}.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                caps = {"speaker_enabled": True, "speaker_embedding_dim": 2048, "n_codebooks": 9}
                self._send(200, json.dumps(caps).encode(), {"Content-Type": "application/json"})

            def do_POST(self) -> None:
                owner.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                if len(owner.bodies) <= owner.fail_first:
                    return self._send(500, b'{"detail": "engine busy"}', {"Content-Type": "application/json"})
                pcm = owner.pcm
                if owner.voice_dependent:  # pitch follows the speaker audio, as a cloning server's output would
                    import zlib

                    freq = 120 + zlib.crc32(owner.bodies[-1].get("speaker_audio_base64", "").encode()) % 300
                    pcm = (0.3 * np.sin(2 * np.pi * freq * np.arange(8820) / 44100)).astype(np.float32)
                self._send(
                    200,
                    pcm.tobytes(),
                    {
                        "Content-Type": "audio/pcm",
                        "X-Audio-Sample-Rate": owner.rate,
                        "X-Audio-Channels": "1",
                        "X-Audio-Format": "float32",
                    },
                )

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.timeout = 5
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
