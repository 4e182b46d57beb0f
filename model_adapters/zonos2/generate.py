"""Batched ZONOS2 generation: one prefill, then one decode step per frame for every live sequence.

Why this shape: the 8B MoE is memory-bound at decode, so B sequences per step cost little more
than one; a static KV cache sized once (longest prompt + frame budget, never past max_seqlen 6144)
avoids reallocation. Prompts of different lengths are right-padded into one prefill: attention is
causal by absolute position, so pad rows only influence their own (discarded) outputs, and each
sequence's decode starts at its own length (seq_lens[b]) and overwrites its pad slots before they
become visible. Finished sequences stay in the batch, fed a pad frame at a frozen position, so the
cache never needs compacting; their outputs are ignored.

EOS (docs/zonos2.md §4): on the first generated frame where any codebook emits 1024, the audio ends at
eos_frame = max(0, step - max_c) (max_c: the highest codebook holding 1024, since codebook c lags c
frames), and 10 frames are generated counting that one, enough for the delayed codebooks to finish.
A sequence that reaches its frame budget without EOS is a runaway: its codes come back with
eos_reached False so the harness can flag it rather than lose it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from model_adapters.zonos2.prompt import (
    AUDIO_PAD_ID,
    CODEBOOK_SIZE,
    EOA_ID,
    N_CODEBOOKS,
    N_COLUMNS,
    TEXT_PAD_ID,
    unshear,
)
from model_adapters.zonos2.sampler import SamplingParams, make_generator, sample_batch

EOS_COUNTDOWN = 10  # frames generated from the first EOA frame on, that frame included
TEXT_TABLE = TEXT_PAD_ID + 1  # text ids 0..519
AUDIO_TABLE = AUDIO_PAD_ID + 1  # audio ids 0..1025


@dataclass(frozen=True)
class GenerationRequest:
    rows: np.ndarray  # [T, 10] prompt rows (model_adapters.zonos2.prompt.build_prompt)
    speaker_pos: int = -1  # row of the speaker slot, -1 without a speaker
    speaker: np.ndarray | None = None  # raw x-vector [2048]; required when speaker_pos >= 0
    params: SamplingParams = field(default_factory=SamplingParams)


@dataclass
class GenerationResult:
    codes: np.ndarray  # [9, F] DAC codes in [0, 1023], ready for the codec
    eos_reached: bool
    eos_frame: int | None  # audio frames kept (None for a runaway)
    frames: int  # generated frames, EOS countdown included
    prompt_rows: int
    prefill_s: float  # the batch's shared prefill
    decode_s: float  # from the end of prefill until this sequence finished


@dataclass
class _Seq:
    limit: int
    generator: torch.Generator
    frames: list[np.ndarray] = field(default_factory=list)
    eos_frame: int | None = None
    remaining: int | None = None  # countdown after EOS
    done_at: float | None = None


def model_config(model: Any) -> Any:
    """The model's config: `config` per the engine interface, `cfg` on the module itself."""
    cfg = getattr(model, "config", None)
    return cfg if cfg is not None else model.cfg


def _param(model: Any, attr: str, default: Any) -> Any:
    """Device or dtype of the model's first parameter, for fakes and modules alike."""
    params = getattr(model, "parameters", None)
    first = next(iter(params()), None) if callable(params) else None
    return getattr(first, attr) if first is not None else default


def _validate(req: GenerationRequest, max_seqlen: int) -> None:
    rows = req.rows
    if rows.ndim != 2 or rows.shape[1] != N_COLUMNS or rows.shape[0] == 0:
        raise ValueError(f"prompt rows must be [T>0, {N_COLUMNS}], got {rows.shape}")
    if rows.shape[0] >= max_seqlen:
        raise ValueError(f"prompt has {rows.shape[0]} rows; the context is {max_seqlen} rows in all")
    # Out-of-range ids would be a device-side assert on CUDA, which poisons the whole process.
    if rows.min() < 0 or rows[:, :N_CODEBOOKS].max() >= AUDIO_TABLE or rows[:, N_CODEBOOKS].max() >= TEXT_TABLE:
        raise ValueError("prompt ids outside the embedding tables (audio 0-1025, text 0-519)")
    if req.speaker_pos >= rows.shape[0] or (req.speaker_pos >= 0) != (req.speaker is not None):
        raise ValueError("speaker_pos and speaker must be given together, inside the prompt")


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _finish(seq: _Seq, n_prompt: int, prefill_s: float, t_decode: float) -> GenerationResult:
    frames = np.stack(seq.frames) if seq.frames else np.zeros((0, N_CODEBOOKS), dtype=np.int64)
    if seq.eos_frame is not None:  # pad the ragged tail like the official vocoder, then trim
        padded = np.concatenate([frames, np.full((N_CODEBOOKS - 1, N_CODEBOOKS), AUDIO_PAD_ID, dtype=np.int64)])
        codes = unshear(padded)[:, : seq.eos_frame]
    else:
        codes = unshear(frames)  # runaway: every complete frame
    codes = np.minimum(codes, CODEBOOK_SIZE - 1)  # stray 1024/1025 inside the audio become a code
    return GenerationResult(
        codes,
        seq.eos_frame is not None,
        seq.eos_frame,
        len(seq.frames),
        n_prompt,
        prefill_s,
        (seq.done_at or t_decode) - t_decode,
    )


