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


def environment(repo: Path) -> dict:
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "packages": package_versions(),
        "git": git_revision(repo),
    }


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
