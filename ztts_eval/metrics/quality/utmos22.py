"""UTMOS22-strong (SpeechMOS' port of the VoiceMOS-2022 winner): the quality fallback used when no
MSR-UTMOS checkpoint is configured. Its column is `utmos22` and is never labelled MSR-UTMOS
(docs/decisions.md §6), nor shown beside the report's published UTMOS numbers.

Code: tarepan/SpeechMOS pinned at v1.2.0; weights `utmos22_strong_step7459_v1.pt` (its v1.0.0
release). Input: mono 16 kHz via soxr (the model would otherwise resample with torchaudio); one clip
per forward pass, because the model takes no padding mask and zero padding shifts the score.
Output is the model's own MOS (2·mean frame score + 3); it can leave [1, 5] and is not clipped.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ztts_eval.audio import load_audio
from ztts_eval.metrics.base import OK, Column, MetricInfo, ScoreInput
from ztts_eval.metrics.common.hub_model import HubModelMetric
from ztts_eval.metrics.common.torch_hub import HubRepo

SAMPLE_RATE = 16000
REPO = HubRepo("tarepan/SpeechMOS", "v1.2.0")
WEIGHTS_URL = "https://github.com/tarepan/SpeechMOS/releases/download/v1.0.0/utmos22_strong_step7459_v1.pt"


class Utmos22(HubModelMetric):
    info = MetricInfo(
        name="utmos22",
        version="1",
        kind="sample",
        columns=(Column("utmos22", higher_is_better=True, unit="MOS"),),
        inputs=("audio",),
        scorer="UTMOS22-strong (SpeechMOS v1.2.0)",
        extra="quality",
        family="ztts1",
        device="cuda-optional",
        sample_rate=SAMPLE_RATE,
        description="UTMOS22-strong MOS prediction; the fallback when no MSR-UTMOS checkpoint is configured.",
    )
    repo, what, module_attr = REPO, "UTMOS22-strong", ("speechmos.utmos22.strong.model", "UTMOS22Strong")

    def __init__(
        self, hub_dir: str | None = None, weights: str | None = None, trust_repo: Any = False, device: str = "auto"
    ) -> None:
        super().__init__(hub_dir, weights, trust_repo, device=device)

    def weights_url(self) -> str:
        return WEIGHTS_URL

    def build(self, model_cls: type, checkpoint: Any):
        model = model_cls()
        model.load_state_dict(checkpoint, strict=True)
        return model

    def score_batch(self, inputs: list[ScoreInput]) -> list[dict[str, Any]]:
        import torch

        rows = []
        for inp in inputs:
            x = np.array(load_audio(inp.audio_path, SAMPLE_RATE).samples, dtype=np.float32)
            with torch.no_grad():
                mos = float(self._model(torch.from_numpy(x)[None].to(self.device()), SAMPLE_RATE)[0])
            rows.append({"status": OK, "utmos22": mos, "input_sr": SAMPLE_RATE})
        return rows
