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


class BatchSampler:
    """Samples frames for a fixed batch of requests with everything on the device.

    Built once per batch: each request's parameters become [B, ...] tensors here, so a step
    copies nothing from the host and reads nothing back. The draw is torch.multinomial's own
    algorithm for one sample (argmax of p / q with q ~ Exp(1), ATen's `multinomial` fast path):
    each request draws its q from its own generator (one small kernel each, no sync), and one
    argmax serves the whole batch. The draws therefore equal torch.multinomial(p[b], 1, generator=g_b)
    exactly, the official per-request sampling, and a request's codes do not depend on its batch.
    """

    def __init__(self, params: Sequence[SamplingParams], generators: Sequence[torch.Generator], vocab: int, device) -> None:
        dev = torch.device(device)
        self.params, self.generators, self.vocab = list(params), list(generators), vocab
        f32 = {"dtype": torch.float32, "device": dev}
        col = lambda values, **kw: torch.tensor(values, **{**f32, **kw}).view(-1, 1, 1)  # noqa: E731
        self.temps = col([p.temperature if p.temperature > 0 else 1.0 for p in params])
        self.cold = torch.tensor([p.temperature <= 0 for p in params], device=dev).view(-1, 1)
        ks = [p.top_k if 0 < p.top_k < vocab else vocab for p in params]
        self.max_k, self.kth = max(ks), torch.tensor(ks, device=dev).view(-1, 1, 1) - 1
        self.use_top_p = any(0.0 < p.top_p < 1.0 for p in params)
        self.top_p = col([p.top_p if 0.0 < p.top_p < 1.0 else float("inf") for p in params])
        self.min_p = col([max(float(p.min_p), 0.0) for p in params])
        windows = [max(int(p.repetition_window), 0) for p in params]
        self.windows = torch.tensor(windows, dtype=torch.long, device=dev).view(-1, 1, 1)
        self.width = 0 if all(p.repetition_penalty == 1.0 for p in params) else max(windows, default=0)
        self.penalty = col([float(p.repetition_penalty) for p in params])
        n_cb = [-1 if p.repetition_codebooks < 0 else int(p.repetition_codebooks) for p in params]
        self.cb_limit = torch.tensor([10**6 if n < 0 else n for n in n_cb], device=dev).view(-1, 1, 1)
        self.noise: torch.Tensor | None = None
        self._noise_rows: list[torch.Tensor] = []
        self._shaped: dict[tuple[int, int], dict[str, torch.Tensor]] = {}

    def _for_shape(self, n_cb: int, vocab: int, device: torch.device) -> dict[str, torch.Tensor]:
        """Tensors that depend only on the batch's parameters and the logits' shape, built at the first
        step instead of every step (each op is a dispatch; a decode step is host-bound)."""
        key = (n_cb, vocab)
        if key not in self._shaped:
            batch = len(self.params)
            seen = torch.zeros(batch, n_cb, vocab + 1, dtype=torch.bool, device=device)
            self._shaped[key] = {
                "steps": torch.arange(self.width, device=device).view(1, -1, 1),  # [1, W, 1]
                "codebooks": torch.arange(n_cb, device=device).view(1, 1, n_cb) < self.cb_limit,  # [B, 1, 9]
                "seen": seen,  # [B, 9, V + 1]: codes in the window, plus a dump column for everything else
                "seen_by_id": seen.transpose(1, 2),  # [B, V + 1, 9], scattered along the ids
                "seen_codes": seen[..., :vocab],
                "kth": self.kth.expand(batch, n_cb, 1),
            }
        return self._shaped[key]

    def penalise(self, logits: torch.Tensor, history: torch.Tensor, generated: torch.Tensor) -> torch.Tensor:
        """Repetition penalty on [B, 9, V] logits from [B, H, 9] histories whose first generated[b] rows are real.

        Each codebook's codes seen in the request's last min(window, generated) frames (prompt
        excluded) are penalised: positive logits divided, negative multiplied, so both become less
        likely (a plain division would make a negative logit *more* likely).
        """
        if self.width == 0 or history.shape[1] == 0:
            return logits
        batch, n_cb, vocab = logits.shape
        shaped = self._for_shape(n_cb, vocab, logits.device)
        count = generated.view(-1, 1, 1)
        window = torch.minimum(self.windows, count)  # [B, 1, 1]
        idx = (count - window + shaped["steps"]).clamp(max=history.shape[1] - 1)  # [B, W, 1] the window's rows (past it: masked)
        recent = history.gather(1, idx.expand(batch, self.width, n_cb))
        keep = (shaped["steps"] < window) & shaped["codebooks"] & (recent < EOA_ID)
        ids = torch.where(keep, recent, vocab)  # everything else -> the dump column
        shaped["seen"].zero_()
        shaped["seen_by_id"].scatter_(1, ids, True)
        pen = self.penalty
        return torch.where(shaped["seen_codes"], torch.where(logits > 0, logits / pen, logits * pen), logits)

    def filter(self, logits: torch.Tensor) -> torch.Tensor:
        """Temperature, top-k, softmax, top-p and min-p on [B, 9, V] logits -> probabilities.

        A row can come out all zero (non-finite logits, or min_p > 1); `sample` then falls back
        to greedy for that codebook. Rows with temperature <= 0 are scaled by 1 (they go greedy).
        """
        x = logits / self.temps
        if self.max_k < x.shape[-1]:  # topk up to the largest k, then each row's own k-th value
            kth = torch.topk(x, self.max_k, dim=-1).values.gather(-1, self._for_shape(*x.shape[1:], x.device)["kth"])
            x = x.masked_fill(x < kth, float("-inf"))  # "<": every logit tied with the k-th survives
        probs = torch.softmax(x, dim=-1)
        if self.use_top_p:
            sorted_p, order = torch.sort(probs, dim=-1, descending=True)
            ahead = torch.cumsum(sorted_p, dim=-1) - sorted_p  # mass strictly before each token
            drop = torch.zeros_like(probs, dtype=torch.bool).scatter(-1, order, ahead > self.top_p)  # top token stays
            probs = probs.masked_fill(drop, 0.0)
            probs = probs / probs.sum(dim=-1, keepdim=True).clamp_min(1e-30)
        probs = probs.masked_fill(probs < self.min_p * probs.max(dim=-1, keepdim=True).values, 0.0)
        probs = probs / probs.sum(dim=-1, keepdim=True).clamp_min(1e-30)
        return torch.nan_to_num(probs, nan=0.0, posinf=0.0, neginf=0.0)

    def sample(self, logits: torch.Tensor, history: torch.Tensor, generated: torch.Tensor) -> torch.Tensor:
        """Frames [B, 9] from logits [B, 9, V]; row b uses its params, history[b, :generated[b]] and generator."""
        x = self.penalise(logits if logits.dtype == torch.float32 else logits.float(), history, generated)
        probs = self.filter(x)
        if self.noise is None or self.noise.shape != probs.shape:
            self.noise = torch.empty_like(probs)
            self._noise_rows = list(self.noise.unbind(0))
        for row, gen in zip(self._noise_rows, self.generators):  # every row draws, used or not: streams stay aligned
            row.exponential_(1.0, generator=gen)
        empty = probs.sum(dim=-1) <= 0
        drawn = (probs / self.noise).argmax(dim=-1)
        return torch.where(empty | self.cold, greedy(x), drawn)


