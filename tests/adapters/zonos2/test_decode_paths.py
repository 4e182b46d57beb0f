"""ZONOS2 fast paths against their references, on CPU with a tiny random model and a tiny DAC.

Each fast path must give what the plain computation gives: MoE paths vs the per-expert loop at
decode batch 1, 8 and 64; the one-call batch sampler vs torch.multinomial per request; cached,
bucketed, device-side generation vs greedy decoding by full recompute; the torch.compile step vs
eager; streamed audio vs one decode of all codes; the official silence ids in the prompt rows.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from model_adapters.zonos2 import prompt as P
from model_adapters.zonos2.adapter import Zonos2Adapter
from model_adapters.zonos2.config import Zonos2Config
from model_adapters.zonos2.generate import GenerationRequest, final_codes, generate
from model_adapters.zonos2.model import Zonos2Model, init_random_weights
from model_adapters.zonos2.runner import kv_bucket
from model_adapters.zonos2.sampler import BatchSampler, SamplingParams, make_generator
from model_adapters.zonos2.stream import DECODE_CONTEXT_FRAMES, STREAM_TOLERANCE, StreamingDecoder

# python/zonos2/tts/prompt.py `_SILENCE_TOKENS_0_2S` at Zyphra/ZONOS2 8fee419, frame-major:
# frame 0, frame 1, frames 2-15 (all equal), frame 16.
UPSTREAM_SILENCE = (
    [[568, 778, 338, 524, 967, 360, 728, 550, 90], [568, 778, 10, 674, 364, 981, 741, 378, 731]]
    + [[568, 804, 10, 674, 364, 981, 568, 378, 731]] * 14
    + [[568, 778, 721, 842, 264, 974, 989, 507, 308]]
)


def tiny_model(seed: int = 0, **overrides) -> Zonos2Model:
    return init_random_weights(Zonos2Model(Zonos2Config.tiny(**overrides)), std=0.2, seed=seed).eval()


def prompt_rows(text: str) -> np.ndarray:
    return P.build_prompt(text, silence_codes=P.official_silence_codes(), speaker=False)[0]


def test_official_silence_ids_close_every_prompt() -> None:
    rows = prompt_rows("Hi.")
    tail = rows[-17:]
    for t in range(17):  # upstream `shear`: row t, codebook c holds frame t - c, 1025 before it
        want = [UPSTREAM_SILENCE[t - c][c] if t >= c else 1025 for c in range(9)]
        assert tail[t, :9].tolist() == want
    assert (tail[:, 9] == 519).all()
    assert Zonos2Adapter().params["silence_codes"] == "official"


@pytest.mark.parametrize("batch", [1, 8, 64])
@torch.no_grad()
def test_moe_paths_equal_the_per_expert_loop_at_decode_batch(batch: int) -> None:
    model = tiny_model(seed=1, dim=64, moe_n_experts=8)
    for layer in (2, 4):  # top-1 and the top-2 layer
        ffn = model.layers[layer].feed_forward
        x = torch.randn(batch, 1, 64, generator=torch.Generator().manual_seed(batch))
        prev = torch.randn(batch, 16) if layer == 4 else None
        ref, _ = ffn(x, prev, "loop")
        for mode in ("fast", "grouped", "gather", "dense"):
            torch.testing.assert_close(ffn(x, prev, mode)[0], ref, rtol=1e-5, atol=1e-5)
            res = torch.randn_like(x)  # the residual-accumulating form used by the blocks
            torch.testing.assert_close(ffn(x, prev, mode, residual=res.clone())[0], res + ref, rtol=1e-5, atol=1e-5)
    experts = model.layers[2].feed_forward.experts
    assert experts.fast_mode(x.view(batch, 64), batch) == "loop"  # CPU eager: measured fastest (README)
    if batch > 8:  # no weight copies where grouped GEMM is missing either, past a few rows
        assert experts.fast_mode(x.view(batch, 64).to("meta"), batch) == "dense"


def test_batch_sampler_draws_what_torch_multinomial_draws() -> None:
    logits = torch.randn(3, 9, 1026, generator=torch.Generator().manual_seed(0)) * 3
    params = [SamplingParams(), SamplingParams(top_k=0, min_p=0.0, temperature=0.8), SamplingParams(top_p=0.9)]
    sampler = BatchSampler(params, [make_generator(s) for s in (5, 6, 7)], 1026, "cpu")
    history = torch.full((3, 4, 9), 1025)
    got = torch.stack([sampler.sample(logits, history, torch.zeros(3, dtype=torch.long)) for _ in range(6)])
    for b, seed in enumerate((5, 6, 7)):
        gen = make_generator(seed)
        probs = BatchSampler([params[b]], [], 1026, "cpu").filter(logits[b : b + 1])[0]
        want = torch.stack([torch.multinomial(probs, 1, generator=gen).squeeze(-1) for _ in range(6)])
        assert torch.equal(got[:, b], want)


@pytest.mark.slow
@torch.no_grad()
def test_bucketed_generation_equals_greedy_full_recompute() -> None:
    model = tiny_model(seed=3, n_layers=4, moe_start_from_layer=1, special_topk_layers={2: 2})
    rows = prompt_rows("x" * 215)  # 235 rows: decoding crosses the 256-slot bucket into the 512 one
    assert kv_bucket(len(rows) + 1, 10_000) == 256 and kv_bucket(len(rows) + 30, 10_000) == 512
    (out,) = generate(
        model,
        [GenerationRequest(rows, params=SamplingParams(temperature=0.0, repetition_penalty=1.0, max_frames=30))],
        check_every=4,
    )
    seq, frames = torch.from_numpy(rows)[None], []
    for _ in range(out.frames):  # the plain reference: no cache, no buckets, argmax on the host
        frame = model(seq)[0, -1].argmax(-1)
        frames.append(frame.numpy())
        seq = torch.cat([seq, torch.cat([frame, torch.tensor([519])])[None, None]], dim=1)
    ref = np.stack(frames)
    hits = [s for s in range(len(ref)) if (ref[s] == 1024).any()]
    eos = max(0, hits[0] - int(np.flatnonzero(ref[hits[0]] == 1024).max())) if hits else None
    assert out.eos_frame == eos and out.frames == (min(30, hits[0] + 10) if hits else 30)
    assert out.codes.shape[1] > 5 and np.array_equal(final_codes(ref, eos), out.codes)


@pytest.mark.slow
def test_compiled_step_gives_the_eager_codes() -> None:
    model = tiny_model(seed=4, n_layers=3, moe_start_from_layer=1, special_topk_layers={})
    reqs = [
        GenerationRequest(prompt_rows("Hello."), params=SamplingParams(seed=11, max_frames=24)),
        GenerationRequest(prompt_rows("Bonjour."), params=SamplingParams(temperature=0.0, max_frames=24)),
    ]
    eager = generate(model, reqs, step_mode="eager")
    compiled = generate(model, reqs, step_mode="compile")
    for a, b in zip(eager, compiled):
        assert np.array_equal(a.codes, b.codes) and a.frames == b.frames and a.eos_frame == b.eos_frame
    assert len({a.codes.tobytes() for a in eager}) == 2
    with pytest.raises(ValueError, match="CUDA"):
        generate(model, reqs, step_mode="graph", device="cpu")


@pytest.fixture(scope="module")
def dac(tmp_path_factory):
    from model_adapters.zonos2.codec import DacCodec
    from tests.fakes.zonos2_standins import tiny_dac

    return DacCodec.from_pretrained(str(tiny_dac(tmp_path_factory.mktemp("dac") / "dac")))


def test_dac_receptive_field_fits_the_stream_context(dac) -> None:
    codes = np.random.default_rng(0).integers(0, 1024, (9, 60))
    base = dac.decode(codes)
    moved = codes.copy()
    moved[:, 30] = (moved[:, 30] + 511) % 1024
    changed = np.flatnonzero(np.abs(dac.decode(moved) - base) > 0)
    first, last = changed.min() / 512, changed.max() / 512
    assert 30 - DECODE_CONTEXT_FRAMES < first < 30 and 31 < last < 31 + DECODE_CONTEXT_FRAMES


@pytest.mark.parametrize("chunk", [3, 16])
def test_streamed_audio_matches_one_shot_decode(dac, chunk: int) -> None:
    codes = np.random.default_rng(1).integers(0, 1024, (9, 75))
    one_shot = dac.decode(codes)
    decoder, parts = StreamingDecoder(dac, chunk_frames=chunk), []
    for known in range(0, 76, 5):  # the final prefix grows as generation goes
        parts += decoder.push(codes[:, :known])
    assert sum(len(p) for p in parts) < len(one_shot)  # something waited for its right context
    parts += decoder.finish(codes)
    streamed = np.concatenate(parts)
    assert streamed.shape == one_shot.shape
    assert np.abs(streamed - one_shot).max() <= STREAM_TOLERANCE
    assert all(len(p) == chunk * 512 for p in parts[:-1])
