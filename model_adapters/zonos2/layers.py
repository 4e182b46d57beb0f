"""ZONOS2 building blocks: RMSNorm, interleaved RoPE, gated GQA attention, dense FFN.

Written from docs/zonos2.md §2. The conventions that silently break parity if guessed wrong
are pinned here and tested: RoPE pairs adjacent dims (0,1),(2,3)… (not NeoX halves), `wkv`
chunk 0 is K, dense `w_in` chunk 0 is UP (chunk 1 gate), q is scaled by |temp| after QK-norm and before RoPE.

Why the code is shaped like this: a batch-1 decode step is host-bound (every aten op costs a
dispatch whatever the tensor size), so each block is written in as few ops as the math allows:
torch's fused RMSNorm (one op; fp32 statistics for bf16, bit-identical to the spelled-out form),
q and k normed, scaled and rotated together as (even, odd) pairs (one op each; no reshapes in
between), tensors that depend only on weights built once (`Derived`), and everything that
depends only on positions (rotation, mask, cache write indices) computed once per forward in
`StepPlan`, not once per layer. The residual stream is [B*T, D] rows, so no block reshapes it.

Attention with a cache attends to slots < seq_lens[b] plus causal positions of the new tokens.
GQA folds the query heads of one KV group into the query-length axis, so the cache is never
repeated and one SDPA call with a boolean mask serves prefill and decode.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from model_adapters.zonos2.cache import LayerKV, StepPlan


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


@dataclass
class _Memo:
    sources: list[tuple[torch.Tensor, int]]  # each source and its data pointer when built
    versions: list[int]  # their version counters when built or last refreshed
    value: torch.Tensor
    is_view: bool  # shares storage with a source, so it sees in-place writes by itself


class Derived(nn.Module):
    """A module that keeps tensors derived from its weights (transposed or concatenated weights,
    |temp|, constant index ranges) instead of rebuilding them in every step: each one costs a
    dispatch per layer per step otherwise.

    `derived(name, build, *sources)` is build() memoised while grad is off (with grad on it is
    rebuilt every call, so autograd sees it). The memo is rebuilt when a source is replaced or
    moved; a copy is refreshed in place, under the same storage, when a source is written in
    place (its version counter moved), so a CUDA graph captured over it replays the new values;
    `.to()` and friends drop every memo. Writes through `.data` move no version counter: call
    `drop_derived()` after those. Under torch.compile a memo is used as it stands (dynamo cannot
    compare data pointers), or built inside the graph when there is none yet.
    """

    def __init__(self) -> None:
        super().__init__()
        self._derived: dict[str, _Memo] = {}

    def derived(self, name: str, build: Callable[[], torch.Tensor], *sources: torch.Tensor) -> torch.Tensor:
        memo = self._derived.get(name)
        if torch.compiler.is_compiling():
            return build() if memo is None else memo.value
        if torch.is_grad_enabled():
            return build()
        ids = [(s, s.data_ptr()) for s in sources]
        versions = [-1 if s.is_inference() else s._version for s in sources]
        if memo is None or not all(a is b and pa == pb for (a, pa), (b, pb) in zip(memo.sources, ids)):
            with torch.inference_mode(False):  # a plain tensor: usable in and out of inference mode
                value = build()
            storages = {s.untyped_storage().data_ptr() for s in sources}
            memo = self._derived[name] = _Memo(ids, versions, value, value.untyped_storage().data_ptr() in storages)
        elif memo.versions != versions:
            if not memo.is_view:
                with torch.inference_mode(False):
                    memo.value.copy_(build())
            memo.versions = versions
        return memo.value

    def drop_derived(self) -> None:
        self._derived = {}

    def _apply(self, fn, recurse=True):  # noqa: ANN001, ANN202 - nn.Module's hook for .to()/.cuda()/.half()
        self.drop_derived()  # moved or cast weights are new tensors: free what was built from the old ones
        return super()._apply(fn, recurse)


class StackedLinear(Derived):
    """A bias-free projection stored as `weight` [n, out, in] (the checkpoint's fused wkv / w_in)."""

    def __init__(self, n: int, out_features: int, in_features: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n, out_features, in_features))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        n, out, inp = self.weight.shape
        w = self.derived("matrix", lambda: self.weight.view(n * out, inp), self.weight)
        return F.linear(x, w).split(out, dim=-1)


def rope_inv_freq(head_dim: int, theta: float, device: torch.device | str | None = None) -> torch.Tensor:
    """theta^(-2j/hd) for j < hd/2, fp32."""
    return theta ** (-torch.arange(0, head_dim, 2, device=device, dtype=torch.float32) / head_dim)


def rope_freqs(positions: torch.Tensor, head_dim: int, theta: float, inv_freq: torch.Tensor | None = None) -> torch.Tensor:
    """Unit rotations exp(i·pos·theta^(-2j/hd)) as complex64 [..., head_dim/2] for integer positions [...]
    (`inv_freq`: rope_inv_freq() if already computed). Under torch.compile as real (cos, sin) pairs
    [..., head_dim/2, 2], which `rotate_pairs` takes there: inductor generates no code for complex ops."""
    inv_freq = rope_inv_freq(head_dim, theta, positions.device) if inv_freq is None else inv_freq
    angles = positions.float().unsqueeze(-1) * inv_freq
    if torch.compiler.is_compiling():
        return torch.stack((angles.cos(), angles.sin()), dim=-1)
    return torch.complex(angles.cos(), angles.sin())


