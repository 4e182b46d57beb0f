"""ZONOS2 prompt, sampler, generation loop, adapter and server client, with small fakes only.

Nothing here loads weights or imports the engine's network/codec/speaker modules: the prompt ids
are checked against the spec's table, the sampler filters on hand-built logits, the EOS rules
against a scripted model whose logits force chosen codes at chosen steps, and the server client
against a loopback fake of /tts/generate.
"""

from __future__ import annotations

import base64
import socket
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import soundfile as sf
import torch

from model_adapters.base import AdapterError, SynthesisRequest
from model_adapters.zonos2 import prompt as P
from model_adapters.zonos2.adapter import Zonos2Adapter
from model_adapters.zonos2.generate import GenerationRequest, generate
from model_adapters.zonos2.options import QUALITY_MODE_BUCKETS
from model_adapters.zonos2.sampler import (
    SamplingParams,
    apply_repetition_penalty,
    filter_probs,
    make_generator,
    sample_batch,
    sample_frame,
)
from model_adapters.zonos2.server_client import Zonos2ServerAdapter
from tests.fakes.zonos2_standins import FakeZonos2Server

SILENCE = (np.arange(9 * 17).reshape(9, 17) * 7) % 1024  # distinct stand-in codes
V = 1026
GREEDY = SamplingParams(temperature=0.0)


# ---------------------------------------------------------------- prompt


def test_prompt_without_speaker_matches_the_spec_table() -> None:
    rows, pos = P.build_prompt("Hi!", silence_codes=SILENCE, speaker=False)
    assert pos == -1 and rows.dtype == np.int64 and rows.shape == (1 + 1 + 3 + 1 + 17, 10)
    text = rows[:, 9].tolist()
    assert text[:6] == [511, 2, 192 + ord("H"), 192 + ord("i"), 192 + ord("!"), 3]
    assert (rows[:6, :9] == 1025).all()  # conditioning and text rows: audio columns padded
    assert text[6:] == [519] * 17


def test_prompt_with_speaker_markers_rate_and_quality_in_order() -> None:
    rows, pos = P.build_prompt("é", silence_codes=SILENCE, speaker=True)
    assert pos == 0 and rows[:7, 9].tolist() == [519, 517, 518, 511, 2, 192 + 0xC3, 192 + 0xA9]
    assert rows[7, 9] == 3
    rows, _ = P.build_prompt(
        "a",
        silence_codes=SILENCE,
        speaker=True,
        clean_background=True,
        accurate_mode=False,
        speaking_rate_bucket=3,
        quality_buckets={"trailing_silence_s": 7, "lufs": 0},
    )
    assert rows[:6, 9].tolist() == [519, 516, 451, 456, 515, 2]  # feature order, not dict order
    rows, _ = P.build_prompt("a", silence_codes=SILENCE, speaker=False, quality_buckets=QUALITY_MODE_BUCKETS)
    assert rows[:6, 9].tolist() == [456 + 7, 468 + 11, 480, 492 + 7, 500, 508 + 3]
    rows, _ = P.build_prompt("a", silence_codes=SILENCE, speaker=False, quality_buckets=None)
    assert rows[0, 9] == 2
    for bad in ({"snr": 1}, {"lufs": 12}, {"leading_silence_s": -1}):
        with pytest.raises(ValueError):
            P.build_prompt("a", silence_codes=SILENCE, speaker=False, quality_buckets=bad)


def test_silence_rows_are_sheared_with_pad_fronts() -> None:
    rows, _ = P.build_prompt("a", silence_codes=SILENCE, speaker=False)
    tail = rows[-17:]
    for t in range(17):
        for c in range(9):
            assert tail[t, c] == (SILENCE[c, t - c] if t >= c else 1025)
    assert (tail[:, 9] == 519).all()


def test_speaking_rate_buckets_and_speed() -> None:
    assert [P.speaking_rate_bucket(r) for r in (0.5, 7.99, 8, 10.9, 11, 19, 21, 39.9, 40, 400)] == [0, 0, 1, 1, 2, 4, 5, 6, 7, 7]
    assert P.speed_bucket(1.0) == 4 and P.speed_bucket(0.5) == 1 and P.speed_bucket(2.0) == 6
    with pytest.raises(ValueError):
        P.speaking_rate_bucket(0)


