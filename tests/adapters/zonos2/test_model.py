"""ZONOS2 engine on CPU: config rules, checkpoint format and checks, and the forward conventions.

A tiny random checkpoint is written in the real formats (params.json + torch-pickled model.pth);
the conventions that silently break parity (RoPE pairing, w_in / w13 chunk order, biased top-k
with unbiased weights, EDA threading, KV-cache masking) are checked against hand computations
or against the full causal recompute.
"""

from __future__ import annotations

import json
import math

import pytest
import torch

from model_adapters.zonos2.config import Zonos2Config
from model_adapters.zonos2.layers import DenseFFN, apply_rope, rope_freqs
from model_adapters.zonos2.model import Zonos2Model, init_random_weights
from model_adapters.zonos2.moe import Experts, MoEFFN
from model_adapters.zonos2.weights import (
    CheckpointMismatchError,
    check_state_dict,
    expected_shapes,
    load_state_dict,
    locate_weights,
)
from ztts_eval.hub import WeightsMissingError

RELEASED_PARAMS = {
    "model_type": "zonos2",
    "dtype": "bfloat16",
    "n_layers": 28,
    "dim": 2048,
    "head_dim": 128,
    "n_heads": None,
    "n_kv_heads": 4,
    "ffn_dim_multiplier": 1.5,
    "multiple_of": 256,
    "norm_eps": 1e-05,
    "rope_theta": 10000.0,
    "max_seqlen": 6144,
    "n_codebooks": 9,
    "codebook_size": 1024,
    "eoa_id": 1024,
    "audio_pad_id": 1025,
    "text_vocab": 519,
    "loss_softcap": 15.0,
    "speaker_enabled": True,
    "speaker_embedding_dim": 2048,
    "speaker_lda_dim": 1024,
    "speaker_background_token_enabled": True,
    "accurate_mode_token_enabled": True,
    "speaking_rate_num_buckets": 8,
    "speaking_rate_buckets": ["0-8", "8-11", "11-14", "14-17", "17-21", "21-28", "28-40", "40+"],
    "quality_num_buckets": 60,
    "quality_features": [
        "lufs",
        "estimated_snr",
        "max_pause",
        "estimated_bandlimit_hz",
        "leading_silence_s",
        "trailing_silence_s",
    ],
    "moe_impl": "sonic",
    "moe_n_experts": 16,
    "moe_router_topk": 1,
    "special_topk_layers": {"26": 2},
    "moe_router_dim": 128,
    "moe_start_from_layer": 3,
    "moe_end_from_layer": 1,
}


def tiny_model(seed: int = 0, std: float = 0.2) -> Zonos2Model:
    return init_random_weights(Zonos2Model(Zonos2Config.tiny()), std=std, seed=seed).eval()


