"""What a result needs to be reproduced: code revision, package versions, platform."""

from __future__ import annotations

import platform
import subprocess
import sys
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

TRACKED_PACKAGES = (
    "ztts-eval",
    "numpy",
    "soundfile",
    "soxr",
    "whisper-normalizer",
    "torch",
    "transformers",
    "librosa",
    "pocketsphinx",
    "resemblyzer",
    "speechmos",
    "onnxruntime",
    "pyworld",
    "qwen-asr",
    "datasets",
)


def package_versions() -> dict[str, str | None]:
    """Installed versions, read from metadata (never by importing: torch stays unloaded)."""
    out: dict[str, str | None] = {}
    for name in TRACKED_PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def git_revision(repo: Path) -> dict[str, str | bool | None]:
    def git(*args: str) -> str | None:
        try:
            proc = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return proc.stdout.strip() if proc.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(status) if status is not None else None}


def numeric_threads() -> dict[str, int | str | None]:
    """Thread counts of the numeric libraries: a reduction split over another number of threads
    differs in the last digits (resemblyzer on the demo moves at the 7th with 1 vs 2 torch threads).
    torch is asked only when something already imported it: recording never imports it."""
    import os

    out: dict[str, int | str | None] = {
        k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
    }
    torch = sys.modules.get("torch")
    out["torch"] = torch.get_num_threads() if torch is not None else None
    out["cpus"] = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return out


def environment(repo: Path) -> dict:
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "packages": package_versions(),
        "threads": numeric_threads(),
        "git": git_revision(repo),
    }


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