def _record(seq: _Seq, frame: np.ndarray, now: float) -> None:
    """Book one generated frame: EOS detection, countdown and the frame budget."""
    step = len(seq.frames)
    seq.frames.append(frame)
    if seq.eos_frame is None:
        eoa = np.flatnonzero(frame == EOA_ID)
        if eoa.size:
            seq.eos_frame = max(0, step - int(eoa.max()))
            seq.remaining = EOS_COUNTDOWN
    if seq.remaining is not None:
        seq.remaining -= 1
    if seq.remaining == 0 or len(seq.frames) >= seq.limit:
        seq.done_at = now


@torch.inference_mode()
def generate(
    model: Any, requests: list[GenerationRequest], *, device: torch.device | str | None = None
) -> list[GenerationResult]:
    """Generate DAC codes for each request, batched; results come back in request order."""
    if not requests:
        return []
    max_seqlen = int(model_config(model).max_seqlen)
    device = torch.device(device) if device is not None else _param(model, "device", torch.device("cpu"))
    lens = []
    seqs = []
    for req in requests:
        _validate(req, max_seqlen)
        n = req.rows.shape[0]
        limit = max_seqlen - n if req.params.max_frames is None else min(int(req.params.max_frames), max_seqlen - n)
        if limit < 1:
            raise ValueError(f"max_frames must be at least 1, got {req.params.max_frames}")
        lens.append(n)
        seqs.append(_Seq(limit, make_generator(req.params.seed, device)))
    batch, longest = len(requests), max(lens)
    cache_len = max(n + s.limit for n, s in zip(lens, seqs))
    params = [r.params for r in requests]

    t0 = time.perf_counter()
    cache = model.new_cache(batch, cache_len, device=device)
    tokens = np.full((batch, longest, N_COLUMNS), AUDIO_PAD_ID, dtype=np.int64)
    tokens[:, :, N_CODEBOOKS] = TEXT_PAD_ID
    for b, req in enumerate(requests):
        tokens[b, : lens[b]] = req.rows
    speaker = speaker_pos = None
    if any(r.speaker is not None for r in requests):
        dim = next(np.asarray(r.speaker).size for r in requests if r.speaker is not None)
        spk = np.zeros((batch, dim), dtype=np.float32)
        for b, req in enumerate(requests):
            if req.speaker is not None:
                spk[b] = np.asarray(req.speaker, dtype=np.float32).reshape(dim)
        speaker = torch.from_numpy(spk).to(device=device, dtype=_param(model, "dtype", torch.float32))
        speaker_pos = torch.tensor([r.speaker_pos for r in requests], dtype=torch.long, device=device)
    logits = model(
        torch.from_numpy(tokens).to(device), cache, torch.zeros(batch, dtype=torch.long, device=device), speaker, speaker_pos
    )
    step_logits = logits[torch.arange(batch, device=device), torch.tensor(lens, device=device) - 1].float()
    del logits
    _sync(device)
    t_decode = time.perf_counter()
    prefill_s = t_decode - t0

    history = torch.full((batch, max(s.limit for s in seqs), N_CODEBOOKS), AUDIO_PAD_ID, dtype=torch.long, device=device)
    cached = list(lens)  # rows in each sequence's cache; the next fed frame goes there
    gens = [s.generator for s in seqs]
    while True:
        live = [b for b in range(batch) if seqs[b].done_at is None]
        # Every row is sampled (finished ones too, then ignored): cheaper than gathering the live ones.
        frames = sample_batch(step_logits, history, [len(s.frames) for s in seqs], params, gens)
        live_t = torch.tensor(live, device=device)
        history[live_t, torch.tensor([len(seqs[b].frames) for b in live], device=device)] = frames[live_t]
        frames_np = frames.cpu().numpy()  # host sync: EOS bookkeeping is Python-side
        now = time.perf_counter()
        for b in live:
            _record(seqs[b], frames_np[b], now)
        going = [b for b in live if seqs[b].done_at is None]
        if not going:
            break
        feed = torch.full((batch, 1, N_COLUMNS), AUDIO_PAD_ID, dtype=torch.long, device=device)
        feed[:, 0, N_CODEBOOKS] = TEXT_PAD_ID
        going_t = torch.tensor(going, device=device)
        feed[going_t, 0, :N_CODEBOOKS] = frames[going_t]
        # Finished sequences write their pad frame into their own last slot, never past the cache.
        positions = torch.tensor([min(c, cache_len - 1) for c in cached], dtype=torch.long, device=device)
        step_logits = model(feed, cache, positions)[:, 0].float()
        for b in going:
            cached[b] += 1
    _sync(device)
    return [_finish(seq, n, prefill_s, t_decode) for seq, n in zip(seqs, lens)]
