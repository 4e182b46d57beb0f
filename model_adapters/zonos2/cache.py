"""The static ZONOS2 KV cache, and what every layer of one forward shares (`StepPlan`).

Why the cache hands out prepared views: a batch-1 decode step is host-bound (every aten op is a
dispatch whatever its size), and slicing each layer's K and V to the step's attention width
costs two dispatches per layer per step. That width changes only a few times per generation
(runner.kv_bucket), so for decode steps (one new token per sequence) `window()` builds each
layer's views once per width, with the index ranges the step needs, and later steps reuse them;
a CUDA graph captured over them stays valid, as they are never dropped. A prefill (T > 1 rows,
once per generation) builds its own. A view shares its cache tensor's storage, so writes through
it land in the cache and reads see every earlier write. Under torch.compile the views are built
inside the graph instead: the compiler fuses them away, and views held across calls would reach
it as aliased, mutated inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass
class LayerKV:
    """One layer's cache as attention uses it: write targets over every slot, read windows over the first kv_len."""

    k_slots: torch.Tensor  # [B, nkv, L, hd/2, 2]: keys stay in (even, odd) pairs, as the rotation leaves them
    v_slots: torch.Tensor  # [B, nkv, L, hd]
    keys: torch.Tensor  # [B, nkv, kv_len, hd]
    values: torch.Tensor  # [B, nkv, kv_len, hd]


@dataclass
class CacheWindow:
    """A cache's views for one attention width and step length, and the index ranges that go with them."""

    layers: list[LayerKV]
    rows: torch.Tensor  # [B, T] batch index of each new token
    steps: torch.Tensor  # [T] 0..T-1, each new token's offset from seq_lens
    slots: torch.Tensor  # [1, 1, 1, kv_len] 0..kv_len-1, the cache slot ids the mask compares against


@dataclass
class KVCache:
    """Static per-layer K/V buffers [B, n_kv_heads, max_len, head_dim].

    `kv_limit` (a Python int or None) bounds how many cache slots attention reads. None means
    "derive it from seq_lens" (one host sync per forward); a value >= every seq_lens[b] + T makes
    the step's shapes static (CUDA-graph capture, torch.compile) and sync-free. The generation
    loop sets it from its own step count, in a few buckets, so it never has to ask the device.
    """

    k: list[torch.Tensor]
    v: list[torch.Tensor]
    kv_limit: int | None = None
    _windows: dict[int, CacheWindow] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def batch(self) -> int:
        return self.k[0].shape[0]

    @property
    def max_len(self) -> int:
        return self.k[0].shape[2]

    def reset(self) -> None:
        for t in (*self.k, *self.v):
            t.zero_()

    def window(self, kv_len: int, t: int) -> CacheWindow:
        """The views and index ranges of a step that writes `t` tokens per sequence and reads `kv_len` slots."""
        if t != 1 or torch.compiler.is_compiling():
            return self._build(kv_len, t)
        if kv_len not in self._windows:  # a handful of widths per cache (runner.kv_bucket)
            with torch.inference_mode(False):  # plain tensors: usable in and out of inference mode
                self._windows[kv_len] = self._build(kv_len, t)
        return self._windows[kv_len]

    def _build(self, kv_len: int, t: int) -> CacheWindow:
        layers = [LayerKV(k.unflatten(-1, (-1, 2)), v, k[:, :, :kv_len], v[:, :, :kv_len]) for k, v in zip(self.k, self.v)]
        dev, b = self.k[0].device, self.batch
        rows = torch.arange(b, device=dev)[:, None].expand(b, t)
        slots = torch.arange(kv_len, device=dev).view(1, 1, 1, kv_len)
        return CacheWindow(layers, rows, torch.arange(t, device=dev), slots)


@dataclass
class StepPlan:
    """What every layer of one forward shares: its shape, rotations, and with a cache the write slots and mask."""

    batch: int
    length: int
    freqs: torch.Tensor  # complex [B, T, 1, hd/2] ([T, 1, hd/2] without a cache)
    rows: torch.Tensor | None = None  # [B, T] batch index of each new token
    cols: torch.Tensor | None = None  # [B, T] cache slot of each new token
    mask: torch.Tensor | None = None  # bool [B, 1, T, kv_len]: new token t (at seq_lens + t) sees slots <= its own
