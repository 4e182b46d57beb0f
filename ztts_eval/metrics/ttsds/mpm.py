"""The Masked Prosody Model (Minixhofer et al., `cdminix/masked_prosody_model`) as our own module,
plus TTSDS2's input pipeline for it.

The hub checkpoint is `model_config.yml` + `pytorch_model.bin` (a plain state dict, read with
`torch.load(weights_only=True)`). Architecture, matching its state-dict names: three summed
embeddings (pitch 130, energy 130, voicing 4 → 256), a sinusoidal `positional_encoding.pe` buffer,
`n_layers` post-norm Transformer encoder layers whose feed-forward is Conv1d(k=7) → ReLU →
Conv1d(k=1) ("conformer-like"), and three output heads (unused here).

TTSDS2 input: per utterance, pitch (pyworld DIO+StoneMask, 22.05 kHz, hop 256, ≤1000 frames,
unvoiced interpolated) clipped to [50, 300] Hz and divided by 250; RMS energy (frame 1024, hop 256)
clipped to [0, 0.2] and divided by 0.2; voicing 0/1; each bucketised on linspace(0, 1, 128)
(voicing on linspace(0, 1, 2)). Representation = output of encoder layer index 7 (the 8th of 16),
all frames of all utterances stacked → Gaussian → Fréchet distance.
Quirk kept for comparability: pretraining fed bucket ids shifted by +2 (0 = pad, 1 = mask), but
TTSDS2 feeds raw ids; `id_offset` (default 0, as TTSDS2) makes the choice explicit.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from ztts_eval.metrics.common.f0 import PITCH_SR, f0_track
from ztts_eval.metrics.ttsds.pitch import MAX_FRAMES, interpolate_unvoiced

LAYER = 7


def build_mpm(
    bins: int = 128,
    filter_size: int = 256,
    n_heads: int = 2,
    n_layers: int = 16,
    kernel_size: int = 7,
    dropout: float = 0.1,
    max_positions: int = 5000,
    **_: Any,
):
    import torch
    from torch import nn

    class PositionalEncoding(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.dropout = nn.Dropout(dropout)
            position = torch.arange(max_positions).unsqueeze(1)
            div = torch.exp(torch.arange(0, filter_size, 2) * (-math.log(10000.0) / filter_size))
            pe = torch.zeros(1, max_positions, filter_size)
            pe[0, :, 0::2] = torch.sin(position * div)
            pe[0, :, 1::2] = torch.cos(position * div)
            self.register_buffer("pe", pe)

        def forward(self, x):
            return self.dropout(x + self.pe[:, : x.size(1)])

    class ConformerLayer(nn.TransformerEncoderLayer):
        def __init__(self) -> None:
            super().__init__(filter_size, n_heads, batch_first=True, dropout=dropout)
            del self.linear1, self.linear2
            self.conv1 = nn.Conv1d(filter_size, filter_size, kernel_size, padding=kernel_size // 2)
            self.conv2 = nn.Conv1d(filter_size, filter_size, 1)

        def _ff_block(self, x):
            h = self.dropout(torch.relu(self.conv1(x.transpose(1, 2))))
            return self.dropout2(self.conv2(h).transpose(1, 2))

        def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
            # post-norm, as the parent with norm_first=False (its fused fast path needs linear1)
            x = self.norm1(src + self._sa_block(src, src_mask, src_key_padding_mask))
            return self.norm2(x + self._ff_block(x))

    class MaskedProsodyModel(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.pitch_embedding = nn.Embedding(bins + 2, filter_size)
            self.energy_embedding = nn.Embedding(bins + 2, filter_size)
            self.vad_embedding = nn.Embedding(4, filter_size)
            self.positional_encoding = PositionalEncoding()
            self.transformer = nn.TransformerEncoder(ConformerLayer(), n_layers, enable_nested_tensor=False)
            self.output_pitch = nn.Sequential(nn.Linear(filter_size, bins))
            self.output_energy = nn.Sequential(nn.Linear(filter_size, bins))
            self.output_vad = nn.Sequential(nn.Linear(filter_size, 1))

        def representation(self, ids, layer: int = LAYER):
            """ids [B, 3, T] (pitch, energy, voicing buckets) → hidden states after layer `layer`."""
            x = self.pitch_embedding(ids[:, 0]) + self.energy_embedding(ids[:, 1]) + self.vad_embedding(ids[:, 2])
            x = self.positional_encoding(x)
            for i, block in enumerate(self.transformer.layers):
                x = block(x)
                if i == layer:
                    return x
            raise ValueError(f"layer {layer} requested but the model has {len(self.transformer.layers)} layers")

    return MaskedProsodyModel()


def load_mpm(directory: Path):
    """Build from `model_config.yml` and load `pytorch_model.bin` strictly, weights only."""
    import torch
    import yaml

    config = yaml.safe_load((directory / "model_config.yml").read_text()) or {}
    model = build_mpm(**config)
    state = torch.load(directory / "pytorch_model.bin", map_location="cpu", weights_only=True)
    model.load_state_dict(state, strict=True)
    return model.eval(), config


def mpm_ids(samples22k: np.ndarray, id_offset: int = 0) -> np.ndarray:
    """[3, T] int64 bucket ids (pitch, energy, voicing) from one 22.05 kHz clip, as TTSDS2 builds them."""
    import librosa

    track = f0_track(samples22k, PITCH_SR)[:MAX_FRAMES]
    voicing = (track > 0).astype(np.float64)
    filled = interpolate_unvoiced(track)
    pitch = np.full(track.shape, 1e-6) if filled is None else filled
    energy = librosa.feature.rms(y=np.asarray(samples22k, dtype=np.float32), frame_length=1024, hop_length=256, center=True)[0][
        :MAX_FRAMES
    ]
    n = min(pitch.size, energy.size, voicing.size)
    edges, two = np.linspace(0, 1, 128), np.linspace(0, 1, 2)
    p = np.searchsorted(edges, np.clip(pitch[:n], 50, 300) / 250.0, side="left")
    e = np.searchsorted(edges, np.clip(energy[:n], 0, 0.2) / 0.2, side="left")
    v = np.searchsorted(two, np.clip(voicing[:n], 0, 1), side="left")
    ids = np.stack([p, e, v]) + np.array([[id_offset], [id_offset], [0]])
    ids[:2] = np.minimum(ids[:2], 129)  # pitch above 250 Hz maps to bucket 128; +2 must stay in the table
    return ids.astype(np.int64)
