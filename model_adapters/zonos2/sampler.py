"""ZONOS2 frame sampling, per request and in the official order (docs/zonos2.md §4 "Sampling defaults").

Order: repetition penalty -> temperature -> top-k -> softmax -> top-p -> min-p -> (empty row:
greedy) -> one multinomial draw per codebook. The official engine shares min(top-k) and
max(min-p) across a batch; we apply each request's own parameters (as per-row tensors, so the
filters still run as a few batched kernels) and draw from each request's own seeded
torch.Generator, so a request's audio does not depend on what it was batched with, given the same
logits. The audio-control ids 1024 (end of audio) and 1025 (pad) are never masked: the model must
always be free to end.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import torch

EOA_ID = 1024  # ids >= this are not DAC codes and are never repetition-penalised


@dataclass(frozen=True)
class SamplingParams:
    """The official defaults (core.py / README); every field changes the audio."""

    temperature: float = 1.15  # <= 0: argmax
    top_k: int = 106  # <= 0 or >= vocab disables
    top_p: float = 0.0  # 0 (or >= 1) disables
    min_p: float = 0.18  # 0 disables
    repetition_window: int = 50  # generated frames looked back; 0 disables
    repetition_penalty: float = 1.2  # 1.0 disables
    repetition_codebooks: int = 8  # codebooks 0..n-1 are penalised; negative means all
    max_frames: int | None = None  # None: whatever the context leaves
    seed: int | None = None  # None: a fresh random seed per request


def make_generator(seed: int | None, device: torch.device | str = "cpu") -> torch.Generator:
    """A request's private random stream; seed None draws one from the OS (not reproducible)."""
    gen = torch.Generator(device=torch.device(device))
    gen.manual_seed(int(seed) if seed is not None else random.SystemRandom().randrange(2**63))
    return gen


def _rows(values: list[float], like: torch.Tensor) -> torch.Tensor:
    """Per-request scalars as a [B, 1, 1] tensor that broadcasts over codebooks and vocabulary."""
    return torch.tensor(values, dtype=torch.float32, device=like.device).view(-1, 1, 1)


def penalise(
    logits: torch.Tensor, history: torch.Tensor, generated: Sequence[int], params: Sequence[SamplingParams]
) -> torch.Tensor:
    """Repetition penalty on [B, 9, V] logits from [B, H, 9] histories whose first generated[b] rows are real.

    Each codebook's codes seen in the request's last min(window, generated) frames (prompt
    excluded) are penalised: positive logits divided, negative multiplied, so both become less
    likely (a plain division would make a negative logit *more* likely).
    """
    batch, n_cb, vocab = logits.shape
    windows = [min(max(int(p.repetition_window), 0), int(n)) for p, n in zip(params, generated)]
    width = max(windows, default=0)
    if width == 0 or all(p.repetition_penalty == 1.0 for p in params):
        return logits
    dev = logits.device
    start = torch.tensor([int(n) - w for n, w in zip(generated, windows)], device=dev)
    idx = start[:, None] + torch.arange(width, device=dev)  # [B, W]
    valid = idx < start[:, None] + torch.tensor(windows, device=dev)[:, None]
    recent = history.gather(1, idx.clamp(0, history.shape[1] - 1)[:, :, None].expand(batch, width, n_cb))
    cb_limit = torch.tensor(
        [n_cb if p.repetition_codebooks < 0 else min(int(p.repetition_codebooks), n_cb) for p in params], device=dev
    )
    keep = valid[:, :, None] & (torch.arange(n_cb, device=dev) < cb_limit[:, None])[:, None, :] & (recent < EOA_ID)
    ids = torch.where(keep, recent, torch.full_like(recent, vocab))  # everything else -> a dump column
    seen = torch.zeros(batch, n_cb, vocab + 1, dtype=torch.bool, device=dev)
    seen.scatter_(2, ids.transpose(1, 2), True)
    pen = _rows([float(p.repetition_penalty) for p in params], logits)
    return torch.where(seen[..., :vocab], torch.where(logits > 0, logits / pen, logits * pen), logits)