def test_shear_unshear_round_trip() -> None:
    codes = np.random.default_rng(0).integers(0, 1024, size=(9, 30))
    full = P.shear(codes, n_rows=38)
    assert full.shape == (38, 9) and (full[0, 1:] == 1025).all() and (full[-1, :8] == 1025).all()
    assert np.array_equal(P.unshear(full), codes)
    assert np.array_equal(P.unshear(P.shear(codes)), codes[:, :22])  # the prompt truncation keeps F rows
    frames = np.random.default_rng(1).integers(0, 1024, size=(20, 9))
    assert np.array_equal(P.shear(P.unshear(frames), n_rows=20)[8:12], frames[8:12])


# ---------------------------------------------------------------- sampler


def test_repetition_penalty_signs_window_codebooks_and_control_ids() -> None:
    logits = torch.zeros(9, V)
    logits[:, 5], logits[:, 6], logits[:, 1024] = 2.0, -2.0, 3.0
    hist = torch.full((60, 9), 100, dtype=torch.long)
    hist[-1, :] = 5
    hist[-2, :] = 6
    hist[-3, :] = 1024
    hist[0, :] = 7  # outside the 50-frame window
    out = apply_repetition_penalty(logits, hist, SamplingParams())
    assert torch.allclose(out[:8, 5], torch.full((8,), 2.0 / 1.2))
    assert torch.allclose(out[:8, 6], torch.full((8,), -2.0 * 1.2))
    assert out[8, 5] == 2.0 and out[8, 6] == -2.0  # codebook 8 is not penalised by default
    assert (out[:, 1024] == 3.0).all() and (out[:, 7] == 0).all()
    assert torch.equal(apply_repetition_penalty(logits, hist[:0], SamplingParams()), logits)  # prompt excluded
    assert torch.allclose(
        apply_repetition_penalty(logits, hist, SamplingParams(repetition_codebooks=-1))[8, 5], torch.tensor(2.0 / 1.2)
    )


def test_top_k_keeps_ties_and_min_p_and_top_p_cut() -> None:
    logits = torch.full((9, V), -30.0)
    logits[:, :5] = torch.tensor([5.0, 4.0, 4.0, 4.0, 1.0])
    probs = filter_probs(logits, SamplingParams(temperature=1.0, top_k=2, min_p=0.0))
    assert (probs[:, :4] > 0).all() and (probs[:, 4:] == 0).all()  # the three tied 4s survive k=2
    p = torch.softmax(torch.tensor([5.0, 4.0, 4.0, 4.0]), 0)
    assert torch.allclose(probs[0, :4], p)
    probs = filter_probs(logits, SamplingParams(temperature=1.0, top_k=0, min_p=0.3))
    assert (probs[:, :4] > 0).all() and (probs[:, 4:] == 0).all()  # the 4s are e^-1 = 0.37 of the max, the 1 e^-4
    probs = filter_probs(logits, SamplingParams(temperature=1.0, top_k=0, min_p=0.5))
    assert (probs[:, 0] == 1.0).all()  # e^-1 < 0.5: only the max survives, renormalised
    probs = filter_probs(logits, SamplingParams(temperature=1.0, top_k=0, min_p=0.0, top_p=0.5))
    assert (probs[:, 0] > 0).all() and (probs[:, 1:4] > 0).sum() == 9 and (probs[:, 4:] == 0).all()
    assert torch.allclose(probs.sum(-1), torch.ones(9))
    hot = filter_probs(logits, SamplingParams(temperature=4.0, top_k=0, min_p=0.0))
    assert hot[0, 4] > filter_probs(logits, SamplingParams(temperature=1.0, top_k=0, min_p=0.0))[0, 4]


