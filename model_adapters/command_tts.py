"""Shared plumbing for adapters that drive a command-line synthesizer (espeak-ng, flite)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from model_adapters.base import AdapterError


def subprocess_capacity() -> dict[str, int]:
    """Batch size and concurrency for one-process-per-request synthesizers: every core busy, and
    batches (the unit a killed run can lose) a few requests deep per core."""
    cores = max(1, os.cpu_count() or 1)
    return {"max_batch": 4 * cores, "max_concurrency": cores}


def require_binary(binary: str, apt_package: str) -> str:
    path = shutil.which(binary)
    if path is None:
        raise AdapterError(f"{binary} not found on PATH: install it with `sudo apt-get install {apt_package}`")
    return path


def binary_version(argv: list[str]) -> str:
    out = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    return (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr) else "unknown"


def synthesize_to_wav(argv_for: callable[[Path, Path], list[str]], text: str, timeout: float = 120) -> tuple[np.ndarray, int]:
    """Write `text` to a file, run the command built by `argv_for(text_file, wav_file)`, read the wav.

    Text goes through a file, never the command line, so no quoting or injection issues arise.
    """
    from ztts_eval.audio import read_audio

    with tempfile.TemporaryDirectory(prefix="ztts-tts-") as tmp:
        text_file, wav_file = Path(tmp) / "text.txt", Path(tmp) / "out.wav"
        text_file.write_text(text, encoding="utf-8")
        proc = subprocess.run(argv_for(text_file, wav_file), capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError(f"exit code {proc.returncode}: {proc.stderr.strip()[:300]}")
        if not wav_file.is_file() or wav_file.stat().st_size == 0:
            raise RuntimeError("synthesizer wrote no audio")
        audio = read_audio(wav_file)
        return audio.samples.copy(), audio.sample_rate
