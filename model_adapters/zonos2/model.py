"""The ZONOS2 backbone as one nn.Module whose state dict is exactly the released checkpoint (docs/zonos2.md §1, §2).

One forward serves a full causal pass (cache=None, used as the test oracle), chunked prefill
and batched single-frame decode against a static KV cache with per-sequence lengths, so the
caller (generation loop, benchmarks, CUDA-graph capture) never needs a second code path.
Logits come back soft-capped and in fp32, shaped [B, T, n_codebooks, codebook_size + 2].
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from model_adapters.zonos2.cache import KVCache, LayerKV, StepPlan
from model_adapters.zonos2.config import Zonos2Config
from model_adapters.zonos2.layers import Attention, DenseFFN, Derived, RMSNorm, rms_norm, rope_freqs, rope_inv_freq
from model_adapters.zonos2.moe import MOE_MODES, MoEFFN, MoEMode
from model_adapters.zonos2.weights import HUB_ID, load_checked, locate_weights


class MultiEmbedding(Derived):
    """One table per column (9 audio + 1 text), looked up and summed; pad rows are real rows.

    The ten lookups run as one, in the tables stacked end to end (each column's ids offset to its
    own table); the sum stays column by column, one rounding per add as upstream (a reduction
    would accumulate bf16 in fp32 and round once)."""

    def __init__(self, cfg: Zonos2Config) -> None:
        super().__init__()
        sizes = [cfg.audio_table_size] * cfg.n_codebooks + [cfg.text_table_size]
        self.embedders = nn.ModuleList(nn.Embedding(n, cfg.dim) for n in sizes)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        weights = [e.weight for e in self.embedders]
        table = self.derived("table", lambda: torch.cat(weights), *weights)
        starts = lambda: torch.tensor([0] + [len(w) for w in weights[:-1]], device=table.device).cumsum(0)  # noqa: E731
        offsets = self.derived("offsets", starts, weights[0])  # each column's first row in `table`
        first, *rest = F.embedding(tokens + offsets, table).unbind(-2)
        for row in rest:
            first = first + row
        return first


class Block(nn.Module):
    def __init__(self, cfg: Zonos2Config, layer: int) -> None:
        super().__init__()
        self.is_moe = cfg.is_moe(layer)
        self.attention_norm = RMSNorm(cfg.dim, cfg.norm_eps)
        self.attention = Attention(cfg.dim, cfg.n_heads, cfg.n_kv_heads, cfg.head_dim, cfg.qk_norm_eps)
        self.ffn_norm = RMSNorm(cfg.dim, cfg.norm_eps)
        if self.is_moe:
            self.feed_forward: nn.Module = MoEFFN(
                cfg.dim,
                cfg.intermediate_size,
                cfg.moe_router_dim,
                cfg.moe_n_experts,
                cfg.router_topk(layer),
                cfg.norm_eps,
                eda=layer in cfg.eda_layers,
            )
        else:
            self.feed_forward = DenseFFN(cfg.dim, cfg.intermediate_size)

    def forward(
        self, x: torch.Tensor, plan: StepPlan, kv: LayerKV | None, prev_r: torch.Tensor | None, moe_mode: MoEMode
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """x [B*T, D] -> (x', router state for the next MoE layer)."""
        h = x + self.attention(self.attention_norm(x), plan, kv)
        if not self.is_moe:
            return h + self.feed_forward(self.ffn_norm(h)), None  # dense layers reset router state
        return self.feed_forward(self.ffn_norm(h), prev_r, moe_mode, residual=h)


class Zonos2Model(Derived):
    def __init__(self, cfg: Zonos2Config, moe_mode: MoEMode = "fast") -> None:
        super().__init__()
        self.cfg = cfg
        self.moe_mode: MoEMode = moe_mode
        self.multi_embedder = MultiEmbedding(cfg)
        if cfg.speaker_enabled:
            self.speaker_lda_projection = nn.Linear(cfg.speaker_embedding_dim, cfg.speaker_lda_dim, bias=True)
            self.speaker_projection = nn.Linear(cfg.speaker_lda_dim, cfg.dim, bias=True)
        self.layers = nn.ModuleList(Block(cfg, i) for i in range(cfg.n_layers))
        self.out_norm = RMSNorm(cfg.dim, cfg.norm_eps)
        self.multi_output = nn.Linear(cfg.dim, cfg.n_codebooks * cfg.audio_table_size, bias=False)

    def set_moe_mode(self, mode: MoEMode) -> None:
        if mode not in MOE_MODES:
            raise ValueError(f"moe mode {mode!r} not in {MOE_MODES}")
        self.moe_mode = mode

    def prepare(self) -> Zonos2Model:
        """Inference layout (idempotent): each attention's q/k/v/gate projections as one GEMM."""
        for layer in self.layers:
            layer.attention.fuse_projections()
        return self

    def new_cache(
        self, batch: int, max_len: int, device: torch.device | str | None = None, dtype: torch.dtype | None = None
    ) -> KVCache:
        ref = self.out_norm.weight
        device, dtype = device or ref.device, dtype or ref.dtype
        shape = (batch, self.cfg.n_kv_heads, max_len, self.cfg.head_dim)
        n = self.cfg.n_layers
        return KVCache(
            k=[torch.zeros(shape, device=device, dtype=dtype) for _ in range(n)],
            v=[torch.zeros(shape, device=device, dtype=dtype) for _ in range(n)],
        )

    def embed(self, tokens: torch.Tensor, speaker: torch.Tensor | None, speaker_pos: torch.Tensor | None) -> torch.Tensor:
        x = self.multi_embedder(tokens)
        if speaker is not None:
            if not self.cfg.speaker_enabled:
                raise ValueError("this ZONOS2 config has speaker_enabled=false")
            if speaker_pos is None:
                speaker_pos = torch.zeros(tokens.shape[0], dtype=torch.long, device=tokens.device)
            proj = self.speaker_projection(self.speaker_lda_projection(speaker.to(x.dtype)))  # [B, D]
            at_slot = torch.arange(tokens.shape[1], device=tokens.device) == speaker_pos[:, None]  # [B, T]
            x = torch.where(at_slot.unsqueeze(-1), proj.unsqueeze(1), x)  # overwrite, sync-free
        elif speaker_pos is not None and bool((speaker_pos >= 0).any()):
            raise ValueError("speaker_pos was given without a speaker embedding")
        return rms_norm(x, self.cfg.norm_eps)  # emb_norm: no weight

    def _rotations(self, positions: torch.Tensor) -> torch.Tensor:
        """RoPE rotations [..., 1, hd/2] for positions [..., 1], the inverse frequencies computed once."""
        hd, theta, ref = self.cfg.head_dim, self.cfg.rope_theta, self.out_norm.weight
        inv_freq = self.derived("inv_freq", lambda: rope_inv_freq(hd, theta, ref.device), ref)
        return rope_freqs(positions, hd, theta, inv_freq)

    def _kv_len(self, cache: KVCache, seq_lens: torch.Tensor, t: int) -> int:
        if cache.kv_limit is not None:
            return min(cache.kv_limit, cache.max_len)
        capturing = seq_lens.is_cuda and torch.cuda.is_current_stream_capturing()
        if capturing or torch.compiler.is_compiling():
            return cache.max_len
        lo, hi = torch.stack([seq_lens.min(), seq_lens.max()]).tolist()  # one host sync; kv_limit avoids it
        need = int(hi) + t
        if need > cache.max_len or lo < 0:
            raise ValueError(f"ZONOS2 KV cache: {need} positions needed, the cache holds {cache.max_len}")
        return min(cache.max_len, -(-need // 64) * 64)

    def forward(
        self,
        tokens: torch.Tensor,
        cache: KVCache | None = None,
        seq_lens: torch.Tensor | None = None,
        speaker: torch.Tensor | None = None,
        speaker_pos: torch.Tensor | None = None,
        logits_at: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Logits [B, T, 9, 1026] for `tokens` [B, T, 10] written at positions seq_lens[b] + t.

        `logits_at` [B] (row indices) computes the head for one row per sequence only, [B, 1, 9, 1026]:
        prefill reads only each prompt's last row, and the head is 9·1026 wide (1.2 GB at batch 64).
        """
        b, t, cols = tokens.shape
        if cols != self.cfg.n_columns:
            raise ValueError(f"ZONOS2 tokens must have {self.cfg.n_columns} columns, got {cols}")
        x = self.embed(tokens, speaker, speaker_pos).view(b * t, -1)  # the residual stream: one row per token
        window = None
        if cache is None:
            if seq_lens is not None:
                raise ValueError("seq_lens needs a KV cache; without one the pass starts at position 0")
            plan = StepPlan(b, t, self._rotations(torch.arange(t, device=tokens.device)[:, None]))
        else:
            if seq_lens is None:
                seq_lens = torch.zeros(b, dtype=torch.long, device=tokens.device)
            window = cache.window(self._kv_len(cache, seq_lens, t), t)
            cols = seq_lens[:, None] + window.steps  # [B, T] cache slot (= position) of each new token
            mask = window.slots <= cols.view(b, 1, t, 1)
            plan = StepPlan(b, t, self._rotations(cols.unsqueeze(-1)), window.rows, cols, mask)
        prev_r: torch.Tensor | None = None
        for i, layer in enumerate(self.layers):
            x, prev_r = layer(x, plan, None if window is None else window.layers[i], prev_r, self.moe_mode)
        if logits_at is not None:
            x = x.view(b, t, -1)[torch.arange(b, device=x.device), logits_at]
            t = 1
        logits = self.multi_output(self.out_norm(x))
        logits = logits if logits.dtype == torch.float32 else logits.float()
        cap = self.cfg.loss_softcap
        return (torch.tanh(logits / cap) * cap).view(b, t, self.cfg.n_codebooks, self.cfg.audio_table_size)

    @classmethod
    def from_pretrained(
        cls,
        directory_or_hub_id: str | Path = HUB_ID,
        revision: str | None = None,
        device: torch.device | str = "cpu",
        dtype: torch.dtype = torch.bfloat16,
    ) -> Zonos2Model:
        """Build from params.json and load the checked model.pth (local dir or hub id, HF_HUB_OFFLINE aware)."""
        directory, commit = locate_weights(directory_or_hub_id, revision)
        cfg = Zonos2Config.from_params(directory / "params.json")
        state = load_checked(directory, cfg, dtype=dtype, device=device)
        with torch.device("meta"):
            model = cls(cfg)
        model.load_state_dict(state, strict=True, assign=True)
        model.weights_dir, model.weights_commit = directory, commit
        return model.eval().requires_grad_(False).prepare()


@torch.no_grad()
def init_random_weights(model: Zonos2Model, std: float = 0.02, seed: int = 0) -> Zonos2Model:
    """Fill a (possibly `to_empty`) model with random weights for tests and benchmarks.

    Matrices ~ N(0, std); norm weights, |temp| and router_states_scale = 1; balancing_biases small.
    """
    gen = torch.Generator(device="cpu").manual_seed(seed)
    for name, p in [*model.named_parameters(), *model.named_buffers()]:
        if name.endswith(("norm.weight", "rmsnorm_eda.weight", "attention.temp", "router_states_scale")):
            p.fill_(1.0)
        elif name.endswith("balancing_biases"):
            p.copy_(torch.randn(p.shape, generator=gen) * 1e-3)
        elif p.device.type == "cpu":
            p.copy_(torch.randn(p.shape, generator=gen, dtype=torch.float32) * std)
        else:  # large models on an accelerator: draw there, quickly
            p.normal_(0.0, std)
    return model
