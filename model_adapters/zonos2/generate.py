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
A sequence that reaches its frame budget without EOS is a runaway: like the official offline path
it keeps all G generated frames (the delayed codebooks' last rows padded, then clamped to 1023), and
comes back with eos_reached False so the harness can flag it rather than lose it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
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
from model_adapters.zonos2.runner import StepMode, StepRunner, kv_bucket
from model_adapters.zonos2.sampler import BatchSampler, SamplingParams, make_generator

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
class Progress:
    """What the host knows at a check: each request's generated frames so far (views, not copies)."""

    frames: list[np.ndarray]  # [g_b, 9] per request
    eos_frames: list[int | None]
    done: list[bool]
    t: float  # perf_counter() when the frames reached the host


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


def final_codes(frames: np.ndarray, eos_frame: int | None) -> np.ndarray:
    """Generated frames [G, 9] -> DAC codes [9, F], as the official offline path does it: undo the
    delay over G + 8 rows (the ragged tail padded with 1025), keep rows [0, eos_frame) when EOS came
    and all G otherwise (a runaway keeps its pad tail), then clamp ids to <= 1023 for the codec."""
    frames = np.asarray(frames, dtype=np.int64).reshape(-1, N_CODEBOOKS)
    padded = np.concatenate([frames, np.full((N_CODEBOOKS - 1, N_CODEBOOKS), AUDIO_PAD_ID, dtype=np.int64)])
    codes = unshear(padded)[:, : len(frames) if eos_frame is None else eos_frame]
    return np.minimum(codes, CODEBOOK_SIZE - 1)  # stray 1024/1025 inside the audio become a code


class GenerationRun:
    """A batch of requests generated together; iterate it for `Progress` every `check_every` steps,
    then read `results`. Every step stays on the device: sampling (BatchSampler), the EOS rule, the
    frame budget and what to feed next are tensor ops, so the host reads state back only at checks
    (one copy), and up to check_every - 1 steps past the last finish are spent and discarded.
    """

    def __init__(
        self,
        model: Any,
        requests: list[GenerationRequest],
        *,
        device: torch.device | str | None = None,
        step_mode: StepMode = "eager",
        check_every: int = 8,
    ) -> None:
        self.model, self.requests, self.step_mode = model, list(requests), step_mode
        self.check_every = max(1, int(check_every))
        self.max_seqlen = int(model_config(model).max_seqlen)
        self.device = torch.device(device) if device is not None else _param(model, "device", torch.device("cpu"))
        self.lens, self.limits = [], []
        for req in self.requests:
            _validate(req, self.max_seqlen)
            n = req.rows.shape[0]
            mf = req.params.max_frames
            limit = self.max_seqlen - n if mf is None else min(int(mf), self.max_seqlen - n)
            if limit < 1:
                raise ValueError(f"max_frames must be at least 1, got {mf}")
            self.lens.append(n)
            self.limits.append(limit)
        self.results: list[GenerationResult] | None = None

    def _prefill(self, cache: Any) -> torch.Tensor:
        """Right-padded prompts in one pass; the head only at each prompt's last row."""
        dev, reqs, batch = self.device, self.requests, len(self.requests)
        tokens = np.full((batch, max(self.lens), N_COLUMNS), AUDIO_PAD_ID, dtype=np.int64)
        tokens[:, :, N_CODEBOOKS] = TEXT_PAD_ID
        for b, req in enumerate(reqs):
            tokens[b, : self.lens[b]] = req.rows
        speaker = speaker_pos = None
        if any(r.speaker is not None for r in reqs):
            dim = next(np.asarray(r.speaker).size for r in reqs if r.speaker is not None)
            spk = np.zeros((batch, dim), dtype=np.float32)
            for b, req in enumerate(reqs):
                if req.speaker is not None:
                    spk[b] = np.asarray(req.speaker, dtype=np.float32).reshape(dim)
            speaker = torch.from_numpy(spk).to(device=dev, dtype=_param(self.model, "dtype", torch.float32))
            speaker_pos = torch.tensor([r.speaker_pos for r in reqs], dtype=torch.long, device=dev)
        last = torch.tensor(self.lens, device=dev) - 1
        zeros = torch.zeros(batch, dtype=torch.long, device=dev)
        return self.model(torch.from_numpy(tokens).to(dev), cache, zeros, speaker, speaker_pos, logits_at=last)[:, 0]

    def _cache_and_runner(self, batch: int, cache_len: int) -> tuple[Any, StepRunner]:
        """A fresh KV cache and step runner; with CUDA graphs or torch.compile, the model keeps the
        last pair (cache length rounded up to 256) so the next run of that shape reuses what was
        captured or compiled instead of paying for it again. The reused cache needs no reset: every
        slot a step reads was written by this run's prefill or an earlier step."""
        if self.step_mode == "eager":
            cache = self.model.new_cache(batch, cache_len, device=self.device)
            return cache, StepRunner(self.model, cache, batch, N_COLUMNS, self.device, "eager")
        cache_len = min(-(-cache_len // 256) * 256, self.max_seqlen)
        key = (batch, cache_len, str(self.device), self.step_mode)
        kept = getattr(self.model, "_zonos2_step_cache", None)
        if kept is None or kept[0] != key:
            kept = None
            self.model._zonos2_step_cache = None  # free the old pair before allocating
            cache = self.model.new_cache(batch, cache_len, device=self.device)
            kept = (key, cache, StepRunner(self.model, cache, batch, N_COLUMNS, self.device, self.step_mode))
            self.model._zonos2_step_cache = kept
        return kept[1], kept[2]

    @torch.inference_mode()
    def __iter__(self) -> Iterator[Progress]:
        model, dev, batch = self.model, self.device, len(self.requests)
        if not batch:
            self.results = []
            return
        if callable(getattr(model, "prepare", None)):
            model.prepare()
        horizon, longest = max(self.limits), max(self.lens)
        cache_len = max(n + lim for n, lim in zip(self.lens, self.limits))
        t0 = time.perf_counter()
        cache, runner = self._cache_and_runner(batch, cache_len)
        step_logits = self._prefill(cache)
        _sync(dev)
        t_decode = time.perf_counter()
        gens = [make_generator(r.params.seed, dev) for r in self.requests]
        sampler = BatchSampler([r.params for r in self.requests], gens, step_logits.shape[-1], dev)
        runner.feed[:, 0, N_CODEBOOKS] = TEXT_PAD_ID

        last_slot = torch.tensor(self.lens, device=dev) - 1  # + generated: the cache slot of the frame to feed
        stop = torch.tensor(self.limits, device=dev)  # generated count that ends a sequence: budget, or EOS + countdown
        # Row `horizon` is a dump row: finished sequences (generated <= limit <= horizon) write their
        # ignored frames past their own end, so the write needs no mask; nothing reads past generated[b].
        history = torch.full((batch, horizon + 1, N_CODEBOOKS), AUDIO_PAD_ID, dtype=torch.long, device=dev)
        generated = torch.zeros(batch, dtype=torch.long, device=dev)
        eos = torch.full((batch,), -1, dtype=torch.long, device=dev)
        done = torch.zeros(batch, dtype=torch.bool, device=dev)
        rows, codebook = torch.arange(batch, device=dev), torch.arange(N_CODEBOOKS, device=dev)
        feed_codes = runner.feed[:, 0, :N_CODEBOOKS]

        host = np.full((batch, horizon, N_CODEBOOKS), AUDIO_PAD_ID, dtype=np.int64)
        host_gen, host_eos, done_at = [0] * batch, [None] * batch, [None] * batch
        step = read = 0
        while True:
            frames = sampler.sample(step_logits, history, generated)
            live = ~done
            history.index_put_((rows, generated), frames)
            eoa = frames == EOA_ID
            first = live & eoa.any(-1) & (eos < 0)  # audio ends where the lowest delayed codebook says
            eos = torch.where(first, (generated - (eoa * codebook).amax(-1)).clamp(min=0), eos)
            stop = torch.where(first, torch.minimum(stop, generated + EOS_COUNTDOWN), stop)
            generated = generated + live
            done = generated >= stop  # monotone: generated stops moving once it reaches stop
            step += 1
            if step % self.check_every == 0 or step >= horizon:
                upto = min(step, horizon)
                packed = torch.cat(
                    [history[:, read:upto].reshape(batch, -1), torch.stack([generated, eos, done.long()], dim=1)], dim=1
                ).cpu()  # the one device-to-host read of a check
                now = time.perf_counter()
                state = packed[:, -3:].numpy()
                host[:, read:upto] = packed[:, :-3].numpy().reshape(batch, upto - read, N_CODEBOOKS)
                read = upto
                for b in range(batch):
                    host_gen[b] = int(state[b, 0])
                    host_eos[b] = None if state[b, 1] < 0 else int(state[b, 1])
                    if state[b, 2] and done_at[b] is None:
                        done_at[b] = now
                yield Progress(
                    [host[b, : host_gen[b]] for b in range(batch)], list(host_eos), [d is not None for d in done_at], now
                )
                if all(d is not None for d in done_at):
                    break
            feed_codes.copy_(frames.masked_fill(done[:, None], AUDIO_PAD_ID))
            # A finished sequence feeds pad frames into its own next slot, never past the cache:
            # lens + generated - 1 < lens + limit <= cache_len, as generated never passes the limit.
            torch.add(last_slot, generated, out=runner.positions)
            step_logits = runner(kv_bucket(longest + step, cache.max_len))
        prefill_s = t_decode - t0
        self.results = [
            GenerationResult(
                final_codes(host[b, : host_gen[b]], host_eos[b]),
                host_eos[b] is not None,
                host_eos[b],
                host_gen[b],
                self.lens[b],
                prefill_s,
                done_at[b] - t_decode,
            )
            for b in range(batch)
        ]


def generate(
    model: Any,
    requests: list[GenerationRequest],
    *,
    device: torch.device | str | None = None,
    step_mode: StepMode = "eager",
    check_every: int = 8,
) -> list[GenerationResult]:
    """Generate DAC codes for each request, batched; results come back in request order."""
    run = GenerationRun(model, requests, device=device, step_mode=step_mode, check_every=check_every)
    for _ in run:
        pass
    return run.results or []
