"""ZONOS2 building blocks: RMSNorm, interleaved RoPE, gated GQA attention, dense FFN, static KV cache.

Written from docs/zonos2.md §2. The conventions that silently break parity if guessed wrong
are pinned here and tested: RoPE pairs adjacent dims (0,1),(2,3)… (not NeoX halves), `wkv`
chunk 0 is K, dense `w_in` chunk 0 is UP (chunk 1 gate), q is scaled by |temp| after QK-norm and before RoPE.

Why the code is shaped like this: a batch-1 decode step is host-bound (every aten op costs a
dispatch whatever the tensor size), so each block is written in as few ops as the math allows:
torch's fused RMSNorm (one op; fp32 statistics for bf16, bit-identical to the spelled-out form),
RoPE as one complex multiply over q and k together, the cache laid out [B, kv_heads, L, hd] so
SDPA reads slices without transposes, and everything that depends only on positions (rotation,
mask, cache write indices) computed once per forward in `StepPlan`, not once per layer.

Attention with a cache attends to slots < seq_lens[b] plus causal positions of the new tokens.
GQA folds the query heads of one KV group into the query-length axis, so the cache is never
repeated and one SDPA call with a boolean mask serves prefill and decode.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


def rms_norm(x: torch.Tensor, eps: float, weight: torch.Tensor | None = None) -> torch.Tensor:
    """RMSNorm over the last dim in one op; statistics in fp32, result in x's dtype."""
    return F.rms_norm(x, (x.shape[-1],), weight, eps)


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.rms_norm(x, (x.shape[-1],), self.weight, self.eps)


class StackedLinear(nn.Module):
    """A bias-free projection stored as `weight` [n, out, in] (the checkpoint's fused wkv / w_in)."""

    def __init__(self, n: int, out_features: int, in_features: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n, out_features, in_features))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        n, out, inp = self.weight.shape
        return F.linear(x, self.weight.view(n * out, inp)).split(out, dim=-1)


def rope_freqs(positions: torch.Tensor, head_dim: int, theta: float) -> torch.Tensor:
    """Unit rotations exp(i·pos·theta^(-2j/hd)) as complex64 [..., head_dim/2] for integer positions [...]."""
    inv_freq = theta ** (-torch.arange(0, head_dim, 2, device=positions.device, dtype=torch.float32) / head_dim)
    angles = positions.float().unsqueeze(-1) * inv_freq
    return torch.complex(angles.cos(), angles.sin())


def apply_rope(x: torch.Tensor, freqs: torch.Tensor) -> torch.Tensor:
    """Interleaved rotary embedding: rotate each adjacent pair (2j, 2j+1) by angle j, in fp32.

    x: [..., hd] of any float dtype; freqs: complex [..., hd/2] broadcastable to x's leading dims.
    """
    xf = x if x.dtype == torch.float32 else x.float()
    if torch.compiler.is_compiling():  # inductor cannot generate code for complex ops; this it fuses
        x0, x1, c, s = xf[..., 0::2], xf[..., 1::2], freqs.real, freqs.imag
        out = torch.stack((x0 * c - x1 * s, x0 * s + x1 * c), dim=-1).flatten(-2)
    else:  # eager: one complex multiply is the fewest ops
        out = torch.view_as_real(torch.view_as_complex(xf.unflatten(-1, (-1, 2))) * freqs).flatten(-2)
    return out if x.dtype == torch.float32 else out.to(x.dtype)


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

    @property
    def batch(self) -> int:
        return self.k[0].shape[0]

    @property
    def max_len(self) -> int:
        return self.k[0].shape[2]

    def reset(self) -> None:
        for t in (*self.k, *self.v):
            t.zero_()


@dataclass
class StepPlan:
    """What every layer of one forward shares: rotations, and with a cache the write slots and mask."""

    freqs: torch.Tensor  # complex [B, T, 1, hd/2]
    rows: torch.Tensor | None = None  # [B, T] batch index of each new token
    cols: torch.Tensor | None = None  # [B, T] cache slot of each new token
    mask: torch.Tensor | None = None  # bool [B, 1, T, kv_len]


def attention_mask(seq_lens: torch.Tensor, t: int, kv_len: int) -> torch.Tensor:
    """Bool [B, 1, T, kv_len]: new token t (at position seq_lens+t) sees slots j <= seq_lens + t."""
    q_pos = seq_lens[:, None] + torch.arange(t, device=seq_lens.device)
    return (torch.arange(kv_len, device=seq_lens.device) <= q_pos[..., None]).unsqueeze(1)


