"""The hardware a speed number was measured on: WER and speed both depend on it, so it is recorded.

The client machine is detected (CPU model and cores from /proc/cpuinfo, GPUs from `nvidia-smi`
when present, never by importing torch). Where the model runs on another machine (an API, a remote
server) only the user knows that hardware, so it is declared with `--server-hardware` and shown in
the leaderboard; undeclared, the leaderboard says so rather than guessing.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from typing import Any


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def gpus() -> list[str]:
    """`nvidia-smi` GPU names with memory (empty without an NVIDIA driver)."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return []
    try:
        out = subprocess.run(
            [exe, "--query-gpu=name,memory.total", "--format=csv,noheader"], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [line.strip() for line in out.stdout.splitlines() if line.strip()] if out.returncode == 0 else []


def hardware(server: str | None, local_model: bool) -> dict[str, Any]:
    """Client hardware, and where the model ran: the client itself for in-process adapters, else as declared."""
    client = {"cpu": cpu_model(), "cores": os.cpu_count(), "gpus": gpus(), "platform": platform.platform()}
    if server:
        where = server
    elif local_model:
        where = " + ".join(client["gpus"]) or f"{client['cpu']} ({client['cores']} cores)"
    else:
        where = "undeclared (pass --server-hardware)"
    return {"client": client, "server": server, "model_runs_on": where}
