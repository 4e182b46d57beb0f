"""The seed-tts-eval speaker model: WavLM-Large features → ECAPA-TDNN head, built from one release file.

`wavlm_large_finetune.pth` (UniSpeech `downstreams/speaker_verification`, the checkpoint
seed-tts-eval's `cal_sim.sh` takes) holds `{"model": state_dict}` of UniSpeech's
`ECAPA_TDNN_SMALL(feat_dim=1024, feat_type="wavlm_large")`: the *fine-tuned* WavLM-Large under
`feature_extract.model.*` (UniSpeech/fairseq names), the learned layer weights `feature_weight`,
the ECAPA head (`layer1` … `linear`) and a training-loss projection (`loss_calculator.*`, unused).
Upstream loads it with `strict=False` over s3prl's pretrained WavLM-Large, so every backbone weight
comes from this file; we do the same, but strictly: every key must be consumed or the load fails.

The backbone runs as transformers' `WavLMModel` (the same network: stable layer norm, gated
relative position bias) with the UniSpeech names mapped onto it; the head is rebuilt here with the
checkpoint's parameter names. Sizes are read from the tensors, so a tiny checkpoint in the same
layout exercises the same code. Two values are not in the weights and are WavLM-Large's: the
relative-position `max_distance` 800 and input normalisation (s3prl applies `layer_norm` to each
waveform because WavLM-Large's config has `normalize=True`).
"""

from __future__ import annotations

import re
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

BACKBONE = "feature_extract.model."
IGNORED = ("loss_calculator.",)  # the AAM-softmax projection of training; inference never uses it
MAX_DISTANCE = 800
CONV_STRIDE = {10: 5, 3: 2, 2: 2}  # WavLM's conv stack "[(512,10,5)] + [(512,3,2)]*4 + [(512,2,2)]*2"
_RENAMES = [  # UniSpeech WavLM name → transformers WavLMModel name
    (r"^mask_emb$", "masked_spec_embed"),
    (r"^feature_extractor\.conv_layers\.(\d+)\.0\.", r"feature_extractor.conv_layers.\1.conv."),
    (r"^feature_extractor\.conv_layers\.(\d+)\.2\.1\.", r"feature_extractor.conv_layers.\1.layer_norm."),
    (r"^layer_norm\.", "feature_projection.layer_norm."),
    (r"^post_extract_proj\.", "feature_projection.projection."),
    (r"^encoder\.pos_conv\.0\.bias$", "encoder.pos_conv_embed.conv.bias"),
    (r"^encoder\.pos_conv\.0\.weight_g$", "encoder.pos_conv_embed.conv.parametrizations.weight.original0"),
    (r"^encoder\.pos_conv\.0\.weight_v$", "encoder.pos_conv_embed.conv.parametrizations.weight.original1"),
    (r"\.self_attn\.grep_linear\.", ".attention.gru_rel_pos_linear."),
    (r"\.self_attn\.grep_a$", ".attention.gru_rel_pos_const"),
    (r"\.self_attn\.relative_attention_bias\.", ".attention.rel_attn_embed."),
    (r"\.self_attn\.", ".attention."),
    (r"\.self_attn_layer_norm\.", ".layer_norm."),
    (r"\.fc1\.", ".feed_forward.intermediate_dense."),
    (r"\.fc2\.", ".feed_forward.output_dense."),
]


class CheckpointError(ValueError):
    """The file is not a UniSpeech WavLM + ECAPA-TDNN speaker-verification checkpoint."""


def rename_backbone(name: str) -> str:
    for pattern, new in _RENAMES:
        name = re.sub(pattern, new, name)
    return name