def random_tokens(b: int, t: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    audio = torch.randint(0, 1026, (b, t, 9), generator=g)
    return torch.cat([audio, torch.randint(0, 520, (b, t, 1), generator=g)], dim=-1)


@pytest.fixture
def tiny_checkpoint(tmp_path):
    model = tiny_model()
    (tmp_path / "params.json").write_text(json.dumps(model.cfg.to_params()))
    torch.save({"model": model.state_dict()}, tmp_path / "model.pth")
    return tmp_path, model


def test_released_params_derivations():
    cfg = Zonos2Config.from_params(RELEASED_PARAMS)
    assert (cfg.n_heads, cfg.n_kv_groups, cfg.intermediate_size) == (16, 4, 3072)
    assert cfg.moe_layers == tuple(range(3, 27)) and cfg.dense_layers == (0, 1, 2, 27)
    assert cfg.eda_layers == tuple(range(4, 27))
    assert [cfg.router_topk(i) for i in (3, 25, 26)] == [1, 1, 2]
    assert (cfg.text_table_size, cfg.audio_table_size) == (520, 1026)
    assert cfg.kv_bytes_per_frame == 57344
    assert Zonos2Config.from_params(cfg.to_params()) == cfg
    tiny = Zonos2Config.tiny()
    assert tiny.dense_layers == (0, 1, 5) and tiny.moe_layers == (2, 3, 4) and tiny.router_topk(4) == 2


def test_expected_shapes_full_size_matches_meta_model():
    cfg = Zonos2Config.from_params(RELEASED_PARAMS)
    shapes = expected_shapes(cfg)
    assert len(shapes) == 16 + 28 * 7 + 4 * 2 + 24 * 11 + 23 == 507
    assert sorted(int(k.split(".")[1]) for k in shapes if k.endswith("router_states_scale")) == list(range(4, 27))
    assert sum(k.endswith("experts.w13") for k in shapes) == 24 and sum(k.endswith("w_in.weight") for k in shapes) == 4
    assert shapes["layers.3.feed_forward.experts.w13"] == (16, 6144, 2048)
    assert shapes["layers.3.feed_forward.experts.w2"] == (16, 2048, 3072)
    assert shapes["layers.0.attention.wkv.weight"] == (2, 512, 2048)
    assert shapes["multi_output.weight"] == (9 * 1026, 2048)
    assert round(sum(math.prod(s) for s in shapes.values()) / 1e9, 3) == 7.668  # "8B total" (docs/zonos2.md §1)
    with torch.device("meta"):
        model = Zonos2Model(cfg)
    assert {k: tuple(v.shape) for k, v in model.state_dict().items()} == shapes


def test_from_pretrained_tiny_checkpoint(tiny_checkpoint):
    directory, ref = tiny_checkpoint
    model = Zonos2Model.from_pretrained(directory, dtype=torch.float32)
    tokens = random_tokens(2, 5)
    logits = model(tokens)
    assert logits.shape == (2, 5, 9, 1026) and logits.dtype == torch.float32
    assert torch.isfinite(logits).all() and logits.abs().max() < 15
    plain = ref(tokens).detach()  # ref's q/k/v/gate projections are still three GEMMs
    torch.testing.assert_close(logits, plain, rtol=0, atol=1e-5)
    before = {k: v.clone() for k, v in ref.state_dict().items()}
    ref.prepare()  # one fused GEMM; same parameters, same keys, now views of one matrix
    assert ref.layers[0].attention.wq.weight.data_ptr() == ref.layers[0].attention._fused.data_ptr()
    assert all(torch.equal(before[k], v) for k, v in ref.state_dict().items()) and before.keys() == ref.state_dict().keys()
    torch.testing.assert_close(logits, ref(tokens).detach(), rtol=0, atol=0)
    bf16 = Zonos2Model.from_pretrained(str(directory), dtype=torch.bfloat16)
    assert bf16.multi_output.weight.dtype == torch.bfloat16
    assert bf16.layers[2].feed_forward.router.balancing_biases.dtype == torch.bfloat16
    assert torch.isfinite(bf16(tokens)).all()


def test_state_dict_unwrapping_and_checks(tiny_checkpoint, tmp_path):
    directory, model = tiny_checkpoint
    state = model.state_dict()
    for wrapper in ({"state_dict": state}, {"model": state, "epoch": 3}, state):
        torch.save(wrapper, tmp_path / "w.pth")
        loaded = load_state_dict(tmp_path / "w.pth")
        assert loaded.keys() == state.keys()
        check_state_dict(loaded, model.cfg)
    bad = dict(state)
    del bad["layers.3.feed_forward.router.router_states_scale"]
    bad["layers.0.attention.wkv.weight"] = torch.zeros(2, 16, 64)
    bad["layers.0.extra.weight"] = torch.zeros(1)
    with pytest.raises(CheckpointMismatchError) as err:
        check_state_dict(bad, model.cfg)
    msg = str(err.value)
    assert "layers.3.feed_forward.router.router_states_scale" in msg and "1 missing" in msg
    assert "layers.0.attention.wkv.weight: checkpoint (2, 16, 64) != expected (2, 32, 64)" in msg
    assert "layers.0.extra.weight" in msg and "\n" not in msg


def test_locate_weights_errors(tmp_path, monkeypatch):
    (tmp_path / "params.json").write_text("{}")
    with pytest.raises(WeightsMissingError, match="model.pth"):
        locate_weights(tmp_path)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(WeightsMissingError, match="HF_HUB_OFFLINE"):
        locate_weights("Zyphra/ZONOS2-not-in-any-cache")


def test_interleaved_rope_hand_example():
    x = torch.tensor([1.0, 0.0, 0.0, 1.0]).view(1, 1, 1, 4)
    freqs = rope_freqs(torch.tensor([[1]]), head_dim=4, theta=10000.0).unsqueeze(2)
    got = apply_rope(x, freqs).flatten().tolist()
    # pairs (0,1) and (2,3) rotate by 1 rad and 10000^(-2/4) = 0.01 rad
    want = [math.cos(1.0), math.sin(1.0), -math.sin(0.01), math.cos(0.01)]
    assert got == pytest.approx(want, abs=1e-6)


def test_dense_ffn_chunk0_is_up():
    ffn = DenseFFN(dim=2, inter=1)
    with torch.no_grad():
        ffn.w_in.weight.copy_(torch.tensor([[[1.0, 2.0]], [[0.5, -1.0]]]))  # up row, gate row
        ffn.w_out.weight.copy_(torch.tensor([[1.0], [3.0]]))
    x = [1.0, -0.5]
    up, gate = 1.0 * x[0] + 2.0 * x[1], 0.5 * x[0] - 1.0 * x[1]
    h = up * gate / (1 + math.exp(-gate))
    assert ffn(torch.tensor([x])).flatten().tolist() == pytest.approx([h, 3 * h], abs=1e-6)


@pytest.mark.parametrize("mode", ["loop", "gather", "grouped", "dense", "fast"])
def test_expert_w13_even_rows_are_gate(mode):
    # dim 4 / inter 4 keep rows 16-byte aligned for the grouped GEMM; only unit 0 and dims 0-1 are non-zero.
    experts = Experts(n_experts=2, dim=4, inter=4)
    with torch.no_grad():
        experts.w13.zero_()
        experts.w13[0].fill_(9.0)  # expert 0 must not be used
        experts.w13[1, 0, :2] = torch.tensor([1.0, 2.0])  # row 0 (even): gate of unit 0
        experts.w13[1, 1, :2] = torch.tensor([0.5, -1.0])  # row 1 (odd): up of unit 0
        experts.w2.zero_()
        experts.w2[0].fill_(9.0)
        experts.w2[1, :2, 0] = torch.tensor([1.0, 3.0])
    x = [1.0, -0.5]
    gate, up = 1.0 * x[0] + 2.0 * x[1], 0.5 * x[0] - 1.0 * x[1]
    h = 0.7 * up * gate / (1 + math.exp(-gate))
    out = experts(torch.tensor([x + [0.0, 0.0]]), torch.tensor([[1]]), torch.tensor([[0.7]]), mode)
    assert out.flatten().tolist() == pytest.approx([h, 3 * h, 0.0, 0.0], abs=1e-6)


def test_router_topk_uses_biases_weights_use_plain_probs():
    ffn = MoEFFN(dim=8, inter=4, router_dim=4, n_experts=4, top_k=2, eps=1e-5, eda=False)
    init_random_weights(ffn, std=0.3)
    with torch.no_grad():
        ffn.router.router_mlp[4].weight.zero_()  # uniform p = 0.25
        ffn.router.balancing_biases.copy_(torch.tensor([0.0, 0.1, 0.2, 0.0]))
    idx, weights, _ = ffn.router(torch.randn(3, 8), None)
    assert idx.tolist() == [[2, 1]] * 3
    assert torch.equal(weights, torch.full((3, 2), 0.25))  # not renormalized, not biased


@pytest.mark.parametrize("layer", [2, 4])  # top-1 and the top-2 layer
def test_moe_fast_paths_match_reference_loop(layer):
    model = tiny_model(seed=1)
    ffn = model.layers[layer].feed_forward
    x = torch.randn(1, 13, 64, generator=torch.Generator().manual_seed(3))
    prev = torch.randn(13, 16) if layer == 4 else None
    ref, _ = ffn(x, prev, "loop")
    idx, _, _ = ffn.router(x.view(13, 64), prev)
    assert idx.shape[1] == model.cfg.router_topk(layer) and idx.unique().numel() > 1
    for mode in ("gather", "grouped", "dense", "fast"):
        torch.testing.assert_close(ffn(x, prev, mode)[0], ref, rtol=1e-5, atol=1e-5)
    tokens = random_tokens(2, 6, seed=4)
    full_loop = model(tokens)
    model.set_moe_mode("fast")
    torch.testing.assert_close(model(tokens), full_loop, rtol=1e-4, atol=1e-4)


def test_router_state_threads_through_moe_layers_only():
    model = tiny_model()
    seen: dict[int, tuple] = {}
    for i in model.cfg.moe_layers:
        model.layers[i].feed_forward.router.register_forward_hook(
            lambda mod, args, out, i=i: seen.__setitem__(i, (args[1], out[2]))
        )
    model(random_tokens(1, 4))
    assert seen[2][0] is None and seen[3][0] is seen[2][1] and seen[4][0] is seen[3][1]
    assert model.layers[2].feed_forward.router.router_states_scale is None


@torch.no_grad()
def test_weight_derived_tensors_follow_the_weights():
    # Tensors built once from the weights (|temp| scale, stacked embedding table, expert transposes)
    # must track in-place edits, casts and assigning loads exactly like the weights themselves:
    # `model` builds them before each change, `fresh()` only after it.
    def fresh(seed: int = 5, edit: bool = True) -> Zonos2Model:
        m = tiny_model(seed=seed).prepare()
        m.set_moe_mode("grouped")
        if edit:
            m.layers[0].attention.temp.mul_(-2.0)
            m.multi_embedder.embedders[3].weight.add_(0.5)
            m.layers[2].feed_forward.experts.w13.mul_(1.5)
        return m

    tokens = random_tokens(1, 6, seed=9)
    model = fresh(edit=False)
    assert torch.equal(model(tokens), fresh(edit=False)(tokens))
    model.layers[0].attention.temp.mul_(-2.0)  # written in place after they were built
    model.multi_embedder.embedders[3].weight.add_(0.5)
    model.layers[2].feed_forward.experts.w13.mul_(1.5)
    assert torch.equal(model(tokens), fresh()(tokens))
    assert torch.equal(model.bfloat16()(tokens), fresh().bfloat16()(tokens))  # cast: rebuilt in the new dtype
    other = fresh(seed=6, edit=False)
    model.load_state_dict(other.state_dict(), assign=True)  # replaced (fp32 again): rebuilt from the new tensors
    assert torch.equal(model.prepare()(tokens), fresh(seed=6, edit=False)(tokens))


@torch.no_grad()
def test_kv_cache_decode_matches_full_recompute():
    model = tiny_model(seed=2)
    seqs = random_tokens(2, 12, seed=5)
    lens = [5, 8]  # sequence 0 is right-padded to 8 rows in the prefill; its pad slots get overwritten
    full = [model(seqs[b : b + 1])[0] for b in range(2)]
    for kv_limit in (None, 16):
        cache = model.new_cache(2, 16)
        cache.kv_limit = kv_limit
        prefill = model(seqs[:, :8], cache, torch.zeros(2, dtype=torch.long))
        for b, n in enumerate(lens):
            torch.testing.assert_close(prefill[b, :n], full[b][:n], rtol=1e-4, atol=1e-4)
        for step in range(4):
            pos = torch.tensor([n + step for n in lens])
            step_tokens = torch.stack([seqs[b, pos[b]] for b in range(2)]).unsqueeze(1)
            out = model(step_tokens, cache, pos)
            for b in range(2):
                torch.testing.assert_close(out[b, 0], full[b][pos[b]], rtol=1e-4, atol=1e-4)
    cache = model.new_cache(1, 12)  # chunked prefill: 3 rows, then 5 more at seq_lens 3
    model(seqs[:1, :3], cache, torch.tensor([0]))
    torch.testing.assert_close(model(seqs[:1, 3:8], cache, torch.tensor([3]))[0], full[0][3:8], rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="KV cache"):
        model(seqs[:1, :5], cache, torch.tensor([10]))


@torch.no_grad()
def test_soft_cap_bounds_large_logits():
    model = tiny_model()
    model.multi_output.weight.mul_(6.0)
    raw: list[torch.Tensor] = []
    model.multi_output.register_forward_hook(lambda mod, args, out: raw.append(out))
    logits = model(random_tokens(1, 4))
    assert raw[0].abs().max() > 30  # well past the cap, not yet where fp32 tanh rounds to 1
    assert logits.abs().max() < 15 and logits.abs().max() > 14
    torch.testing.assert_close(logits.flatten(), 15 * torch.tanh(raw[0].flatten() / 15))


@torch.no_grad()
def test_speaker_injection_overwrites_slot_row_only():
    model = tiny_model()
    tokens = random_tokens(2, 6, seed=7)
    speaker = torch.randn(2, 32, generator=torch.Generator().manual_seed(8))
    pos = torch.tensor([2, -1])
    plain = model(tokens)
    with_spk = model(tokens, speaker=speaker, speaker_pos=pos)
    assert torch.equal(with_spk, model(tokens, speaker=speaker, speaker_pos=pos))  # deterministic
    assert torch.equal(with_spk[0, :2], plain[0, :2])  # causal: rows before the slot unchanged
    assert (with_spk[0, 2:] - plain[0, 2:]).abs().amax(dim=(-1, -2)).min() > 1e-3
    assert torch.equal(with_spk[1], plain[1])  # speaker_pos -1: no injection
    # The slot's own input embedding is replaced, so its token ids no longer matter.
    other = tokens.clone()
    other[0, 2] = (other[0, 2] + 1) % 519
    torch.testing.assert_close(model(other, speaker=speaker, speaker_pos=pos)[0], with_spk[0], rtol=0, atol=0)
