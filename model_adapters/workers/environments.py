"""Isolated environments for adapters whose pins clash with the harness (docs/decisions.md §11).

`ztts-eval env create qwen3-tts` makes a virtualenv with exactly that stack (qwen-tts pins
transformers==4.57.3; Qwen3-ASR needs 4.57.6), records `pip freeze` beside it, and the adapter runs
its worker with that interpreter. Environments live under $ZTTS_EVAL_ENVS (default
~/.cache/ztts-eval/envs). torch is pinned to 2.13.0 so the CPU wheel here, or the CUDA build a GPU
box provides, is used rather than whatever is newest.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ENVS: dict[str, dict] = {
    "qwen3-tts": {
        "packages": ["torch==2.13.0", "qwen-tts==0.1.1", "transformers==4.57.3", "accelerate==1.12.0", "soundfile", "numpy"],
        "doc": "Qwen3-TTS (official qwen-tts package)",
    },
    "paraformer-zh": {  # FunASR needs torchaudio, whose newest wheel pairs with torch 2.11
        "packages": ["torch==2.11.0", "torchaudio==2.11.0", "funasr==1.4.16", "soundfile", "numpy"],
        "doc": "Paraformer-zh judge of the seedtts profile (FunASR AutoModel)",
    },
    "zonos-v0.1": {
        "packages": ["torch==2.13.0", "soundfile", "numpy"],
        "needs_source": True,  # no PyPI distribution: install the user's clone of github.com/Zyphra/Zonos
        "doc": "Zonos v0.1 (pip install -e of a local clone; needs espeak-ng)",
    },
}


def envs_root() -> Path:
    return Path(os.environ.get("ZTTS_EVAL_ENVS", Path.home() / ".cache" / "ztts-eval" / "envs")).expanduser()


def env_python(name: str) -> Path:
    return envs_root() / name / "bin" / "python"


def freeze(name: str) -> list[str]:
    path = envs_root() / name / "freeze.txt"
    return path.read_text().splitlines() if path.exists() else []


def create(name: str, source: str | None = None, python: str = sys.executable) -> Path:
    if name not in ENVS:
        raise ValueError(f"unknown environment {name!r}; known: {', '.join(ENVS)}")
    spec = ENVS[name]
    if spec.get("needs_source") and not source:
        raise ValueError(f"environment {name!r} installs from a local clone: pass --source /path/to/clone")
    root = envs_root() / name
    subprocess.run([python, "-m", "venv", str(root)], check=True)
    pip = [str(root / "bin" / "python"), "-m", "pip", "install", "-q"]
    subprocess.run(pip + ["-U", "pip"], check=True)
    subprocess.run(pip + spec["packages"], check=True)
    if source:
        subprocess.run(pip + ["-e", str(Path(source).expanduser().resolve())], check=True)
    frozen = subprocess.run([str(root / "bin" / "python"), "-m", "pip", "freeze"], capture_output=True, text=True, check=True)
    (root / "freeze.txt").write_text(frozen.stdout)
    return root