def wavlm_config(sd: dict[str, torch.Tensor]):
    """transformers WavLMConfig of the backbone, every size read from the tensors."""
    from transformers import WavLMConfig

    convs = sorted(int(m.group(1)) for k in sd if (m := re.match(r"feature_extractor\.conv_layers\.(\d+)\.0\.weight$", k)))
    if not convs or "post_extract_proj.weight" not in sd:
        raise CheckpointError("no WavLM feature encoder under 'feature_extract.model.' (not a WavLM-Large speaker checkpoint)")
    if "feature_extractor.conv_layers.0.2.1.weight" not in sd:
        raise CheckpointError("the WavLM feature encoder is not the layer-norm variant of WavLM-Large")
    kernels = [int(sd[f"feature_extractor.conv_layers.{i}.0.weight"].shape[2]) for i in convs]
    if any(k not in CONV_STRIDE for k in kernels):
        raise CheckpointError(f"unexpected WavLM conv kernels {kernels}")
    layers = sum(1 for k in sd if re.match(r"encoder\.layers\.\d+\.fc1\.weight$", k))
    rel = sd["encoder.layers.0.self_attn.relative_attention_bias.weight"]
    pos = sd["encoder.pos_conv.0.weight_v"]
    hidden = int(sd["post_extract_proj.weight"].shape[0])
    return WavLMConfig(
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=int(rel.shape[1]),
        intermediate_size=int(sd["encoder.layers.0.fc1.weight"].shape[0]),
        conv_dim=tuple(int(sd[f"feature_extractor.conv_layers.{i}.0.weight"].shape[0]) for i in convs),
        conv_kernel=tuple(kernels),
        conv_stride=tuple(CONV_STRIDE[k] for k in kernels),
        conv_bias="feature_extractor.conv_layers.0.0.bias" in sd,
        num_feat_extract_layers=len(convs),
        feat_extract_norm="layer",
        do_stable_layer_norm=True,
        num_conv_pos_embeddings=int(pos.shape[2]),
        num_conv_pos_embedding_groups=hidden // int(pos.shape[1]),
        num_buckets=int(rel.shape[0]),
        max_bucket_distance=MAX_DISTANCE,
        layerdrop=0.0,
    )


class ConvReluBn(nn.Module):
    def __init__(self, cin: int, cout: int, kernel: int = 1, padding: int = 0) -> None:
        super().__init__()
        self.conv, self.bn = nn.Conv1d(cin, cout, kernel, padding=padding), nn.BatchNorm1d(cout)

    def forward(self, x):
        return self.bn(F.relu(self.conv(x)))  # upstream order: conv → ReLU → BN


class Res2ConvReluBn(nn.Module):
    """Res2Net split into `scale` groups; group i (i < scale-1) sees its slice plus the previous output."""

    def __init__(self, channels: int, kernel: int, dilation: int, scale: int) -> None:
        super().__init__()
        self.width, n = channels // scale, scale - 1
        self.convs = nn.ModuleList(
            nn.Conv1d(self.width, self.width, kernel, padding=dilation, dilation=dilation) for _ in range(n)
        )
        self.bns = nn.ModuleList(nn.BatchNorm1d(self.width) for _ in range(n))

    def forward(self, x):
        parts, out, previous = torch.split(x, self.width, 1), [], None
        for i, (conv, bn) in enumerate(zip(self.convs, self.bns)):
            previous = parts[i] if i == 0 else previous + parts[i]
            previous = bn(F.relu(conv(previous)))
            out.append(previous)
        return torch.cat(out + [parts[len(self.convs)]], dim=1)


class SqueezeExcite(nn.Module):
    def __init__(self, channels: int, bottleneck: int) -> None:
        super().__init__()
        self.linear1, self.linear2 = nn.Linear(channels, bottleneck), nn.Linear(bottleneck, channels)

    def forward(self, x):
        return x * torch.sigmoid(self.linear2(F.relu(self.linear1(x.mean(dim=2))))).unsqueeze(2)


class SERes2Block(nn.Module):
    def __init__(self, channels: int, kernel: int, dilation: int, scale: int, bottleneck: int) -> None:
        super().__init__()
        # attribute names are the checkpoint's
        self.Conv1dReluBn1 = ConvReluBn(channels, channels)
        self.Res2Conv1dReluBn = Res2ConvReluBn(channels, kernel, dilation, scale)
        self.Conv1dReluBn2 = ConvReluBn(channels, channels)
        self.SE_Connect = SqueezeExcite(channels, bottleneck)

    def forward(self, x):
        return x + self.SE_Connect(self.Conv1dReluBn2(self.Res2Conv1dReluBn(self.Conv1dReluBn1(x))))


class AttentiveStatsPool(nn.Module):
    def __init__(self, channels: int, attention: int) -> None:
        super().__init__()
        self.linear1, self.linear2 = nn.Conv1d(channels, attention, 1), nn.Conv1d(attention, channels, 1)

    def forward(self, x):
        alpha = torch.softmax(self.linear2(torch.tanh(self.linear1(x))), dim=2)
        mean = torch.sum(alpha * x, dim=2)
        var = torch.sum(alpha * x**2, dim=2) - mean**2
        return torch.cat([mean, torch.sqrt(var.clamp(min=1e-9))], dim=1)


