"""ZONOS2 building blocks: RMSNorm, interleaved RoPE, gated GQA attention, dense FFN, static KV cache.

Written from docs/zonos2.md §2. The conventions that silently break parity if guessed wrong
are pinned here and tested: RoPE pairs adjacent dims (0,1),(2,3)… (not NeoX halves), `wkv`
chunk 0 is K, dense `w_in` chunk 0 is UP (chunk 1 gate), q is scaled by |temp| after QK-norm.

Attention with a cache attends to positions < seq_lens[b] plus causal positions of the new
tokens. GQA is done by folding the query heads of one KV group into the query-length axis, so
the cache is never repeated and one SDPA call with a boolean mask serves prefill and decode.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


def rms_norm(x: torch.Tensor, eps: float, weight: torch.Tensor | None = None) -> torch.Tensor:
    """RMSNorm computed in fp32, returned in x's dtype."""
    xf = x.float()
    y = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + eps)
    if weight is not None:
        y = y * weight.float()
    return y.to(x.dtype)


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return rms_norm(x, self.eps, self.weight)


class StackedLinear(nn.Module):
    """A bias-free projection stored as `weight` [n, out, in] (the checkpoint's fused wkv / w_in)."""

    def __init__(self, n: int, out_features: int, in_features: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n, out_features, in_features))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        n, out, inp = self.weight.shape
        return F.linear(x, self.weight.reshape(n * out, inp)).split(out, dim=-1)


def rope_cos_sin(positions: torch.Tensor, head_dim: int, theta: float) -> tuple[torch.Tensor, torch.Tensor]:
    """cos/sin [..., head_dim/2] in fp32 for integer positions [...]; frequency i is theta^(-2i/hd)."""
    inv_freq = theta ** (-torch.arange(0, head_dim, 2, device=positions.device, dtype=torch.float32) / head_dim)
    angles = positions.float().unsqueeze(-1) * inv_freq
    return angles.cos(), angles.sin()


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Interleaved rotary embedding: rotate each adjacent pair (2i, 2i+1) by angle i.

    x: [B, T, H, hd]; cos/sin: [B, T, hd/2] (broadcast over heads).
    """
    xf = x.float().unflatten(-1, (-1, 2))
    x0, x1 = xf[..., 0], xf[..., 1]
    c, s = cos.unsqueeze(-2), sin.unsqueeze(-2)
    return torch.stack((x0 * c - x1 * s, x0 * s + x1 * c), dim=-1).flatten(-2).to(x.dtype)


@dataclass
class KVCache:
    """Static per-layer K/V buffers [B, max_len, n_kv_heads, head_dim].

    `kv_limit` (a Python int or None) bounds how many cache slots attention reads. None means
    "derive it from seq_lens" (one host sync per forward); set it to a fixed value >= every
    seq_lens[b] + T for CUDA-graph capture or torch.compile, so the step is sync-free.
    """

    k: list[torch.Tensor]
    v: list[torch.Tensor]
    kv_limit: int | None = None

    @property
    def batch(self) -> int:
        return self.k[0].shape[0]

    @property
    def max_len(self) -> int:
        return self.k[0].shape[1]

    def reset(self) -> None:
        for t in (*self.k, *self.v):
            t.zero_()


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

    def forward(
        self,
        x: torch.Tensor,
        cos: torch.Tensor,
        sin: torch.Tensor,
        kv: tuple[torch.Tensor, torch.Tensor] | None,
        seq_lens: torch.Tensor | None,
        mask: torch.Tensor | None,
    ) -> torch.Tensor:
        b, t, _ = x.shape
        hd, h, nkv = self.head_dim, self.n_heads, self.n_kv_heads
        gate = torch.sigmoid(self.gater(x))  # [B, T, H]
        q = rms_norm(self.wq(x).view(b, t, h, hd), self.qk_eps) * self.temp.abs()
        k, v = self.wkv(x)
        k = rms_norm(k.view(b, t, nkv, hd), self.qk_eps)
        v = v.view(b, t, nkv, hd)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        if kv is None:  # full causal pass from position 0
            out = F.scaled_dot_product_attention(
                q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2), is_causal=True, enable_gqa=True
            ).transpose(1, 2)
        else:
            out = self._cached(q, k, v, kv, seq_lens, mask)
        out = out * gate.unsqueeze(-1)
        return self.wo(out.reshape(b, t, h * hd))

    def _cached(
        self,
        q: torch.Tensor,
        k: torch.Tensor,
        v: torch.Tensor,
        kv: tuple[torch.Tensor, torch.Tensor],
        seq_lens: torch.Tensor,
        mask: torch.Tensor,
    ) -> torch.Tensor:
        b, t, h, hd = q.shape
        nkv, g = self.n_kv_heads, h // self.n_kv_heads
        cache_k, cache_v = kv
        rows = torch.arange(b, device=q.device)[:, None].expand(b, t)
        cols = seq_lens[:, None] + torch.arange(t, device=q.device)
        cache_k.index_put_((rows, cols), k)
        cache_v.index_put_((rows, cols), v)
        kv_len = mask.shape[-1]
        keys = cache_k[:, :kv_len].transpose(1, 2)  # [B, nkv, L, hd]
        values = cache_v[:, :kv_len].transpose(1, 2)
        # Fold the g query heads sharing a KV head into the query axis: [B, nkv, g*T, hd].
        qf = q.view(b, t, nkv, g, hd).permute(0, 2, 3, 1, 4).reshape(b, nkv, g * t, hd)
        m = mask.unsqueeze(2).expand(b, 1, g, t, kv_len).reshape(b, 1, g * t, kv_len)
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