def rotate_pairs(x: torch.Tensor, freqs: torch.Tensor) -> torch.Tensor:
    """Rotate each (even, odd) pair x [..., hd/2, 2] (any float dtype) by rope_freqs() [..., hd/2], in fp32."""
    xf = x if x.dtype == torch.float32 else x.float()
    if torch.compiler.is_compiling():  # inductor cannot generate code for complex ops; this it fuses
        x0, x1, c, s = xf[..., 0], xf[..., 1], freqs[..., 0], freqs[..., 1]
        out = torch.stack((x0 * c - x1 * s, x0 * s + x1 * c), dim=-1)
    else:  # eager: one complex multiply is the fewest ops
        out = torch.view_as_real(torch.view_as_complex(xf) * freqs)
    return out if x.dtype == torch.float32 else out.to(x.dtype)


def apply_rope(x: torch.Tensor, freqs: torch.Tensor) -> torch.Tensor:
    """Interleaved rotary embedding: rotate each adjacent pair (2j, 2j+1) by angle j, in fp32.

    x: [..., hd] of any float dtype; freqs: complex [..., hd/2] broadcastable to x's leading dims.
    """
    return rotate_pairs(x.unflatten(-1, (-1, 2)), freqs).flatten(-2)


class Attention(Derived):
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
        if torch.compiler.is_compiling():  # dynamo cannot compare data pointers; compiled after prepare()
            return w
        if w is None or self.wq.weight.data_ptr() != w.data_ptr() or self.gater.weight.device != w.device:
            return None
        return w

    def _qk_scale(self) -> torch.Tensor:
        """[H + kv_heads, 1, 1]: |temp| for the query heads, 1 (exact) for the key heads."""
        h, nkv = self.n_heads, self.n_kv_heads
        ones = lambda: torch.ones(nkv, dtype=self.temp.dtype, device=self.temp.device)  # noqa: E731
        return self.derived("qk_scale", lambda: torch.cat((self.temp.abs().view(h), ones())).view(-1, 1, 1), self.temp)

    def forward(self, x: torch.Tensor, plan: StepPlan, kv: LayerKV | None) -> torch.Tensor:
        """x [B*T, D] -> [B*T, D]."""
        b, t, hd, h, nkv = plan.batch, plan.length, self.head_dim, self.n_heads, self.n_kv_heads
        fused = self._fused_weight()
        if fused is not None:
            qk, v, gate = F.linear(x, fused).split(((h + nkv) * hd, nkv * hd, h), dim=-1)
        else:
            k, v = self.wkv(x)
            qk, gate = torch.cat((self.wq(x), k), dim=-1), self.gater(x)
        # q and k share the weightless QK-norm, the scale (q *= |temp| before the rotation, as upstream
        # rounds it; k *= 1) and the rotation: one op each for both, all on (even, odd) pairs.
        qk = F.rms_norm(qk.view(b, t, h + nkv, hd // 2, 2), (hd // 2, 2), None, self.qk_eps)
        q, k = rotate_pairs(qk * self._qk_scale(), plan.freqs).split((h, nkv), dim=2)
        v = v.view(b, t, nkv, hd)
        if kv is None:  # full causal pass from position 0
            q, k = q.flatten(-2).transpose(1, 2), k.flatten(-2).transpose(1, 2)
            out = F.scaled_dot_product_attention(q, k, v.transpose(1, 2), is_causal=True, enable_gqa=True).transpose(1, 2)
        else:
            out = self._cached(q, k, v, kv, plan)
        out = out * torch.sigmoid(gate.view(*out.shape[:-1], 1))  # per-head gate, in out's own head layout
        return self.wo(out.reshape(b * t, h * hd))

    def _cached(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, kv: LayerKV, plan: StepPlan) -> torch.Tensor:
        """Write this step's k/v [B, T, kv_heads, ...] into the cache and attend: [B, T, H, hd] or,
        for one new token, [B, kv_heads, g, hd] (the same memory)."""
        b, t, h = q.shape[:3]
        hd, nkv, g = self.head_dim, self.n_kv_heads, h // self.n_kv_heads
        torch.ops.aten.index_put_(kv.k_slots, [plan.rows, None, plan.cols], k)  # cache[b, :, slot] = k[b, t]
        torch.ops.aten.index_put_(kv.v_slots, [plan.rows, None, plan.cols], v)
        if t == 1:  # decode: [B, 1, H, hd] already is [B, nkv, g, hd] in memory; the mask broadcasts
            return F.scaled_dot_product_attention(q.view(b, nkv, g, hd), kv.keys, kv.values, attn_mask=plan.mask)
        # Fold the g query heads sharing a KV head into the query axis: [B, nkv, g*T, hd].
        kv_len = plan.mask.shape[-1]
        qf = q.reshape(b, t, nkv, g, hd).permute(0, 2, 3, 1, 4).reshape(b, nkv, g * t, hd)
        m = plan.mask.unsqueeze(2).expand(b, 1, g, t, kv_len).reshape(b, 1, g * t, kv_len)
        out = F.scaled_dot_product_attention(qf, kv.keys, kv.values, attn_mask=m)
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