class EcapaHead(nn.Module):
    """ECAPA-TDNN over a softmax-weighted sum of every WavLM hidden state (dilations 2, 3, 4 as upstream)."""

    def __init__(self, sd: dict[str, torch.Tensor]) -> None:
        super().__init__()
        feat_dim, channels = int(sd["layer1.conv.weight"].shape[1]), int(sd["layer1.conv.weight"].shape[0])
        scale = 1 + sum(1 for k in sd if re.match(r"layer2\.Res2Conv1dReluBn\.convs\.\d+\.weight$", k))
        kernel = int(sd["layer2.Res2Conv1dReluBn.convs.0.weight"].shape[2])
        bottleneck = int(sd["layer2.SE_Connect.linear1.weight"].shape[0])
        pooled = int(sd["conv.weight"].shape[0])
        self.feature_weight = nn.Parameter(torch.zeros(sd["feature_weight"].shape))
        self.instance_norm = nn.InstanceNorm1d(feat_dim)
        self.layer1 = ConvReluBn(feat_dim, channels, kernel=5, padding=2)
        self.layer2 = SERes2Block(channels, kernel, 2, scale, bottleneck)
        self.layer3 = SERes2Block(channels, kernel, 3, scale, bottleneck)
        self.layer4 = SERes2Block(channels, kernel, 4, scale, bottleneck)
        self.conv = nn.Conv1d(channels * 3, pooled, 1)
        self.pooling = AttentiveStatsPool(pooled, int(sd["pooling.linear1.weight"].shape[0]))
        self.bn = nn.BatchNorm1d(pooled * 2)
        self.linear = nn.Linear(pooled * 2, int(sd["linear.weight"].shape[0]))

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        """hidden_states: [layers, batch, time, dim] → embeddings [batch, emb]."""
        weights = F.softmax(self.feature_weight, dim=-1)[:, None, None, None]
        x = self.instance_norm((weights * hidden_states).sum(dim=0).transpose(1, 2) + 1e-6)
        out1 = self.layer1(x)
        out2 = self.layer2(out1)
        out3 = self.layer3(out2)
        out4 = self.layer4(out3)
        x = F.relu(self.conv(torch.cat([out2, out3, out4], dim=1)))
        return self.linear(self.bn(self.pooling(x)))


class WavLMEcapa(nn.Module):
    def __init__(self, state: dict[str, torch.Tensor]) -> None:
        super().__init__()
        from transformers import WavLMModel

        backbone = {k[len(BACKBONE) :]: v for k, v in state.items() if k.startswith(BACKBONE)}
        head = {k: v for k, v in state.items() if not k.startswith(BACKBONE) and not k.startswith(IGNORED)}
        try:
            self.wavlm = WavLMModel(wavlm_config(backbone))
            self.head = EcapaHead(head)
        except KeyError as exc:
            raise CheckpointError(f"missing tensor {exc.args[0]!r}") from None
        mapped = {rename_backbone(k): v for k, v in backbone.items()}
        for module, weights, where in ((self.wavlm, mapped, BACKBONE), (self.head, head, "")):
            result = module.load_state_dict(weights, strict=False)
            if result.missing_keys or result.unexpected_keys:
                raise CheckpointError(
                    f"keys do not match the architecture: missing {[where + k for k in result.missing_keys][:4]}, "
                    f"unexpected {[where + k for k in result.unexpected_keys][:4]}"
                )
        if len(self.head.feature_weight) != self.wavlm.config.num_hidden_layers + 1:
            raise CheckpointError("feature_weight must have one weight per WavLM hidden state (layers + 1)")

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        """wave: [1, samples] at 16 kHz → [1, emb]. One clip at a time: no padding reaches the pooling."""
        wave = F.layer_norm(wave, wave.shape[-1:])  # s3prl: WavLM-Large's normalize=True
        hidden = self.wavlm(wave, output_hidden_states=True).hidden_states
        return self.head(torch.stack(hidden, dim=0))


def load_model(path: Any) -> WavLMEcapa:
    """Read the release file safely (tensors only) and build the model; CheckpointError if it is not one."""
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise CheckpointError(f"cannot be read with torch.load(weights_only=True) ({type(exc).__name__})") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("model"), dict):
        raise CheckpointError("has no 'model' state dict (expected UniSpeech's {'model': …} layout)")
    return WavLMEcapa(payload["model"]).eval()
