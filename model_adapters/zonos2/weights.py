"""Find, load and check the ZONOS2 checkpoint (`params.json` + `model.pth`, docs/zonos2.md §1).

The release is a torch pickle, not safetensors, so it is loaded with `weights_only=True` (no code
execution) and `mmap=True` (15 GB never copied into RAM up front). A wrong or partial checkpoint
must fail with one message naming every bad key, not with a torch traceback deep in
`load_state_dict`, so shapes are checked against the config before anything is assigned.
"""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from pathlib import Path

import torch

from model_adapters.zonos2.config import Zonos2Config
from ztts_eval.hub import WeightsMissingError, resolve_hf_model

HUB_ID = "Zyphra/ZONOS2"
PARAMS_FILE = "params.json"
WEIGHTS_FILE = "model.pth"
_PARAM_HINT = f"pass a local directory holding {PARAMS_FILE} and {WEIGHTS_FILE}"
# Training-only tensors the official loader drops (weight.py:L69-94).
_DROPPED_SUFFIXES = ("router.ent_denom", "normalized_entropy")


class CheckpointMismatchError(ValueError):
    """The state dict does not match the config: lists every missing, unexpected or mis-shaped key."""


def locate_weights(model: str | Path = HUB_ID, revision: str | None = None) -> tuple[Path, str | None]:
    """Return (directory with params.json + model.pth, hub commit or None for a plain directory)."""
    directory, commit = resolve_hf_model(str(model), revision, what="ZONOS2 weights", param_hint=_PARAM_HINT)
    missing = [name for name in (PARAMS_FILE, WEIGHTS_FILE) if not (directory / name).is_file()]
    if missing:
        raise WeightsMissingError(f"ZONOS2 weights: {directory} has no {' or '.join(missing)} ({_PARAM_HINT})")
    return directory, commit


def load_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """Load `model.pth` safely (weights_only, mmap) and unwrap {"model": ...} / {"state_dict": ...}."""
    path = Path(path)
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except RuntimeError as exc:
        if "mmap" not in str(exc):  # legacy (non-zip) files cannot be mmapped; anything else is fatal
            raise CheckpointMismatchError(f"ZONOS2 weights: cannot load {path}: {exc}") from None
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise CheckpointMismatchError(
            f"ZONOS2 weights: {path} is not a plain tensor checkpoint (weights_only load refused it: {str(exc).splitlines()[0]})"
        ) from None
    for _ in range(3):  # nested wrappers: {"model": {...}} or {"state_dict": {...}}
        if isinstance(obj, Mapping) and len(obj) and not any(isinstance(v, torch.Tensor) for v in obj.values()):
            inner = obj.get("model", obj.get("state_dict"))
            if isinstance(inner, Mapping):
                obj = inner
                continue
        break
    if not isinstance(obj, Mapping) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise CheckpointMismatchError(f"ZONOS2 weights: {path} does not hold a state dict of tensors")
    return normalize_keys(dict(obj))