def test_empty_row_greedy_temperature_zero_and_control_ids_never_masked() -> None:
    logits = torch.randn(9, V, generator=torch.Generator().manual_seed(0))
    logits[:, 17] = 8.0
    gen = make_generator(0)
    frame = sample_frame(logits, torch.zeros(0, 9, dtype=torch.long), SamplingParams(min_p=1.5), gen)
    assert (frame == 17).all()  # min_p > 1 empties every row -> greedy
    logits[3] = float("nan")
    logits[3, 42] = 1.0
    assert sample_frame(logits, torch.zeros(0, 9, dtype=torch.long), SamplingParams(), gen)[3] == 42
    hist = torch.full((1, 9), 17, dtype=torch.long)
    logits = torch.zeros(9, V)
    logits[:, 17], logits[:, 18] = 1.1, 1.0
    assert (sample_frame(logits, hist, GREEDY, gen)[:8] == 18).all()  # penalty before argmax
    logits[:, 1024] = 9.0
    assert (sample_frame(logits, hist, SamplingParams(top_k=1), gen) == 1024).all()


def test_per_request_params_and_seeds_are_batch_independent() -> None:
    logits = torch.randn(3, 9, V, generator=torch.Generator().manual_seed(5)) * 3
    hist = torch.randint(0, 1024, (3, 60, 9), generator=torch.Generator().manual_seed(6))
    params = [
        SamplingParams(),
        SamplingParams(top_k=5, min_p=0.0, top_p=0.9, temperature=0.7),
        SamplingParams(repetition_window=3, repetition_penalty=2.0, repetition_codebooks=-1),
    ]
    generated = [60, 10, 40]

    def draws(order: list[int], seeds: list[int]) -> torch.Tensor:
        gens = [make_generator(s) for s in seeds]
        return torch.stack(
            [
                sample_batch(logits[order], hist[order], [generated[i] for i in order], [params[i] for i in order], gens)
                for _ in range(4)
            ]
        )

    a = draws([0, 1, 2], [1, 2, 3])
    assert torch.equal(a, draws([0, 1, 2], [1, 2, 3]))
    b = draws([2, 0, 1], [3, 1, 2])  # same requests at other batch positions
    assert torch.equal(b[:, 1], a[:, 0]) and torch.equal(b[:, 2], a[:, 1]) and torch.equal(b[:, 0], a[:, 2])
    for i in range(3):  # and each equals the request sampled alone
        gen = make_generator(i + 1)
        alone = [sample_frame(logits[i], hist[i, : generated[i]], params[i], gen) for _ in range(4)]
        assert torch.equal(torch.stack(alone), a[:, i])
    assert not torch.equal(draws([0, 1, 2], [9, 2, 3])[:, 0], a[:, 0])


# ---------------------------------------------------------------- generation loop


