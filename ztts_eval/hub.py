"""Find model weights without surprises: a local directory, or a pinned hub id in the local cache.

Hubs are often unreachable (CI, air-gapped GPU boxes), and transformers' default is to retry the
network for over a minute before failing. We resolve the location first, honour HF_HUB_OFFLINE,
and fail with one line that names the model and how to provide it.
"""

from __future__ import annotations

import os
from pathlib import Path

from ztts_eval.hashing import sha256_json


class WeightsMissingError(RuntimeError):
    pass


def hf_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def resolve_hf_model(model: str, revision: str | None, *, what: str, param_hint: str) -> tuple[Path, str | None]:
    """Return (local directory, resolved commit or None for a plain directory).

    `model` is a local directory or a hub id. A hub id is looked up in the local cache first; it
    is downloaded only when HF_HUB_OFFLINE is not set, and any failure becomes one line.
    """
    path = Path(model).expanduser()
    if path.is_dir():
        return path.resolve(), None
    if path.is_absolute() or model.startswith((".", "~")):
        raise WeightsMissingError(f"{what}: directory {model} does not exist ({param_hint})")
    from ztts_eval.setup.models_dir import ModelsDirError, find_hf

    try:  # the offline models folder (ZTTS_EVAL_MODELS) comes before any cache or network
        found = find_hf(model, revision)
    except ModelsDirError as exc:
        raise WeightsMissingError(f"{what}: {exc}") from None
    if found is not None:
        return found
    try:
        from huggingface_hub import snapshot_download
    except ImportError:
        raise WeightsMissingError(f"{what}: huggingface_hub is not installed; install the metric's extra") from None
    try:
        local = snapshot_download(model, revision=revision, local_files_only=True)
    except Exception:
        local = None
    if local is None and not hf_offline():
        try:
            local = snapshot_download(model, revision=revision)
        except Exception as exc:
            raise WeightsMissingError(
                f"{what}: {model}@{revision or 'main'} not in the local Hugging Face cache and the download failed "
                f"({type(exc).__name__}); run `huggingface-cli download {model}` where the hub is reachable, "
                f"or {param_hint}"
            ) from None
    if local is None:
        raise WeightsMissingError(
            f"{what}: {model}@{revision or 'main'} is not in the local Hugging Face cache and HF_HUB_OFFLINE is set; "
            f"run `huggingface-cli download {model}` where the hub is reachable, or {param_hint}"
        )
    local_path = Path(local)
    return local_path, local_path.name  # cache snapshots are named by commit hash


def weights_fingerprint(directory: Path) -> str:
    """Identify a checkpoint by content, cheaply: config files' bytes plus weight-file names and sizes,
    and each safetensors header (which lists every tensor's name, dtype, shape and offsets)."""
    parts = []
    for f in sorted(directory.iterdir()):
        if f.suffix in (".json", ".jinja", ".txt", ".model") and f.is_file():
            parts.append((f.name, f.read_bytes().decode("utf-8", "replace")))
        elif f.suffix in (".safetensors", ".bin", ".pt", ".pth", ".ckpt") and f.is_file():
            header = ""
            if f.suffix == ".safetensors":
                with open(f, "rb") as fh:
                    n = int.from_bytes(fh.read(8), "little")
                    header = fh.read(min(n, 50_000_000)).decode("utf-8", "replace")
            parts.append((f.name, f.stat().st_size, header))
    return sha256_json(parts)