class Attention(nn.Module):
    def __init__(self, dim: int, n_heads: int, n_kv_heads: int, head_dim: int, qk_eps: float) -> None:
        super().__init__()
        self.n_heads, self.n_kv_heads, self.head_dim, self.qk_eps = n_heads, n_kv_heads, head_dim, qk_eps
        self.wq = nn.Linear(dim, n_heads * head_dim, bias=False)
        self.wkv = StackedLinear(2, n_kv_heads * head_dim, dim)
        self.wo = nn.Linear(n_heads * head_dim, dim, bias=False)
        self.gater = nn.Linear(dim, n_heads, bias=False)
        self.temp = nn.Parameter(torch.ones(1, n_heads, 1))

    def fuse_projections(self) -> None:
        """Store wq, wkv and gater as row views of one [q | k | v | gate] matrix, so the step runs one
        GEMM instead of three. Parameters and state-dict keys stay the checkpoint's; `.to()` or an
        assigning load re-creates them separately, which `_fused_weight()` notices (the plain path)."""
        if self._fused_weight() is not None:
            return
        h, nkv, hd = self.n_heads, self.n_kv_heads, self.head_dim
        w = torch.cat((self.wq.weight, self.wkv.weight.flatten(0, 1), self.gater.weight)).detach()
        rq, rkv = h * hd, 2 * nkv * hd
        self.wq.weight = nn.Parameter(w[:rq], requires_grad=False)
        self.wkv.weight = nn.Parameter(w[rq : rq + rkv].view(2, nkv * hd, -1), requires_grad=False)
        self.gater.weight = nn.Parameter(w[rq + rkv :], requires_grad=False)
        self._fused = w

    def _apply(self, fn, recurse=True):  # noqa: ANN001, ANN202 - nn.Module's hook for .to()/.cuda()/.half()
        self._fused = None  # moved or cast parameters are new tensors: drop the old fused storage
        return super()._apply(fn, recurse)

    def _fused_weight(self) -> torch.Tensor | None:
        w = getattr(self, "_fused", None)
        if w is None or self.wq.weight.data_ptr() != w.data_ptr() or self.gater.weight.device != w.device:
            return None
        return w

    def forward(self, x: torch.Tensor, plan: StepPlan, kv: tuple[torch.Tensor, torch.Tensor] | None) -> torch.Tensor:
        b, t, _ = x.shape
        hd, h, nkv = self.head_dim, self.n_heads, self.n_kv_heads
        fused = self._fused_weight()
        if fused is not None:
            qk, v, gate = F.linear(x, fused).split(((h + nkv) * hd, nkv * hd, h), dim=-1)
        else:
            k, v = self.wkv(x)
            qk, gate = torch.cat((self.wq(x), k), dim=-1), self.gater(x)
        # q and k share the weightless QK-norm and the rotation: one op each for both.
        qk = rms_norm(qk.view(b, t, h + nkv, hd), self.qk_eps)
        qk.narrow(2, 0, h).mul_(self.temp.abs())  # q *= |temp| before the rotation, as upstream rounds it
        q, k = apply_rope(qk, plan.freqs).split((h, nkv), dim=2)
        if kv is None:  # full causal pass from position 0
            out = F.scaled_dot_product_attention(
                q.transpose(1, 2), k.transpose(1, 2), v.view(b, t, nkv, hd).transpose(1, 2), is_causal=True, enable_gqa=True
            ).transpose(1, 2)
        else:
            out = self._cached(q, k, v.view(b, t, nkv, hd), kv, plan)
        out = out * torch.sigmoid(gate).unsqueeze(-1)
        return self.wo(out.reshape(b, t, h * hd))

    def _cached(
        self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, kv: tuple[torch.Tensor, torch.Tensor], plan: StepPlan
    ) -> torch.Tensor:
        b, t, h, hd = q.shape
        nkv, g = self.n_kv_heads, h // self.n_kv_heads
        cache_k, cache_v = kv
        torch.ops.aten.index_put_(cache_k, [plan.rows, None, plan.cols], k)  # cache[b, :, slot] = k[b, t]
        torch.ops.aten.index_put_(cache_v, [plan.rows, None, plan.cols], v)
        kv_len = plan.mask.shape[-1]
        keys, values = cache_k[:, :, :kv_len], cache_v[:, :, :kv_len]  # [B, nkv, L, hd]
        if t == 1:  # decode: [B, 1, H, hd] already is [B, nkv, g, hd] in memory; the mask broadcasts
            out = F.scaled_dot_product_attention(q.view(b, nkv, g, hd), keys, values, attn_mask=plan.mask)
            return out.view(b, 1, h, hd)
        # Fold the g query heads sharing a KV head into the query axis: [B, nkv, g*T, hd].
        qf = q.reshape(b, t, nkv, g, hd).permute(0, 2, 3, 1, 4).reshape(b, nkv, g * t, hd)
        m = plan.mask.unsqueeze(2).expand(b, 1, g, t, kv_len).reshape(b, 1, g * t, kv_len)
        out = F.scaled_dot_product_attention(qf, keys, values, attn_mask=m)
        return out.view(b, nkv, g, t, hd).permute(0, 3, 1, 2, 4).reshape(b, t, h, hd)


class DenseFFN(nn.Module):
    """w_out(up * silu(gate)) with w_in [2, I, D]: chunk 0 = up, chunk 1 = gate."""

    def __init__(self, dim: int, inter: int) -> None:
        super().__init__()
        self.w_in = StackedLinear(2, inter, dim)
        self.w_out = nn.Linear(inter, dim, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        up, gate = self.w_in(x)
        return self.w_out(up * F.silu(gate))
