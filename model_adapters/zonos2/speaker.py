"""ZONOS2's speaker encoder, reimplemented: the 2048-d ECAPA-TDNN of
`marksverdhei/Qwen3-Voice-Embedding-12Hz-1.7B`, loaded without running any hub code.

The official engine loads that repo with `trust_remote_code=True`. We refuse to execute hub code,
so this module rebuilds the network layer by layer (docs/zonos2.md §5) under the checkpoint's
own tensor names, sizes it from `config.json` (so tiny test checkpoints work), and loads
`model.safetensors` strictly. The front end follows the official server path (docs/zonos2.md §5): mono,
16-bit PCM (the server decodes uploads with ffmpeg to s16), resample to 24 kHz, reflect-pad 384,
magnitude STFT (n_fft 1024, hop 256, periodic Hann, center=False), Slaney mel (128 bins, 0–12 kHz,
slaney norm), log(clamp(·, 1e-5)). No L2 normalisation: the raw vector feeds ZONOS2's LDA.

Resampling to 24 kHz is torchaudio's sinc resampler (width 6, rolloff 0.99, Hann), as the official
front end does, through our plain-torch port (ztts_eval/metrics/common/sinc_resample.py: torchaudio
itself cannot be imported beside CPU torch). soxr here moved the log-mel above a 16 kHz prompt's
Nyquist and the embedding (cosine 0.998 at 16 kHz, 0.984 at 22.05 kHz).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ztts_eval.audio import to_mono
from ztts_eval.hashing import sha256_bytes
from ztts_eval.hub import WeightsMissingError, resolve_hf_model, weights_fingerprint
from ztts_eval.metrics.common import sinc_resample

HUB_ID = "marksverdhei/Qwen3-Voice-Embedding-12Hz-1.7B"
SAMPLE_RATE, N_FFT, HOP, N_MELS, F_MIN, F_MAX = 24000, 1024, 256, 128, 0.0, 12000.0
PAD = (N_FFT - HOP) // 2  # 384: makes the centre-less STFT give floor(N / 256) frames
LOG_FLOOR = 1e-5
CONFIG_KEYS = (
    "mel_dim",
    "enc_dim",
    "enc_channels",
    "enc_kernel_sizes",
    "enc_dilations",
    "enc_attention_channels",
    "enc_res2net_scale",
    "enc_se_channels",
)
VERSION = "zonos2-ecapa-ztts-1"


class SpeakerEncoderLoadError(ValueError):
    """config.json and model.safetensors disagree with each other or with the architecture."""


def _hz_to_mel(f: np.ndarray) -> np.ndarray:
    """Slaney's auditory-toolbox scale: linear below 1 kHz, logarithmic above (not HTK)."""
    f = np.asarray(f, dtype=np.float64)
    lin = f / (200.0 / 3)
    return np.where(f >= 1000.0, 15.0 + np.log(np.maximum(f, 1e-10) / 1000.0) / (np.log(6.4) / 27.0), lin)


def _mel_to_hz(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float64)
    return np.where(m >= 15.0, 1000.0 * np.exp((np.log(6.4) / 27.0) * (m - 15.0)), m * (200.0 / 3))