class ScriptedModel:
    """Greedy-friendly fake: at generated step k, codebook c of sequence s peaks at (7k + 3c + s) % 1024,
    or at the id the script forces; it also checks that each fed frame is the one it asked for.
    Sequence s is named by its first text row (100 + s); with noise=True the logits are random but
    still a function of (s, k) only, so any batch-dependence would show up in the sampled codes."""

    def __init__(self, scripts: dict[int, dict], max_seqlen: int = 6144, noise: bool = False) -> None:
        self.scripts, self.noise = scripts, noise
        self.config = SimpleNamespace(
            max_seqlen=max_seqlen, n_codebooks=9, codebook_size=1024, eoa_id=1024, audio_pad_id=1025, text_vocab=519
        )
        self.calls: list[dict] = []

    def new_cache(self, batch: int, max_len: int, device=None, dtype=None) -> SimpleNamespace:
        return SimpleNamespace(max_len=max_len, ids=[None] * batch, frozen={})

    def identify(self, rows: torch.Tensor, slot: int) -> int:
        return int(rows[slot, 9]) - 100

    def target(self, s: int, k: int, c: int) -> int:
        forced = self.scripts[s].get("force", {}).get((k, c))
        return forced if forced is not None else (7 * k + 3 * c + s) % 1024

    def __call__(self, tokens, cache, seq_lens=None, speaker=None, speaker_pos=None, logits_at=None):
        out = self._logits(tokens, cache, seq_lens, speaker, speaker_pos)
        return out if logits_at is None else out[torch.arange(out.shape[0]), logits_at].unsqueeze(1)

    def _logits(self, tokens, cache, seq_lens, speaker, speaker_pos):
        b_n, t_n, _ = tokens.shape
        assert int(seq_lens.max()) + t_n <= cache.max_len
        self.calls.append({"T": t_n, "speaker": speaker, "speaker_pos": speaker_pos, "tokens": tokens.clone()})
        out = torch.full((b_n, t_n, 9, V), -10.0)
        out[..., 999] = 10.0  # what sampling a wrong row would give
        for b in range(b_n):
            if t_n > 1:
                slot = 1 if speaker_pos is not None and int(speaker_pos[b]) == 0 else 0
                cache.ids[b] = self.identify(tokens[b], slot)
            s = cache.ids[b]
            n = self.scripts[s]["len"]
            for t in range(t_n):
                pos = int(seq_lens[b]) + t
                if t_n == 1 and (tokens[b, 0, :9] == 1025).all():  # a finished sequence's pad feed
                    cache.frozen.setdefault(s, set()).add(pos)
                    continue
                if t_n == 1 and not self.noise:  # the fed frame must be the one generated a step before
                    assert tokens[b, 0, 9] == 519
                    assert [int(x) for x in tokens[b, 0, :9]] == [self.target(s, pos - n, c) for c in range(9)]
                k = pos - (n - 1)
                if k < 0:
                    continue
                if self.noise:
                    out[b, t] = torch.randn(9, V, generator=torch.Generator().manual_seed(1000 * s + k)) * 3
                    continue
                out[b, t, :, 999] = -10.0
                for c in range(9):
                    out[b, t, c, self.target(s, k, c)] = 10.0
        return out


def _req(s: int, n: int, **params) -> GenerationRequest:
    rows = np.full((n, 10), 1025, dtype=np.int64)
    rows[:, 9] = 200
    rows[0, 9] = 100 + s
    return GenerationRequest(rows, params=replace(GREEDY, **params))


def test_eos_countdown_trim_clamp_and_runaway() -> None:
    scripts = {
        0: {"len": 12, "force": {(20 + c, c): 1024 for c in range(9)}},  # clean ending, delayed per codebook
        1: {"len": 30, "force": {(15, 3): 1024, (15, 5): 1024, (4, 2): 1025}},  # max_c = 5
        2: {"len": 7},  # never ends
        3: {"len": 9, "force": {(0, 8): 1024}},  # EOS on the first frame
    }
    model = ScriptedModel(scripts)
    out = generate(model, [_req(0, 12), _req(1, 30), _req(2, 7, max_frames=40), _req(3, 9)], device="cpu")
    r0, r1, r2, r3 = out
    assert (r0.eos_reached, r0.eos_frame, r0.frames, r0.codes.shape) == (True, 20, 30, (9, 20))
    assert all(r0.codes[c, i] == model.target(0, i + c, c) for c in range(9) for i in range(20))
    assert (r1.eos_reached, r1.eos_frame, r1.frames, r1.codes.shape) == (True, 10, 25, (9, 10))
    assert r1.codes[2, 2] == 1023 and r1.codes.max() <= 1023  # a stray pad id becomes a code
    # A runaway keeps all G = 40 frames, as the official offline path does (python/zonos2/tts/llm.py
    # and tokenizer/vocoder.py at 8fee419: shear_up keeps G rows, pads the tail, decode clamps to 1023).
    assert (r2.eos_reached, r2.eos_frame, r2.frames, r2.codes.shape) == (False, None, 40, (9, 40))
    assert all(r2.codes[c, i] == model.target(2, i + c, c) for c in range(9) for i in range(40 - c))
    assert all((r2.codes[c, 40 - c :] == 1023).all() for c in range(1, 9))  # codebook c's last c rows: pad tail
    assert (r3.eos_reached, r3.eos_frame, r3.frames, r3.codes.shape) == (True, 0, 10, (9, 0))
    assert model.calls[0]["T"] == 30 and model.calls[0]["speaker"] is None
    assert len(model.calls) == 1 + 39  # the batch runs until its longest sequence is done
    cache_frozen = [c for c in model.calls[1:] if (c["tokens"][3, 0, :9] == 1025).all()]
    assert len(cache_frozen) == 39 - 9  # sequence 3 finished after 10 frames, then only padded
    assert r0.prefill_s >= 0 and r0.decode_s <= r2.decode_s


