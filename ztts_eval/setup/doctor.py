"""`ztts-eval doctor`: check every piece a run would need and print them all in one table.

Nothing is downloaded and no model is loaded: packages are found by import spec, binaries on PATH,
hub snapshots in the models folder (ZTTS_EVAL_MODELS) or the local Hugging Face cache, torch.hub
code and release files in the models folder or torch.hub's cache. `run` uses the same checks to
report every missing piece at once before any work.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from ztts_eval.setup import models_dir as md
from ztts_eval.setup.pieces import Piece


@dataclass(frozen=True)
class Status:
    piece: Piece
    ok: bool
    where: str  # where it was found, or why it is missing


def _torch_hub_dir() -> Path:
    """torch.hub.get_dir() without importing torch: $TORCH_HOME/hub, else ~/.cache/torch/hub."""
    home = os.environ.get("TORCH_HOME") or os.path.join(os.environ.get("XDG_CACHE_HOME", "~/.cache"), "torch")
    return Path(home).expanduser() / "hub"


def _hf_cache(repo_id: str, revision: str | None) -> Path | None:
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(repo_id, revision=revision, local_files_only=True))
    except Exception:  # not cached, or huggingface_hub missing: both mean "not here"
        return None


def check(piece: Piece) -> Status:
    kind, name = piece.kind, piece.name
    if kind == "package":
        spec = importlib.util.find_spec(name)
        return Status(piece, spec is not None, "installed" if spec else "not installed")
    if kind == "binary":
        path = shutil.which(name)
        return Status(piece, path is not None, path or "not on PATH")
    if kind == "key":
        return Status(piece, bool(os.environ.get(name, "").strip()), "set" if os.environ.get(name, "").strip() else "not set")
    if kind == "env":
        from model_adapters.workers.environments import env_python

        python = env_python(name)
        return Status(piece, python.exists(), str(python) if python.exists() else f"no environment at {python.parent.parent}")
    if kind == "supplied":
        ok = bool(name) and Path(name).expanduser().exists()
        return Status(piece, ok, name if ok else (f"{name} does not exist" if name else f"{piece.ref} not set"))
    if kind == "hf":
        try:
            found = md.find_hf(name, piece.ref)
        except md.ModelsDirError as exc:
            return Status(piece, False, str(exc))
        if found:
            return Status(piece, True, f"{found[0]} (models folder, {found[1][:12]})")
        cached = _hf_cache(name, piece.ref)
        return Status(
            piece, cached is not None, f"{cached} (HF cache)" if cached else "not in the models folder nor the HF cache"
        )
    if kind == "torch_hub":
        found = md.find_torch_hub(name, piece.ref or "")
        owner, repo = name.split("/")
        cached = _torch_hub_dir() / f"{owner}_{repo}_{(piece.ref or '').replace('/', '_')}"
        path = found or (cached if (cached / "hubconf.py").is_file() else None)
        return Status(piece, path is not None, str(path) if path else "not in the models folder nor the torch.hub cache")
    if kind == "file":
        cached = _torch_hub_dir() / "checkpoints" / name.rsplit("/", 1)[-1]
        path = md.find_file(name) or (cached if cached.is_file() else None)
        return Status(piece, path is not None, str(path) if path else "not in the models folder nor the torch.hub cache")
    if kind == "archive":
        path = md.find_archive(piece.ref or "")
        return Status(piece, path is not None, str(path) if path else "not in the models folder")
    raise ValueError(f"unknown piece kind {kind!r}")


def device_line() -> str:
    """GPU or CPU, for the table's last line (information, never a failure)."""
    if importlib.util.find_spec("torch") is None:
        return f"device: torch not installed; CPU with {os.cpu_count()} cores"
    import torch

    if torch.cuda.is_available():
        names = ", ".join(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count()))
        return f"device: CUDA {torch.version.cuda}: {names}"
    return f"device: no CUDA device; CPU with {os.cpu_count()} cores (metrics run on CPU, slowly for the ztts1 stack)"


def table(statuses: list[Status]) -> str:
    rows = [("status", "kind", "piece", "needed by", "found at / fix")]
    for s in statuses:
        rows.append(
            (
                "ok" if s.ok else "MISSING",
                s.piece.kind,
                s.piece.label or s.piece.ref or "",
                s.piece.needed_by,
                s.where if s.ok else f"{s.where}; fix: {s.piece.fix}",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    return "\n".join("  ".join(r[i].ljust(widths[i]) for i in range(4)) + "  " + r[4] for r in rows)


def missing_lines(statuses: list[Status]) -> list[str]:
    """One line per missing piece, the form `run` prints before stopping."""
    return [
        f"{s.piece.needed_by}: {s.piece.kind} {s.piece.label or s.piece.ref}: {s.where}; fix: {s.piece.fix}"
        for s in statuses
        if not s.ok
    ]
