"""Zonos v0.1 (Zyphra) as a local adapter: transformer checkpoint by default, hybrid selectable.

There is no PyPI distribution: `ztts-eval env create zonos-v0.1 --source /path/to/Zonos-clone`
builds its environment (it also needs espeak-ng; the hybrid needs mamba-ssm and a recent GPU).
Cloning from the prompt audio (no transcript needed).
"""

from __future__ import annotations

from typing import Any

from model_adapters.base import Capabilities
from model_adapters.workers.adapter import WorkerAdapter
from model_adapters.workers.zonos_v01_worker import ESPEAK


class ZonosV01Adapter(WorkerAdapter):
    name = "zonos-v0.1"
    version = "1"
    env_name = "zonos-v0.1"
    worker_module = "model_adapters.workers.zonos_v01_worker"

    def __init__(
        self,
        model: str = "Zyphra/Zonos-v0.1-transformer",
        device: str | None = None,
        cfg_scale: float = 2.0,
        min_p: float = 0.1,
        max_new_tokens: int | None = None,
        **params: Any,
    ) -> None:
        super().__init__(model=model, device=device, cfg_scale=cfg_scale, min_p=min_p, max_new_tokens=max_new_tokens, **params)

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(zero_shot_cloning=True, languages=frozenset(ESPEAK), deterministic=True, max_batch=4)
