"""A tiny, seeded `wavlm_large_finetune.pth` in the release's exact key layout, written from the spec.

Layout read from BytedanceSpeech/seed-tts-eval @ 752f429 (`thirdparty/UniSpeech/downstreams/
speaker_verification/models/ecapa_tdnn.py`: `ECAPA_TDNN_SMALL` with `feature_extract` = s3prl's
WavLM upstream, whose module is `model`) and s3prl @ ec8064b (`s3prl/upstream/wavlm/WavLM.py`,
`modules.py`): `torch.save({"model": state_dict})`, the backbone under `feature_extract.model.`
with fairseq names (`self_attn.grep_a`, `pos_conv.0.weight_g`, layer-norm conv blocks `N.2.1`),
the head with its real sizes (512 channels, 1536 pooled, 256-d embedding, scale 8), plus the
training loss projection `loss_calculator.projection.weight`. Only the WavLM backbone is shrunk
(3 layers × 32 dims, 16-channel conv stack with WavLM's real kernels and strides). The key set and
shapes were checked against the upstream modules instantiated at these sizes.
"""

from __future__ import annotations

from pathlib import Path


def unispeech_sv_state(seed: int = 0, layers: int = 3, dim: int = 32, heads: int = 2, ffn: int = 64, conv: int = 16):
    import torch

    g = torch.Generator().manual_seed(seed)

    def rnd(*shape, scale=0.2, offset=0.0):
        return torch.randn(*shape, generator=g) * scale + offset

    sd: dict[str, torch.Tensor] = {}
    w = "feature_extract.model."
    sd[w + "mask_emb"] = rnd(dim)
    for i, k in enumerate([10, 3, 3, 3, 3, 2, 2]):  # conv_feature_layers of WavLM (no conv bias)
        sd[f"{w}feature_extractor.conv_layers.{i}.0.weight"] = rnd(conv, 1 if i == 0 else conv, k)
        sd[f"{w}feature_extractor.conv_layers.{i}.2.1.weight"] = rnd(conv, offset=1.0)
        sd[f"{w}feature_extractor.conv_layers.{i}.2.1.bias"] = rnd(conv)
    sd[w + "layer_norm.weight"], sd[w + "layer_norm.bias"] = rnd(conv, offset=1.0), rnd(conv)
    sd[w + "post_extract_proj.weight"], sd[w + "post_extract_proj.bias"] = rnd(dim, conv), rnd(dim)
    sd[w + "encoder.pos_conv.0.bias"] = rnd(dim)
    sd[w + "encoder.pos_conv.0.weight_g"] = rnd(1, 1, 16, offset=1.0)
    sd[w + "encoder.pos_conv.0.weight_v"] = rnd(dim, dim // 4, 16)
    for i in range(layers):
        p = f"{w}encoder.layers.{i}."
        for proj in ("k_proj", "v_proj", "q_proj", "out_proj"):
            sd[p + f"self_attn.{proj}.weight"], sd[p + f"self_attn.{proj}.bias"] = rnd(dim, dim), rnd(dim)
        sd[p + "self_attn.grep_linear.weight"], sd[p + "self_attn.grep_linear.bias"] = rnd(8, dim // heads), rnd(8)
        sd[p + "self_attn.grep_a"] = rnd(1, heads, 1, 1, offset=1.0)
        if i == 0:
            sd[p + "self_attn.relative_attention_bias.weight"] = rnd(20, heads)  # num_buckets=20 here (320 in Large)
        sd[p + "self_attn_layer_norm.weight"], sd[p + "self_attn_layer_norm.bias"] = rnd(dim, offset=1.0), rnd(dim)
        sd[p + "fc1.weight"], sd[p + "fc1.bias"] = rnd(ffn, dim), rnd(ffn)
        sd[p + "fc2.weight"], sd[p + "fc2.bias"] = rnd(dim, ffn), rnd(dim)
        sd[p + "final_layer_norm.weight"], sd[p + "final_layer_norm.bias"] = rnd(dim, offset=1.0), rnd(dim)
    sd[w + "encoder.layer_norm.weight"], sd[w + "encoder.layer_norm.bias"] = rnd(dim, offset=1.0), rnd(dim)

    def bn(prefix: str, n: int) -> None:
        sd[prefix + "weight"], sd[prefix + "bias"] = rnd(n, offset=1.0), rnd(n)
        sd[prefix + "running_mean"], sd[prefix + "running_var"] = rnd(n, scale=0.1), rnd(n, scale=0.1, offset=1.0).abs()
        sd[prefix + "num_batches_tracked"] = torch.tensor(1000)

    def conv1d(prefix: str, cout: int, cin: int, k: int) -> None:
        sd[prefix + "weight"], sd[prefix + "bias"] = rnd(cout, cin, k, scale=0.05), rnd(cout, scale=0.05)

    ch, pooled, width = 512, 1536, 512 // 8
    sd["feature_weight"] = rnd(layers + 1)
    conv1d("layer1.conv.", ch, dim, 5)
    bn("layer1.bn.", ch)
    for b in (2, 3, 4):
        p = f"layer{b}."
        for name in ("Conv1dReluBn1", "Conv1dReluBn2"):
            conv1d(f"{p}{name}.conv.", ch, ch, 1)
            bn(f"{p}{name}.bn.", ch)
        for j in range(7):
            conv1d(f"{p}Res2Conv1dReluBn.convs.{j}.", width, width, 3)
            bn(f"{p}Res2Conv1dReluBn.bns.{j}.", width)
        sd[p + "SE_Connect.linear1.weight"], sd[p + "SE_Connect.linear1.bias"] = rnd(128, ch, scale=0.05), rnd(128)
        sd[p + "SE_Connect.linear2.weight"], sd[p + "SE_Connect.linear2.bias"] = rnd(ch, 128, scale=0.05), rnd(ch)
    conv1d("conv.", pooled, ch * 3, 1)
    conv1d("pooling.linear1.", 128, pooled, 1)
    conv1d("pooling.linear2.", pooled, 128, 1)
    bn("bn.", pooled * 2)
    sd["linear.weight"], sd["linear.bias"] = rnd(256, pooled * 2, scale=0.05), rnd(256)
    sd["loss_calculator.projection.weight"] = rnd(10, 256)  # training AAM-softmax (its real class count is not public)
    return sd


def write_checkpoint(path: Path, seed: int = 0, **sizes) -> Path:
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"model": unispeech_sv_state(seed, **sizes)}, path)
    return path