def greedy(logits: torch.Tensor) -> torch.Tensor:
    """Argmax over the vocabulary, ignoring NaN (a NaN must never win)."""
    return torch.nan_to_num(logits if logits.dtype == torch.float32 else logits.float(), nan=float("-inf")).argmax(dim=-1)


def sample_batch(
    logits: torch.Tensor,
    history: torch.Tensor,
    generated: Sequence[int],
    params: Sequence[SamplingParams],
    generators: Sequence[torch.Generator],
) -> torch.Tensor:
    """Frames [B, 9] from logits [B, 9, V]; row b uses params[b], history[b, :generated[b]] and generators[b]."""
    sampler = BatchSampler(params, generators, logits.shape[-1], logits.device)
    return sampler.sample(logits, history, torch.tensor(list(generated), device=logits.device))


def apply_repetition_penalty(logits: torch.Tensor, history: torch.Tensor, params: SamplingParams) -> torch.Tensor:
    """One request: [9, V] logits, [n, 9] generated frames."""
    sampler = BatchSampler([params], [], logits.shape[-1], logits.device)
    return sampler.penalise(logits[None], history[None], torch.tensor([history.shape[0]], device=logits.device))[0]


def filter_probs(logits: torch.Tensor, params: SamplingParams) -> torch.Tensor:
    """One request's [9, V] logits -> probabilities (temperature through min-p)."""
    return BatchSampler([params], [], logits.shape[-1], logits.device).filter(logits[None].float())[0]


def sample_frame(logits: torch.Tensor, history: torch.Tensor, params: SamplingParams, generator: torch.Generator) -> torch.Tensor:
    """One request's frame [9] from [9, V] logits and its [n, 9] generated history."""
    return sample_batch(logits[None], history[None], [history.shape[0]], [params], [generator])[0]