def test_context_limit_default_and_refusals() -> None:
    model = ScriptedModel({0: {"len": 30}}, max_seqlen=64)
    (r,) = generate(model, [_req(0, 30)], device="cpu")
    assert (r.eos_reached, r.frames) == (False, 34)  # what the 64-row context leaves
    with pytest.raises(ValueError, match="context"):
        generate(model, [_req(0, 64)], device="cpu")
    bad = _req(0, 30)
    rows = bad.rows.copy()
    rows[3, 9] = 520
    with pytest.raises(ValueError, match="tables"):
        generate(model, [replace(bad, rows=rows)], device="cpu")


def test_speaker_rows_reach_the_model() -> None:
    model = ScriptedModel({0: {"len": 10, "force": {(3, 0): 1024}}, 1: {"len": 8, "force": {(2, 0): 1024}}})
    with_spk = _req(0, 10)
    rows = with_spk.rows.copy()
    rows[0, 9], rows[1, 9] = 519, 100
    with_spk = replace(with_spk, rows=rows, speaker_pos=0, speaker=np.arange(2048, dtype=np.float32))
    r = generate(model, [with_spk, _req(1, 8)], device="cpu")
    assert [x.eos_frame for x in r] == [3, 2]
    first = model.calls[0]
    assert first["speaker"].shape == (2, 2048) and first["speaker"][0, 5] == 5 and (first["speaker"][1] == 0).all()
    assert first["speaker_pos"].tolist() == [0, -1] and model.calls[1]["speaker"] is None


def test_sampled_generation_is_independent_of_batch_composition() -> None:
    scripts = {s: {"len": 10 + 3 * s} for s in range(3)}
    params = {"temperature": 1.15, "top_k": 106, "min_p": 0.18, "max_frames": 25}
    reqs = [replace(_req(s, 10 + 3 * s), params=SamplingParams(**params, seed=40 + s)) for s in range(3)]
    alone = generate(ScriptedModel(scripts, noise=True), [reqs[1]], device="cpu")[0]
    batched = generate(ScriptedModel(scripts, noise=True), [reqs[2], reqs[1], reqs[0]], device="cpu")
    assert np.array_equal(alone.codes, batched[1].codes) and alone.frames == batched[1].frames
    assert alone.codes.size and len(np.unique(alone.codes)) > 20  # really sampled, not a fixed pattern
    reseeded = replace(reqs[1], params=replace(reqs[1].params, seed=99))
    assert not np.array_equal(generate(ScriptedModel(scripts, noise=True), [reseeded], device="cpu")[0].codes, alone.codes)


# ---------------------------------------------------------------- adapter with fake components


class FakeCodec:
    def silence_codes(self, n_frames: int = 17) -> np.ndarray:
        return SILENCE[:, :n_frames]

    def decode(self, codes: np.ndarray) -> np.ndarray:
        return np.repeat(codes[0].astype(np.float32) / 2048.0, 512)


class FakeSpeaker:
    def __init__(self) -> None:
        self.calls = 0

    def embed(self, samples: np.ndarray, sr: int) -> np.ndarray:
        self.calls += 1
        return np.full(2048, float(np.abs(samples).mean()), dtype=np.float32)


