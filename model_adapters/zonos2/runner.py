"""One ZONOS2 decode forward with static shapes, run eagerly, through torch.compile, or replayed
from a CUDA graph.

Why: a batch-1 decode step of the 8B MoE streams ~1-1.5 ms of weights on a recent GPU but
dispatches over a thousand aten ops from Python, so eager decode is host-bound. A CUDA graph
replays the whole forward as one launch; torch.compile fuses the small elementwise ops. Both need
the step's shapes and addresses fixed, so the runner owns persistent input buffers (`feed`,
`positions`) that the generation loop fills in place, and the attention width is a host-known
bucket (`kv_bucket`) instead of a value read back from the device. The eager mode runs exactly
what the other two capture, which is how the CPU tests check them.
"""

from __future__ import annotations

from typing import Any, Literal

import torch

StepMode = Literal["eager", "compile", "graph"]
STEP_MODES: tuple[str, ...] = ("eager", "compile", "graph")
MIN_BUCKET = 256  # cache slots attention reads at least; buckets double from here


def kv_bucket(need: int, max_len: int) -> int:
    """Cache slots the step reads: the next power-of-two multiple of MIN_BUCKET >= need, capped at
    the cache length. A handful of widths per generation, so compile/capture happens a few times."""
    width = MIN_BUCKET
    while width < need:
        width *= 2
    return min(width, max_len)


class StepRunner:
    """Decode forward over persistent buffers: logits [B, 9, V] for `feed` [B, 1, 10] at `positions` [B]."""

    def __init__(
        self, model: Any, cache: Any, batch: int, n_columns: int, device: torch.device, mode: StepMode = "eager"
    ) -> None:
        if mode not in STEP_MODES:
            raise ValueError(f"step mode {mode!r} not in {STEP_MODES}")
        if mode == "graph" and device.type != "cuda":
            raise ValueError("step mode 'graph' (CUDA-graph capture) needs a CUDA device; use 'eager' or 'compile'")
        self.model, self.cache, self.mode = model, cache, mode
        self.feed = torch.zeros(batch, 1, n_columns, dtype=torch.long, device=device)
        self.positions = torch.zeros(batch, dtype=torch.long, device=device)
        self._compiled: Any = None
        self._graphs: dict[int, tuple[torch.cuda.CUDAGraph, torch.Tensor]] = {}
        self._pool: Any = None

    def _forward(self, feed: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
        return self.model(feed, self.cache, positions)[:, 0]

    def __call__(self, kv_len: int) -> torch.Tensor:
        self.cache.kv_limit = kv_len  # a Python int: static shape, no device read
        if self.mode == "eager":
            return self._forward(self.feed, self.positions)
        if self.mode == "compile":
            if self._compiled is None:  # one graph per kv bucket (the guard on cache.kv_limit)
                self._compiled = torch.compile(self._forward, dynamic=False)
            return self._compiled(self.feed, self.positions)
        graph, out = self._graphs.get(kv_len) or self._capture(kv_len)
        graph.replay()
        return out

    def _capture(self, kv_len: int) -> tuple[torch.cuda.CUDAGraph, torch.Tensor]:
        """Capture this bucket's step. Warm-up runs on a side stream first (lazy init, autotuning);
        they write this step's own K/V into the cache, which the replay then rewrites identically."""
        stream = torch.cuda.Stream()
        stream.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(stream):
            for _ in range(2):
                self._forward(self.feed, self.positions)
        torch.cuda.current_stream().wait_stream(stream)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph, pool=self._pool):
            out = self._forward(self.feed, self.positions)
        self._pool = graph.pool()  # later buckets share one memory pool
        self._graphs[kv_len] = (graph, out)
        return graph, out
