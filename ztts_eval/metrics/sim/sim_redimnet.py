"""ZTTS1 speaker similarity: cosine of ReDimNet embeddings of the prompt and the audio, ×100.

Default variant b6 / vox2 / ft_lm (docs/decisions.md §5: trained on VoxCeleb2 only, so it has not seen the
VoxBlink2 speakers of the in-the-wild set); `sim.model_name=M sim.dataset=vb2+vox2+cnc
sim.train_type=ft_mix` selects the multilingual one. The variant is named in the column header.
Code: IDRnD/ReDimNet pinned to a commit; weights `{model}-{dataset}-{train}.pt` from its release.
ReDimNet embeddings are not L2-normalised: the cosine is computed explicitly. Each clip is embedded
alone (no padding: statistics pooling would see the pad), at 16 kHz mono (soxr).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from ztts_eval.audio import load_audio
from ztts_eval.metrics.base import Column, MetricInfo, MetricSetupError
from ztts_eval.metrics.common.hub_model import HubModelMetric
from ztts_eval.metrics.common.torch_hub import HubRepo
from ztts_eval.metrics.sim.pair_similarity import PairSimilarity

SAMPLE_RATE = 16000
REPO = HubRepo("IDRnD/ReDimNet", "c994fce84d592930697852f8aa4884ba75760b18")
WEIGHTS_URL = "https://github.com/IDRnD/ReDimNet/releases/download/latest/{name}"
MIN_SAMPLES = 400  # one analysis window; shorter clips are zero-padded to it


class ReDimNetSim(HubModelMetric, PairSimilarity):
    info = MetricInfo(
        name="sim",
        version="1",
        kind="sample",
        columns=(Column("sim", higher_is_better=True, unit="cos×100"),),
        inputs=("audio", "prompt"),
        scorer="ReDimNet b6-vox2-ft_lm",
        extra="speaker",
        family="ztts1",
        device="cuda-optional",
        sample_rate=SAMPLE_RATE,
        description="Cosine ×100 of ReDimNet embeddings of the prompt and the generated audio.",
    )
    required_modules = ("torch", "scipy")
    repo, what, module_attr = REPO, "ReDimNet", ("redimnet.model", "ReDimNetWrap")

    def __init__(
        self,
        model_name: str = "b6",
        dataset: str = "vox2",
        train_type: str = "ft_lm",
        hub_dir: str | None = None,
        weights: str | None = None,
        trust_repo: Any = False,
        device: str = "auto",
        dtype: str = "auto",
    ) -> None:
        super().__init__(
            hub_dir,
            weights,
            trust_repo,
            model_name=model_name,
            dataset=dataset,
            train_type=train_type,
            device=device,
            dtype=dtype,
        )
        self.info = dataclasses.replace(self.info, scorer=f"ReDimNet {model_name}-{dataset}-{train_type}")
        self._cache: dict[str, np.ndarray] = {}

    def weights_url(self) -> str:
        p = self.params
        return WEIGHTS_URL.format(name=f"{p['model_name']}-{p['dataset']}-{p['train_type']}.pt")

    def build(self, model_cls: type, checkpoint: Any):
        if not isinstance(checkpoint, dict) or "model_config" not in checkpoint or "state_dict" not in checkpoint:
            raise MetricSetupError("ReDimNet: the weights file lacks 'model_config'/'state_dict' (not a release file)")
        model = model_cls(**checkpoint["model_config"])
        model.load_state_dict(checkpoint["state_dict"], strict=True)
        return model

    def embed(self, path, sha: str) -> np.ndarray:
        if sha not in self._cache:
            import torch

            x = load_audio(path, SAMPLE_RATE).samples
            if x.size < MIN_SAMPLES:
                x = np.pad(x, (0, MIN_SAMPLES - x.size))
            wave = torch.from_numpy(np.array(x, dtype=np.float32))[None].to(self.device())
            half = self.params["dtype"] == "float16" or (self.params["dtype"] == "auto" and wave.is_cuda)
            with torch.no_grad(), torch.autocast("cuda", dtype=torch.float16, enabled=half and wave.is_cuda):
                self._cache[sha] = self._model(wave).float().cpu().numpy()[0]
        return self._cache[sha]
