"""ZONOS2 hyper-parameters, parsed from the released `params.json` (docs/zonos2.md §1).

The release ships no HF `config.json`, only `params.json` with several nulls and implicit rules
(n_heads, the FFN width, which layers are MoE, per-layer router top-k). Those rules live here,
in one place, so the model, the weight checker and the tests all derive the same structure.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

_SUPPORTED_BALANCING = ("legacy",)


@dataclass(frozen=True)
class Zonos2Config:
    model_type: str = "zonos2"
    dtype: str = "bfloat16"
    n_layers: int = 28
    dim: int = 2048
    head_dim: int = 128
    n_heads: int | None = None  # null in the release: dim // head_dim
    n_kv_heads: int = 4
    ffn_dim_multiplier: float = 1.5
    multiple_of: int = 256
    norm_eps: float = 1e-5
    rope_theta: float = 10000.0
    max_seqlen: int = 6144
    n_codebooks: int = 9
    codebook_size: int = 1024
    eoa_id: int = 1024
    audio_pad_id: int = 1025
    text_vocab: int = 519
    loss_softcap: float = 15.0
    speaker_enabled: bool = True
    speaker_embedding_dim: int = 2048
    speaker_lda_dim: int = 1024
    speaker_background_token_enabled: bool = True
    accurate_mode_token_enabled: bool = True
    speaking_rate_num_buckets: int = 8
    speaking_rate_buckets: tuple[str, ...] = ()
    quality_num_buckets: int = 60
    quality_features: tuple[str, ...] = ()
    quality_buckets: dict[str, tuple[str, ...]] = field(default_factory=dict)
    quality_dropout: dict[str, float] = field(default_factory=dict)
    moe_impl: str = "sonic"
    moe_n_experts: int = 16
    moe_router_topk: int = 1
    special_topk_layers: dict[int, int] = field(default_factory=dict)
    moe_router_dim: int = 128
    moe_start_from_layer: int = 3
    moe_end_from_layer: int = 1
    moe_balancing_strategy: str = "legacy"  # absent from the release, so the official default
    qk_norm_eps: float = 1e-6  # fixed in the official code, not in params.json
    extra: dict[str, Any] = field(default_factory=dict)  # unknown keys, kept for the record

    def __post_init__(self) -> None:
        if self.n_heads is None:
            if self.dim % self.head_dim:
                raise ValueError(f"ZONOS2 config: dim {self.dim} is not a multiple of head_dim {self.head_dim}")
            object.__setattr__(self, "n_heads", self.dim // self.head_dim)
        if self.n_heads % self.n_kv_heads:
            raise ValueError(f"ZONOS2 config: n_heads {self.n_heads} is not a multiple of n_kv_heads {self.n_kv_heads}")
        if self.moe_balancing_strategy not in _SUPPORTED_BALANCING:
            raise ValueError(
                f"ZONOS2 config: moe_balancing_strategy {self.moe_balancing_strategy!r} is not "
                f"supported (only {_SUPPORTED_BALANCING})"
            )
        if self.ffn_dim_multiplier is None:
            raise ValueError("ZONOS2 config: ffn_dim_multiplier is null; the FFN width cannot be derived")
        topk = {int(k): int(v) for k, v in self.special_topk_layers.items()}
        object.__setattr__(self, "special_topk_layers", topk)
        for layer, k in topk.items():
            if not self.is_moe(layer) or not 1 <= k <= self.moe_n_experts:
                raise ValueError(f"ZONOS2 config: special_topk_layers[{layer}] = {k} is not a valid MoE layer/top-k")

    # ---- derived structure -------------------------------------------------------------------
    @property
    def intermediate_size(self) -> int:
        return self.multiple_of * math.ceil(int(self.ffn_dim_multiplier * self.dim) / self.multiple_of)

    @property
    def n_kv_groups(self) -> int:
        return self.n_heads // self.n_kv_heads

    @property
    def text_table_size(self) -> int:
        return self.text_vocab + 1

    @property
    def audio_table_size(self) -> int:
        return self.codebook_size + 2

    @property
    def n_columns(self) -> int:
        return self.n_codebooks + 1

    def is_moe(self, layer: int) -> bool:
        return layer >= self.moe_start_from_layer and self.n_layers - layer > self.moe_end_from_layer

    @property
    def moe_layers(self) -> tuple[int, ...]:
        return tuple(i for i in range(self.n_layers) if self.is_moe(i))

    @property
    def dense_layers(self) -> tuple[int, ...]:
        return tuple(i for i in range(self.n_layers) if not self.is_moe(i))

    @property
    def eda_layers(self) -> tuple[int, ...]:
        """MoE layers that add the previous MoE layer's router state (all but the first)."""
        return self.moe_layers[1:]

    def router_topk(self, layer: int) -> int:
        return self.special_topk_layers.get(layer, self.moe_router_topk)

    @property
    def kv_bytes_per_frame(self) -> int:
        return 2 * self.n_layers * self.n_kv_heads * self.head_dim * 2  # K and V, bf16

    # ---- parsing -----------------------------------------------------------------------------
    @classmethod
    def from_params(cls, source: str | Path | Mapping[str, Any]) -> Zonos2Config:
        """Parse a `params.json` file, a directory holding one, or an already-loaded dict."""
        if isinstance(source, Mapping):
            raw = dict(source)
        else:
            path = Path(source)
            if path.is_dir():
                path = path / "params.json"
            try:
                raw = json.loads(path.read_text())
            except FileNotFoundError:
                raise FileNotFoundError(f"ZONOS2 config: {path} does not exist") from None
            except json.JSONDecodeError as exc:
                raise ValueError(f"ZONOS2 config: {path} is not valid JSON ({exc})") from None
        known = {f.name for f in fields(cls)} - {"extra", "qk_norm_eps"}
        # A null means "use the default" (n_heads: derive it); only known keys become fields.
        kwargs: dict[str, Any] = {k: v for k, v in raw.items() if k in known and v is not None}
        for key in ("speaking_rate_buckets", "quality_features"):
            if key in kwargs:
                kwargs[key] = tuple(kwargs[key])
        if "quality_buckets" in kwargs:
            kwargs["quality_buckets"] = {k: tuple(v) for k, v in kwargs["quality_buckets"].items()}
        extra = {k: v for k, v in raw.items() if k not in known}
        return cls(**kwargs, extra=extra)

    def to_params(self) -> dict[str, Any]:
        """The inverse of from_params: a JSON-ready dict in the release's layout."""
        out = asdict(self)
        out.pop("qk_norm_eps")
        extra = out.pop("extra")
        out["special_topk_layers"] = {str(k): v for k, v in self.special_topk_layers.items()}
        out["speaking_rate_buckets"] = list(self.speaking_rate_buckets)
        out["quality_features"] = list(self.quality_features)
        out["quality_buckets"] = {k: list(v) for k, v in self.quality_buckets.items()}
        return {**out, **extra}

    @classmethod
    def tiny(cls, **overrides: Any) -> Zonos2Config:
        """A few-layer config with the release's structure and key names, for CPU tests.

        Layers 0, 1 and 5 are dense; 2, 3, 4 are MoE (3 and 4 thread router state); layer 4 is top-2.
        Vocabularies keep their real sizes so real prompt ids stay valid.
        """
        kwargs: dict[str, Any] = dict(
            n_layers=6,
            dim=64,
            head_dim=16,
            n_heads=None,
            n_kv_heads=2,
            multiple_of=32,
            max_seqlen=512,
            speaker_embedding_dim=32,
            speaker_lda_dim=16,
            moe_n_experts=4,
            moe_router_dim=16,
            moe_start_from_layer=2,
            moe_end_from_layer=1,
            special_topk_layers={4: 2},
        )
        return cls(**{**kwargs, **overrides})