class EndsAtStep(ScriptedModel):
    """Reads each real prompt: it ends at step 5 + (text bytes), or never when the text starts with LOOP."""

    def identify(self, rows: torch.Tensor, slot: int) -> int:
        pad = (rows[:, :9] == 1025).all(-1) & (rows[:, 9] == 519)
        length = int(torch.nonzero(~pad).max()) + 1  # right padding stripped; a speaker slot is row 0
        text = rows[:length, 9].tolist()
        body = bytes(t - 192 for t in text[text.index(2) + 1 : text.index(3)])
        s = len(self.scripts)
        self.scripts[s] = {"len": length, "force": {} if body.startswith(b"LOOP") else {(5 + len(body), 0): 1024}}
        return s


def _wav(path, freq: float) -> str:
    t = np.arange(16000) / 16000
    sf.write(path, (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32), 16000)
    return path


def test_adapter_batches_caches_speakers_and_reports_diagnostics(tmp_path) -> None:
    adapter = Zonos2Adapter(max_batch=2, max_frames=60)
    model, speaker = EndsAtStep({}), FakeSpeaker()
    adapter.use_components(model, FakeCodec(), speaker, normalize=lambda text, tag: (text.upper(), True))
    a, b = _wav(tmp_path / "a.wav", 150.0), _wav(tmp_path / "b.wav", 230.0)
    reqs = [
        SynthesisRequest("1", "hello", "en", a, seed=1),
        SynthesisRequest("2", "privet", "ru", a, seed=1),
        SynthesisRequest("3", "loop", "en", b, seed=2),
        SynthesisRequest("4", "", "en", a),
        SynthesisRequest("5", "hi", "zh", None, seed=3),
    ]
    res = adapter.synthesize(reqs)
    assert [r.item_id for r in res] == ["1", "2", "3", "4", "5"]
    r1, r2, r3, r4, r5 = res
    assert r1.ok and r1.sample_rate == 44100 and r1.diagnostics.eos_reached
    assert r1.diagnostics.extra["eos_frame"] == 10 and len(r1.waveform) == 10 * 512  # "HELLO": normalised
    assert r1.diagnostics.extra["text_normalized"] and not r2.diagnostics.extra["text_normalized"]
    assert r2.diagnostics.extra["eos_frame"] == 11  # "privet" kept as is: ru has no normaliser
    assert r3.ok and r3.diagnostics.eos_reached is False and r3.diagnostics.extra["frames"] == 60
    assert not r4.ok and r4.diagnostics.error == "empty text"
    assert r5.ok and r5.diagnostics.extra["text_normalized"]
    assert speaker.calls == 2  # two distinct prompt files, four uses
    prefills = [c for c in model.calls if c["T"] > 1]
    assert len(prefills) == 2 and sorted(c["tokens"].shape[0] for c in prefills) == [2, 2]
    rows = [c["tokens"][b] for c in prefills for b in range(2) if c["speaker_pos"] is not None and c["speaker_pos"][b] == 0]
    assert len(rows) == 3 and all(r[:5, 9].tolist() == [519, 517, 518, 511, 2] for r in rows)
    no_speaker = next(c["tokens"][b] for c in prefills for b in range(2) if c["speaker_pos"] is None or c["speaker_pos"][b] < 0)
    assert no_speaker[:3, 9].tolist() == [511, 2, 192 + ord("H")]
    assert {k for k in ("frames", "eos_frame", "prefill_s", "decode_s", "text_normalized")} <= set(r1.diagnostics.extra)


def test_adapter_params_names_and_load_errors() -> None:
    assert Zonos2Adapter().published_name == "ZONOS2 8B"
    quality = Zonos2Adapter(quality_mode="true")
    assert quality.published_name == "ZONOS2 8B Quality Mode" and quality.params["quality_buckets"] == QUALITY_MODE_BUCKETS
    assert Zonos2Adapter(top_k="50").published_name is None
    assert Zonos2Adapter(quality_buckets='{"lufs": 7}').params["quality_buckets"] == {"lufs": 7}
    caps = Zonos2Adapter().capabilities
    assert caps.zero_shot_cloning and caps.deterministic and len(caps.languages) == 17
    for bad in ({"mode": "fast"}, {"quality_buckets": '{"snr": 3}'}, {"speaking_rate": 9}, {"topk": 3}):
        with pytest.raises(AdapterError):
            Zonos2Adapter(**bad)
    with pytest.raises(AdapterError, match="model=/nonexistent"):
        Zonos2Adapter(model="/nonexistent/zonos2", device="cpu").load()