def filter_batch(logits: torch.Tensor, params: Sequence[SamplingParams]) -> torch.Tensor:
    """Temperature, top-k, softmax, top-p and min-p on [B, 9, V] logits -> probabilities.

    A row can come out all zero (non-finite logits, or min_p > 1); the caller then falls back
    to greedy for that codebook. Rows with temperature <= 0 are scaled by 1 (they go greedy).
    """
    vocab = logits.shape[-1]
    x = logits.float() / _rows([p.temperature if p.temperature > 0 else 1.0 for p in params], logits)
    ks = [p.top_k if 0 < p.top_k < vocab else vocab for p in params]
    if min(ks) < vocab:  # topk up to the largest k, then each row's own k-th value
        top = torch.topk(x, max(ks), dim=-1).values
        kth = top.gather(-1, (torch.tensor(ks, device=x.device) - 1).view(-1, 1, 1).expand(*x.shape[:2], 1))
        x = x.masked_fill(x < kth, float("-inf"))  # "<": every logit tied with the k-th survives
    probs = torch.softmax(x, dim=-1)
    if any(0.0 < p.top_p < 1.0 for p in params):
        top_p = _rows([p.top_p if 0.0 < p.top_p < 1.0 else float("inf") for p in params], x)
        sorted_p, order = torch.sort(probs, dim=-1, descending=True)
        ahead = torch.cumsum(sorted_p, dim=-1) - sorted_p  # mass strictly before each token
        drop = torch.zeros_like(probs, dtype=torch.bool).scatter(-1, order, ahead > top_p)  # top token stays
        probs = probs.masked_fill(drop, 0.0)
        probs = probs / probs.sum(dim=-1, keepdim=True).clamp_min(1e-30)
    min_p = _rows([max(float(p.min_p), 0.0) for p in params], x)
    probs = probs.masked_fill(probs < min_p * probs.max(dim=-1, keepdim=True).values, 0.0)
    probs = probs / probs.sum(dim=-1, keepdim=True).clamp_min(1e-30)
    return torch.nan_to_num(probs, nan=0.0, posinf=0.0, neginf=0.0)


def greedy(logits: torch.Tensor) -> torch.Tensor:
    """Argmax over the vocabulary, ignoring NaN (a NaN must never win)."""
    return torch.nan_to_num(logits.float(), nan=float("-inf")).argmax(dim=-1)


def sample_batch(
    logits: torch.Tensor,
    history: torch.Tensor,
    generated: Sequence[int],
    params: Sequence[SamplingParams],
    generators: Sequence[torch.Generator],
) -> torch.Tensor:
    """Frames [B, 9] from logits [B, 9, V]; row b uses params[b], history[b, :generated[b]] and generators[b]."""
    x = penalise(logits.float(), history, generated, params)
    probs = filter_batch(x, params)
    empty = probs.sum(dim=-1) <= 0
    safe = torch.where(empty[..., None], torch.ones_like(probs), probs)  # multinomial rejects all-zero rows
    drawn = torch.stack([torch.multinomial(safe[b], 1, generator=g).squeeze(-1) for b, g in enumerate(generators)])
    cold = torch.tensor([p.temperature <= 0 for p in params], device=x.device)[:, None]
    return torch.where(empty | cold, greedy(x), drawn)


def apply_repetition_penalty(logits: torch.Tensor, history: torch.Tensor, params: SamplingParams) -> torch.Tensor:
    """One request: [9, V] logits, [n, 9] generated frames."""
    return penalise(logits[None], history[None], [history.shape[0]], [params])[0]


def filter_probs(logits: torch.Tensor, params: SamplingParams) -> torch.Tensor:
    """One request's [9, V] logits -> probabilities (temperature through min-p)."""
    return filter_batch(logits[None], [params])[0]


def sample_frame(logits: torch.Tensor, history: torch.Tensor, params: SamplingParams, generator: torch.Generator) -> torch.Tensor:
    """One request's frame [9] from [9, V] logits and its [n, 9] generated history."""
    return sample_batch(logits[None], history[None], [history.shape[0]], [params], [generator])[0]