def normalize_keys(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Undo the harmless training-time variations the official loader also handles."""
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        if key.endswith(_DROPPED_SUFFIXES):
            continue
        if key.startswith("module."):
            key = key[len("module.") :]
        if ".parametrizations." in key and key.endswith(".original"):
            head, _, rest = key.partition(".parametrizations.")
            key = f"{head}.{rest[: -len('.original')]}"
        out[key] = value
    return out


def expected_shapes(cfg: Zonos2Config) -> dict[str, tuple[int, ...]]:
    """Every checkpoint key (docs/zonos2.md §1) with its shape for `cfg` (the exact set zonos2.cpp consumes)."""
    d, hd, inter = cfg.dim, cfg.head_dim, cfg.intermediate_size
    r, e = cfg.moe_router_dim, cfg.moe_n_experts
    shapes: dict[str, tuple[int, ...]] = {}
    for c in range(cfg.n_codebooks):
        shapes[f"multi_embedder.embedders.{c}.weight"] = (cfg.audio_table_size, d)
    shapes[f"multi_embedder.embedders.{cfg.n_codebooks}.weight"] = (cfg.text_table_size, d)
    if cfg.speaker_enabled:
        shapes["speaker_lda_projection.weight"] = (cfg.speaker_lda_dim, cfg.speaker_embedding_dim)
        shapes["speaker_lda_projection.bias"] = (cfg.speaker_lda_dim,)
        shapes["speaker_projection.weight"] = (d, cfg.speaker_lda_dim)
        shapes["speaker_projection.bias"] = (d,)
    shapes["out_norm.weight"] = (d,)
    shapes["multi_output.weight"] = (cfg.n_codebooks * cfg.audio_table_size, d)
    for i in range(cfg.n_layers):
        p = f"layers.{i}."
        shapes[p + "attention_norm.weight"] = (d,)
        shapes[p + "ffn_norm.weight"] = (d,)
        shapes[p + "attention.wq.weight"] = (cfg.n_heads * hd, d)
        shapes[p + "attention.wkv.weight"] = (2, cfg.n_kv_heads * hd, d)
        shapes[p + "attention.wo.weight"] = (d, cfg.n_heads * hd)
        shapes[p + "attention.gater.weight"] = (cfg.n_heads, d)
        shapes[p + "attention.temp"] = (1, cfg.n_heads, 1)
        if not cfg.is_moe(i):
            shapes[p + "feed_forward.w_in.weight"] = (2, inter, d)
            shapes[p + "feed_forward.w_out.weight"] = (d, inter)
            continue
        shapes[p + "feed_forward.experts.w13"] = (e, 2 * inter, d)
        shapes[p + "feed_forward.experts.w2"] = (e, d, inter)
        q = p + "feed_forward.router."
        shapes[q + "down_proj.weight"] = (r, d)
        shapes[q + "down_proj.bias"] = (r,)
        shapes[q + "router_mlp.0.weight"] = (r, r)
        shapes[q + "router_mlp.0.bias"] = (r,)
        shapes[q + "router_mlp.2.weight"] = (r, r)
        shapes[q + "router_mlp.2.bias"] = (r,)
        shapes[q + "router_mlp.4.weight"] = (e, r)
        shapes[q + "rmsnorm_eda.weight"] = (r,)
        shapes[q + "balancing_biases"] = (e,)
        if i in cfg.eda_layers:
            shapes[q + "router_states_scale"] = (r,)
    return shapes


def check_state_dict(state: Mapping[str, torch.Tensor], cfg: Zonos2Config) -> None:
    """Raise CheckpointMismatchError naming every missing key, unexpected key and shape mismatch."""
    want = expected_shapes(cfg)
    missing = sorted(k for k in want if k not in state)
    unexpected = sorted(k for k in state if k not in want)
    wrong = sorted(
        f"{k}: checkpoint {tuple(state[k].shape)} != expected {want[k]}"
        for k in want
        if k in state and tuple(state[k].shape) != want[k]
    )
    bad_dtype = sorted(f"{k}: {state[k].dtype}" for k in want if k in state and not state[k].is_floating_point())
    if not (missing or unexpected or wrong or bad_dtype):
        return
    parts = [f"ZONOS2 checkpoint does not match its params.json ({cfg.n_layers} layers, dim {cfg.dim}):"]
    for label, items in (
        ("missing", missing),
        ("unexpected", unexpected),
        ("shape mismatch", wrong),
        ("not floating point", bad_dtype),
    ):
        if items:
            parts.append(f"{len(items)} {label}: " + "; ".join(items))
    raise CheckpointMismatchError(" ".join(parts))


def cast_state_dict(
    state: Mapping[str, torch.Tensor], dtype: torch.dtype, device: str | torch.device = "cpu"
) -> dict[str, torch.Tensor]:
    """Cast every tensor to the run dtype (routers and biases too, as the official engine does)."""
    return {k: v.to(device=device, dtype=dtype) for k, v in state.items()}


def load_checked(
    directory: str | Path, cfg: Zonos2Config, dtype: torch.dtype = torch.bfloat16, device: str | torch.device = "cpu"
) -> dict[str, torch.Tensor]:
    """Load `directory/model.pth`, check it against `cfg`, and cast it for the model."""
    state = load_state_dict(Path(directory) / WEIGHTS_FILE)
    check_state_dict(state, cfg)
    return cast_state_dict(state, dtype, device)