# ---------------------------------------------------------------- server client


def _client(url: str, **kw) -> Zonos2ServerAdapter:
    return Zonos2ServerAdapter(base_url=url, timeout_s=5, backoff_base_s=0.01, backoff_cap_s=0.02, **kw)


def test_server_client_request_shape_and_float32_pcm(tmp_path) -> None:
    prompt = _wav(tmp_path / "p.wav", 180.0)
    with FakeZonos2Server() as srv:
        client = _client(srv.url)
        client.load()
        res = client.synthesize(
            [
                SynthesisRequest("1", "Hello 42", "en", prompt, seed=7),
                SynthesisRequest("2", "你好", "zh", prompt, seed=8),
                SynthesisRequest("3", "Привет", "ru", None, seed=9),
            ]
        )
    assert all(r.ok and r.sample_rate == 44100 for r in res)
    assert np.array_equal(res[0].waveform, srv.pcm) and res[0].diagnostics.eos_reached is None
    bodies = {b["text"]: b for b in srv.bodies}
    en, zh, ru = bodies["Hello 42"], bodies["你好"], bodies["Привет"]
    assert (en["language"], en["text_normalization"], en["seed"], en["stream"]) == ("en_us", True, 7, False)
    assert base64.b64decode(en["speaker_audio_base64"]) == Path(prompt).read_bytes()
    assert (en["topk"], en["min_p"], en["temperature"], en["repetition_codebooks"]) == (106, 0.18, 1.15, 8)
    assert en["quality_buckets"] == {"trailing_silence_s": 3} and en["accurate_mode"] is True
    assert zh["language"] == "cmn" and (ru["language"], ru["text_normalization"]) == ("en_us", False)
    assert "speaker_audio_base64" not in ru


def test_server_client_retries_a_500_then_succeeds_and_checks_headers(tmp_path) -> None:
    with FakeZonos2Server(fail_first=1) as srv:
        (res,) = _client(srv.url).synthesize([SynthesisRequest("1", "Hi", "en", None, seed=1)])
    assert res.ok and len(srv.bodies) == 2
    with FakeZonos2Server(fail_first=5) as srv:
        (res,) = _client(srv.url, max_attempts=2).synthesize([SynthesisRequest("1", "Hi", "en", None)])
    assert not res.ok and "HTTP 500" in res.diagnostics.error and "engine busy" in res.diagnostics.error
    with FakeZonos2Server(rate="24000") as srv:
        (res,) = _client(srv.url).synthesize([SynthesisRequest("1", "Hi", "en", None)])
    assert not res.ok and "rate=24000" in res.diagnostics.error
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    with pytest.raises(AdapterError, match="no ZONOS2 server"):
        _client(dead, max_attempts=1).load()


def test_adapter_streams_the_same_audio_in_timed_chunks(tmp_path) -> None:
    def fresh() -> Zonos2Adapter:  # EndsAtStep numbers the prompts it meets: one model per run
        adapter = Zonos2Adapter(max_frames=200)
        adapter.use_components(EndsAtStep({}), FakeCodec(), FakeSpeaker())
        return adapter

    adapter = fresh()
    req = SynthesisRequest("1", "a sentence of some length, to stream", "en", None, seed=4)
    chunks = list(adapter.synthesize_stream(req))
    (whole,) = fresh().synthesize([req])
    assert adapter.streams and len(chunks) >= 3 and all(c.sample_rate == 44100 for c in chunks)
    assert np.array_equal(np.concatenate([c.samples for c in chunks]), whole.waveform)  # 41 frames, EOS-trimmed
    assert len(whole.waveform) == whole.diagnostics.extra["eos_frame"] * 512
    times = [c.t for c in chunks]
    assert times == sorted(times) and times[0] > 0
    with pytest.raises(RuntimeError, match="empty text"):
        list(adapter.synthesize_stream(SynthesisRequest("2", "", "en", None)))
