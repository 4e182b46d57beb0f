"""ZONOS2 mixture-of-experts FFN: the EDA router and the "sonic"-layout experts (docs/zonos2.md §2).

Routing: r = down_proj(x) (+ prev_r * router_states_scale on MoE layers after the first),
logits = MLP(rmsnorm_eda(r)), p = softmax in fp32, experts = top-k of p + balancing_biases,
weights = p at those experts, not renormalized. Experts: `w13` [E, 2I, D] with GATE rows at even
indices and UP rows at odd ones (the opposite of the dense `w_in`), `w2` [E, D, I].

Why several expert paths: the per-expert loop (`nonzero` per expert) is the readable reference
but syncs with the host and cannot be captured in a CUDA graph. The others are sync-free:
`grouped` sorts the token*k rows by expert and runs two grouped GEMMs (`torch._grouped_mm`), so
each chosen expert's weights are read once, unchosen ones not at all, and nothing is copied: the
default on accelerators wherever the grouped GEMM runs (CUDA bf16 from sm90) and under compile.
`gather` copies the chosen experts' weights ([N*k, 2I, D]) and batch-multiplies: three passes over
each chosen expert's bytes, kept only as the small-batch fallback where grouped GEMM is missing.
`dense` runs every expert on every token: the large-batch fallback there.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from model_adapters.zonos2.layers import Derived, RMSNorm

MoEMode = Literal["fast", "loop", "gather", "grouped", "dense"]
MOE_MODES: tuple[str, ...] = ("fast", "loop", "gather", "grouped", "dense")
GATHER_MAX_ROWS = 8  # without grouped GEMM: token*top-k rows up to which copying chosen experts beats reading all
_SUPPORT: dict[tuple, bool] = {}


def grouped_mm_supported(device: torch.device, dtype: torch.dtype, dims: tuple[int, ...] = ()) -> bool:
    """torch._grouped_mm runs on CPU (any float dtype; only bf16 under torch.compile, whose shape
    rule insists on it) and on CUDA for bf16 from sm90 on; operand rows (widths `dims`) must be
    16-byte aligned. Cached per (device, dtype, dims): it is asked once per MoE layer per step."""
    if device.type == "cpu" and dtype != torch.bfloat16 and torch.compiler.is_compiling():
        return False
    key = (device.type, device.index, dtype, dims)
    if key not in _SUPPORT:
        ok = hasattr(torch, "_grouped_mm") and not any(d * dtype.itemsize % 16 for d in dims)
        if device.type == "cuda":
            ok = ok and dtype == torch.bfloat16 and torch.cuda.get_device_capability(device) >= (9, 0)
        _SUPPORT[key] = ok and device.type in ("cpu", "cuda")
    return _SUPPORT[key]


class Router(Derived):
    def __init__(self, dim: int, router_dim: int, n_experts: int, top_k: int, eps: float, eda: bool) -> None:
        super().__init__()
        self.top_k = top_k
        self.down_proj = nn.Linear(dim, router_dim, bias=True)
        self.rmsnorm_eda = RMSNorm(router_dim, eps)
        self.router_mlp = nn.Sequential(
            nn.Linear(router_dim, router_dim, bias=True),
            nn.GELU(),
            nn.Linear(router_dim, router_dim, bias=True),
            nn.GELU(),
            nn.Linear(router_dim, n_experts, bias=False),
        )
        self.register_buffer("balancing_biases", torch.zeros(n_experts))
        self.router_states_scale = nn.Parameter(torch.ones(router_dim)) if eda else None

    def forward(self, x: torch.Tensor, prev_r: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """x [N, D] -> (expert ids [N, k], fp32 weights [N, k], pre-norm router state r [N, R])."""
        r = self.down_proj(x)
        if self.router_states_scale is not None and prev_r is not None:
            r = r + prev_r * self.router_states_scale  # two roundings in bf16, as upstream
        logits = self.router_mlp(self.rmsnorm_eda(r))
        probs = torch.softmax(logits, dim=-1, dtype=torch.float32)
        biases = self.balancing_biases
        if biases.dtype != torch.float32:  # exact: every bf16 value is an fp32 value
            biases = self.derived("biases_fp32", biases.float, biases)
        idx = torch.topk(probs + biases, self.top_k, dim=-1).indices
        return idx, probs.gather(-1, idx), r


class Experts(Derived):
    def __init__(self, n_experts: int, dim: int, inter: int) -> None:
        super().__init__()
        self.w13 = nn.Parameter(torch.empty(n_experts, 2 * inter, dim))
        self.w2 = nn.Parameter(torch.empty(n_experts, dim, inter))

    def forward(
        self, x: torch.Tensor, idx: torch.Tensor, weights: torch.Tensor, mode: MoEMode = "fast", into: torch.Tensor | None = None
    ) -> torch.Tensor:
        """x [N, D], idx/weights [N, k] -> sum_k weights * expert_idx(x), [N, D] in x's dtype.

        `into` ([N, D], owned by the caller, e.g. the residual stream) gets the result added in place
        where that saves ops (grouped path), else `into + result` is returned.
        """
        if mode == "fast":
            mode = self.fast_mode(x, idx.numel())
        if mode == "grouped":
            return self._grouped(x, idx, weights, into)
        out = {"loop": self._loop, "gather": self._gather, "dense": self._dense}[mode](x, idx, weights)
        out = out if out.dtype == x.dtype else out.to(x.dtype)
        return out if into is None else into + out

    def fast_mode(self, x: torch.Tensor, rows: int) -> str:
        """The default path, chosen from benchmarks/zonos2_throughput.py at batch 1, 8 and 64 (README).

        On the CPU (eager) the per-expert loop: its host syncs cost nothing there, it reads each
        chosen expert once, and it measured fastest or within 3 % of it at every batch size (the
        CPU grouped GEMM loops over all experts, empty ones included). On an accelerator, and
        under torch.compile, the grouped GEMM wherever it runs: sync-free, capturable, each chosen
        expert read once, none copied. Without it, copying the few chosen experts (gather) beats
        reading all of them (dense) up to GATHER_MAX_ROWS token*k rows."""
        if x.device.type == "cpu" and not torch.compiler.is_compiling():
            return "loop"
        _, i2, d = self.w13.shape
        if grouped_mm_supported(x.device, x.dtype, (d, i2 // 2)):
            return "grouped"
        return "gather" if rows <= GATHER_MAX_ROWS else "dense"

    @staticmethod
    def _act(h: torch.Tensor) -> torch.Tensor:
        return F.silu(h[..., 0::2]) * h[..., 1::2]  # even rows gate, odd rows up

    def _loop(self, x: torch.Tensor, idx: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        out = torch.zeros(x.shape[0], x.shape[1], device=x.device, dtype=torch.float32)
        for e in range(self.w13.shape[0]):
            tok, slot = (idx == e).nonzero(as_tuple=True)
            if tok.numel() == 0:
                continue
            w13 = self.w13[e]
            gate, up = x[tok] @ w13[0::2].T, x[tok] @ w13[1::2].T
            y = (F.silu(gate) * up) @ self.w2[e].T
            out.index_add_(0, tok, y.float() * weights[tok, slot, None])
        return out

    def _gather(self, x: torch.Tensor, idx: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        n, k = idx.shape
        flat = idx.reshape(-1)
        xs = x.repeat_interleave(k, dim=0).unsqueeze(-1)  # [N*k, D, 1]
        h = torch.bmm(self.w13[flat], xs).squeeze(-1)  # [N*k, 2I]
        y = torch.bmm(self.w2[flat], self._act(h).unsqueeze(-1)).squeeze(-1)  # [N*k, D]
        return (y.float().view(n, k, -1) * weights.unsqueeze(-1)).sum(1)

    def _grouped(self, x: torch.Tensor, idx: torch.Tensor, weights: torch.Tensor, into: torch.Tensor | None) -> torch.Tensor:
        n, k = idx.shape
        w13t = self.derived("w13t", lambda: self.w13.transpose(-2, -1), self.w13)  # [E, D, 2I]
        w2t = self.derived("w2t", lambda: self.w2.transpose(-2, -1), self.w2)  # [E, I, D]
        ids = self.derived("ids", lambda: torch.arange(self.w13.shape[0], device=x.device), self.w13)
        if n * k == 1:  # one row (batch-1 top-1 decode) is grouped as it stands: nothing to sort or gather
            tok = None
            offs = torch.searchsorted(idx.view(-1), ids, right=True, out_int32=True)
        else:
            experts, order = torch.sort(idx.view(-1), stable=True)  # rows grouped by expert
            offs = torch.searchsorted(experts, ids, right=True, out_int32=True)
            tok = order // k if k > 1 else order
            x, weights = x[tok], weights.view(-1, 1)[order]
        h = torch._grouped_mm(x, w13t, offs=offs)  # [N*k, 2I]
        y = torch._grouped_mm(self._act(h), w2t, offs=offs)  # [N*k, D]
        y = y * weights  # weights are fp32, so the product is taken and kept in fp32
        if into is not None and (k == 1 or into.dtype == torch.float32):  # one rounding per row, as a separate add
            y = y if into.dtype == torch.float32 else y.to(into.dtype)
            return into.add_(y) if tok is None else into.index_add_(0, tok, y)
        out = y if tok is None else torch.zeros(n, y.shape[1], device=y.device, dtype=torch.float32).index_add_(0, tok, y)
        out = out if out.dtype == x.dtype else out.to(x.dtype)
        return out if into is None else into + out

    def _dense(self, x: torch.Tensor, idx: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        combine = torch.zeros(x.shape[0], self.w13.shape[0], device=x.device, dtype=torch.float32)
        combine.scatter_add_(1, idx, weights)
        h = torch.einsum("nd,efd->nef", x, self.w13)
        y = torch.einsum("nei,edi->ned", self._act(h), self.w2)
        return torch.einsum("ned,ne->nd", y.float(), combine)


class MoEFFN(nn.Module):
    def __init__(self, dim: int, inter: int, router_dim: int, n_experts: int, top_k: int, eps: float, eda: bool) -> None:
        super().__init__()
        self.router = Router(dim, router_dim, n_experts, top_k, eps, eda)
        self.experts = Experts(n_experts, dim, inter)

    def forward(
        self, x: torch.Tensor, prev_r: torch.Tensor | None, mode: MoEMode = "fast", residual: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """x [B, T, D] or [B*T, D] -> (output shaped like x, router state r [B*T, R] for the next MoE layer).

        With `residual` (a fresh tensor shaped like x that the caller owns) the output is residual + MoE(x),
        accumulated into it in place where the path allows.
        """
        flat = _rows(x)
        idx, weights, r = self.router(flat, prev_r)
        out = self.experts(flat, idx, weights, mode, None if residual is None else _rows(residual))
        return (out if out.dim() == x.dim() else out.view_as(x)), r


def _rows(x: torch.Tensor) -> torch.Tensor:
    """x [..., D] as [N, D] rows; the model's residual stream already is (no op then)."""
    return x if x.dim() == 2 else x.view(-1, x.shape[-1])