def slaney_mel_filterbank(
    sr: int = SAMPLE_RATE, n_fft: int = N_FFT, n_mels: int = N_MELS, f_min: float = F_MIN, f_max: float = F_MAX
) -> np.ndarray:
    """[n_mels, n_fft//2+1] triangles on the Slaney scale, each scaled to unit area (norm="slaney"),
    as torchaudio's MelSpectrogram(norm="slaney", mel_scale="slaney") builds them. Computed in
    float64 and cast once, so it equals librosa's filterbank to float32 rounding."""
    freqs = np.linspace(0.0, sr / 2.0, n_fft // 2 + 1)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(f_min), _hz_to_mel(f_max), n_mels + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - freqs[None, :]
    rising, falling = -ramps[:-2] / widths[:-1, None], ramps[2:] / widths[1:, None]
    fb = np.maximum(0.0, np.minimum(rising, falling))
    fb *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return fb.astype(np.float32)


_FB = torch.from_numpy(slaney_mel_filterbank())
_WINDOW = torch.hann_window(N_FFT)  # periodic, torchaudio's default window_fn


def log_mel(wave_24k: np.ndarray) -> torch.Tensor:
    """(1, T, 128) log-mel of 24 kHz mono audio, T = floor(N / 256): the encoder's `input_values`."""
    x = torch.from_numpy(np.array(wave_24k, dtype=np.float32))  # a copy: inputs may be read-only
    x = F.pad(x[None, None], (PAD, PAD), mode="reflect")[0, 0]
    spec = torch.stft(x, N_FFT, HOP, N_FFT, _WINDOW, center=False, return_complex=True).abs()
    mel = _FB @ spec
    return torch.log(torch.clamp(mel, min=LOG_FLOOR)).T.unsqueeze(0)


def quantize_s16(x: np.ndarray) -> np.ndarray:
    """What the official server's ffmpeg decode to s16 and x/32768 does to a float waveform."""
    return (np.clip(np.rint(x * 32768.0), -32768, 32767) / 32768.0).astype(np.float32)


class _Tdnn(nn.Module):
    """Conv1d + bias + ReLU with reflect 'same' padding; Qwen3-TTS's TimeDelayNetBlock has no BatchNorm."""

    def __init__(self, cin: int, cout: int, kernel: int, dilation: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(cin, cout, kernel, dilation=dilation, padding="same", padding_mode="reflect")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.conv(x))


class _Res2Net(nn.Module):
    """Hierarchical split: group 0 passes, group i>=2 adds the previous group's output first."""

    def __init__(self, channels: int, scale: int, kernel: int, dilation: int) -> None:
        super().__init__()
        self.scale, width = scale, channels // scale
        self.blocks = nn.ModuleList(_Tdnn(width, width, kernel, dilation) for _ in range(scale - 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        parts, y = torch.chunk(x, self.scale, dim=1), None
        outs = [parts[0]]
        for i in range(1, self.scale):
            y = self.blocks[i - 1](parts[i] if y is None else parts[i] + y)
            outs.append(y)
        return torch.cat(outs, dim=1)


class _SqueezeExcite(nn.Module):
    """Channel gates from the time-averaged activations (batch-1: the length mask is all ones)."""

    def __init__(self, channels: int, bottleneck: int) -> None:
        super().__init__()
        self.conv1, self.conv2 = nn.Conv1d(channels, bottleneck, 1), nn.Conv1d(bottleneck, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate = torch.sigmoid(self.conv2(F.relu(self.conv1(x.mean(dim=2, keepdim=True)))))
        return x * gate


class _SERes2NetBlock(nn.Module):
    def __init__(self, channels: int, scale: int, se_channels: int, kernel: int, dilation: int) -> None:
        super().__init__()
        self.tdnn1 = _Tdnn(channels, channels, 1, 1)
        self.res2net_block = _Res2Net(channels, scale, kernel, dilation)
        self.tdnn2 = _Tdnn(channels, channels, 1, 1)
        self.se_block = _SqueezeExcite(channels, se_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.se_block(self.tdnn2(self.res2net_block(self.tdnn1(x))))


def _weighted_stats(h: torch.Tensor, w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    mean = (w * h).sum(dim=2)
    var = (w * (h - mean.unsqueeze(2)).pow(2)).sum(dim=2)
    return mean, torch.sqrt(var.clamp(min=1e-12))


class _AttentiveStatsPool(nn.Module):
    """Per-channel softmax attention over time, conditioned on the global mean/std; returns [mean; std]."""

    def __init__(self, channels: int, attention_channels: int) -> None:
        super().__init__()
        self.tdnn = _Tdnn(channels * 3, attention_channels, 1, 1)
        self.conv = nn.Conv1d(attention_channels, channels, 1)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        mean, std = _weighted_stats(h, torch.full_like(h[:, :1], 1.0 / h.shape[-1]))
        ctx = torch.cat([h, mean.unsqueeze(2).expand_as(h), std.unsqueeze(2).expand_as(h)], dim=1)
        w = torch.softmax(self.conv(torch.tanh(self.tdnn(ctx))), dim=2)
        mean, std = _weighted_stats(h, w)
        return torch.cat([mean, std], dim=1).unsqueeze(2)


def encoder_config(raw: dict[str, Any]) -> dict[str, Any]:
    """The architecture fields, validated; accepts them at top level or in one nested dict."""
    if "enc_dim" not in raw:
        raw = next((v for v in raw.values() if isinstance(v, dict) and "enc_dim" in v), raw)
    missing = [k for k in CONFIG_KEYS if k not in raw]
    if missing:
        raise SpeakerEncoderLoadError(f"config.json lacks {', '.join(missing)}")
    cfg = {k: raw[k] for k in CONFIG_KEYS}
    ch = list(cfg["enc_channels"])
    if not (len(ch) >= 3 and len(cfg["enc_kernel_sizes"]) == len(ch) == len(cfg["enc_dilations"])):
        raise SpeakerEncoderLoadError("config.json: enc_channels, enc_kernel_sizes, enc_dilations need one length >= 3")
    if len(set(ch[:-1])) != 1 or ch[0] % cfg["enc_res2net_scale"]:
        raise SpeakerEncoderLoadError("config.json: SE-Res2Net channels must be equal and divisible by the scale")
    cfg["sample_rate"] = int(raw.get("sample_rate", SAMPLE_RATE))
    if cfg["sample_rate"] != SAMPLE_RATE or cfg["mel_dim"] != N_MELS:
        raise SpeakerEncoderLoadError(f"config.json: the ZONOS2 front end is {SAMPLE_RATE} Hz / {N_MELS} mels")
    return cfg


def _names(items: list[str], cap: int = 40) -> str:
    more = f" … and {len(items) - cap} more" if len(items) > cap else ""
    return ", ".join(items[:cap]) + more


class SpeakerEncoder(nn.Module):
    """ECAPA-TDNN x-vector encoder; `embed()` maps a waveform to the raw `enc_dim` vector ZONOS2 conditions on."""

    def __init__(self, config: dict[str, Any], quantize_to_s16: bool = True) -> None:
        super().__init__()
        cfg = self.config = encoder_config(config)
        ch, ks, ds = cfg["enc_channels"], cfg["enc_kernel_sizes"], cfg["enc_dilations"]
        self.blocks = nn.ModuleList([_Tdnn(cfg["mel_dim"], ch[0], ks[0], ds[0])])
        for i in range(1, len(ch) - 1):
            self.blocks.append(_SERes2NetBlock(ch[i], cfg["enc_res2net_scale"], cfg["enc_se_channels"], ks[i], ds[i]))
        self.mfa = _Tdnn(sum(ch[1:-1]), ch[-1], ks[-1], ds[-1])
        self.asp = _AttentiveStatsPool(ch[-1], cfg["enc_attention_channels"])
        self.fc = nn.Conv1d(ch[-1] * 2, cfg["enc_dim"], 1)
        # reflect padding needs more frames than the widest pad; T = floor(N / 256)
        self.min_frames = 1 + max(m.dilation[0] * (m.kernel_size[0] - 1) // 2 for m in self.modules() if isinstance(m, nn.Conv1d))
        self.quantize_to_s16 = quantize_to_s16
        self._source: dict[str, Any] = {"model": None}
        self._cache: dict[str, np.ndarray] = {}

    def forward(self, input_values: torch.Tensor) -> torch.Tensor:
        """[B, T, mel_dim] log-mel -> [B, enc_dim]. Batches must share one length (no masks)."""
        h, outs = input_values.transpose(1, 2), []
        for block in self.blocks:
            h = block(h)
            outs.append(h)
        h = self.mfa(torch.cat(outs[1:], dim=1))  # block 0 is not aggregated
        return self.fc(self.asp(h)).squeeze(-1)

    def load_checkpoint(self, state: dict[str, torch.Tensor], source: str) -> None:
        """Strict load naming every missing, unexpected and mis-shaped tensor; bf16 is upcast to fp32."""
        expected = self.state_dict()
        missing = sorted(set(expected) - set(state))
        unexpected = sorted(set(state) - set(expected))
        shapes = [
            f"{k} {list(state[k].shape)} (config wants {list(v.shape)})"
            for k, v in expected.items()
            if k in state and state[k].shape != v.shape
        ]
        if missing or unexpected or shapes:
            parts = [
                f"{label}: {_names(items)}"
                for label, items in (("missing", missing), ("unexpected", unexpected), ("wrong shape", shapes))
                if items
            ]
            raise SpeakerEncoderLoadError(f"{source} does not match its config.json: " + "; ".join(parts))
        self.load_state_dict({k: v.to(torch.float32) for k, v in state.items()}, strict=True)

    @classmethod
    def from_pretrained(
        cls, dir_or_hub_id: str = HUB_ID, revision: str | None = None, device: str = "cpu", quantize_to_s16: bool = True
    ) -> SpeakerEncoder:
        from safetensors.torch import load_file

        directory, commit = resolve_hf_model(
            dir_or_hub_id, revision, what=f"ZONOS2 speaker encoder ({HUB_ID})", param_hint="pass --param speaker_encoder=DIR"
        )
        for name in ("config.json", "model.safetensors"):
            if not (directory / name).is_file():
                raise WeightsMissingError(
                    f"ZONOS2 speaker encoder: {directory} has no {name} "
                    f"(expected a copy of {HUB_ID}; pass --param speaker_encoder=DIR)"
                )
        model = cls(json.loads((directory / "config.json").read_text()), quantize_to_s16)
        model.load_checkpoint(load_file(str(directory / "model.safetensors")), str(directory / "model.safetensors"))
        model._source = {
            "model": dir_or_hub_id,
            "revision": revision,
            "snapshot": commit,
            "directory": directory,
            "weights": weights_fingerprint(directory),
        }
        return model.to(device).eval()

    def features(self, samples: np.ndarray, sr: int) -> torch.Tensor:
        """The official front end: mono, s16, 24 kHz, log-mel [1, T, 128]."""
        x = to_mono(samples)
        if x.size == 0 or not np.all(np.isfinite(x)):
            raise ValueError("speaker reference audio is empty or has non-finite samples")
        if self.quantize_to_s16:
            x = quantize_s16(x)
        x = sinc_resample.resample_np(x, int(sr), SAMPLE_RATE)
        if len(x) < max(PAD + 1, self.min_frames * HOP):
            raise ValueError(
                f"speaker reference too short: {len(x) / SAMPLE_RATE:.3f} s at 24 kHz (needs >= {self.min_frames * HOP} samples)"
            )
        return log_mel(x)

    @torch.no_grad()
    def embed(self, samples: np.ndarray, sr: int) -> np.ndarray:
        """Raw (un-normalised) float32 x-vector of one clip (float in [-1, 1] or PCM ints; mono or
        (frames, channels)), cached per instance by a SHA-256 of the audio bytes and rate."""
        samples = np.asarray(samples)
        if np.issubdtype(samples.dtype, np.integer):  # PCM ints: scale as the server's x/32768 does
            samples = samples / float(2 ** (8 * samples.dtype.itemsize - 1))
        x = np.ascontiguousarray(samples, dtype=np.float32)
        key = sha256_bytes(f"{int(sr)}:{x.shape}:".encode() + x.tobytes())
        if key not in self._cache:
            device = next(self.parameters()).device
            vec = self(self.features(x, sr).to(device))[0]
            self._cache[key] = vec.float().cpu().numpy().astype(np.float32)
        return self._cache[key].copy()

    def fingerprint(self) -> dict[str, Any]:
        src = {k: v for k, v in self._source.items() if k != "directory"}
        return {
            "speaker_encoder": VERSION,
            "architecture": "ecapa-tdnn (own reimplementation, no remote code)",
            **src,
            "config": self.config,
            "quantize_s16": self.quantize_to_s16,
            "resampler": sinc_resample.describe(),
            "frontend": {
                "sr": SAMPLE_RATE,
                "n_fft": N_FFT,
                "hop": HOP,
                "pad": PAD,
                "n_mels": N_MELS,
                "f_max": F_MAX,
                "mel": "slaney/slaney",
                "power": 1.0,
                "log_floor": LOG_FLOOR,
            },
            "torch": torch.__version__,
        }
