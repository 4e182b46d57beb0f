"""Frame-level hidden states of a self-supervised speech model (HuBERT, mHuBERT-147, WavLM).

TTSDS2's speaking rate tokenises layer 7 of `facebook/hubert-base-ls960`; DS-WED tokenises layer 8.
`hidden_states[i]` is the output of transformer layer i (index 0 is the pre-transformer
projection), exactly as transformers returns them. Audio is 16 kHz mono via soxr, fed without
the processor's normalisation (as both reference implementations do for HuBERT).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ztts_eval.hub import resolve_hf_model, weights_fingerprint

SAMPLE_RATE = 16000
MODELS = {"hubert": "facebook/hubert-base-ls960", "mhubert": "utter-project/mHuBERT-147"}
MIN_SAMPLES = 400  # the convolutional front end needs one 25 ms window


class SSLFrames:
    def __init__(self, model: str = "hubert", revision: str | None = None, device: str = "cpu", param: str = "ttsds") -> None:
        self.model_ref = MODELS.get(model, model)
        self.revision, self.device, self.param = revision, device, param
        self._dir: Path | None = None
        self._commit: str | None = None
        self._model: Any = None
        self._fingerprint: dict[str, Any] | None = None

    def resolve(self) -> Path:
        if self._dir is None:
            self._dir, self._commit = resolve_hf_model(
                self.model_ref,
                self.revision,
                what=f"SSL model {self.model_ref}",
                param_hint=f"pass a local directory with --metric-param {self.param}.hubert=DIR",
            )
        return self._dir

    def fingerprint(self) -> dict[str, Any]:
        """Computed once: it keys every cached frame array, so it is read per audio file."""
        if self._fingerprint is None:
            directory = self.resolve()
            self._fingerprint = {
                "model": self.model_ref if not Path(self.model_ref).is_dir() else "local-directory",
                "snapshot": self._commit,
                "weights": weights_fingerprint(directory),
            }
        return self._fingerprint

    def load(self) -> None:
        if self._model is None:
            from transformers import AutoModel

            self._model = AutoModel.from_pretrained(str(self.resolve()), local_files_only=True).eval().to(self.device)

    def unload(self) -> None:
        """Drop the model (the metric's teardown); the next `layers()` loads it again."""
        from ztts_eval.metrics.base import free_memory

        self._model = None
        free_memory()

    def layers(self, samples16k: np.ndarray, layers: tuple[int, ...], normalize: bool = False) -> dict[int, np.ndarray]:
        """{layer: [frames, dim] float32} for one clip. `normalize`: zero mean, unit variance per clip
        (the wav2vec2 feature extractor's do_normalize; TTSDS2's speaking rate uses it, DS-WED not)."""
        import torch

        self.load()
        x = np.asarray(samples16k, dtype=np.float32)
        if x.size < MIN_SAMPLES:
            x = np.pad(x, (0, MIN_SAMPLES - x.size))
        if normalize:
            x = (x - x.mean()) / np.sqrt(x.var() + 1e-7)
        with torch.no_grad():
            out = self._model(torch.from_numpy(np.array(x))[None].to(self.device), output_hidden_states=True)
        n = len(out.hidden_states) - 1
        for layer in layers:
            if not 0 <= layer <= n:
                raise ValueError(f"layer {layer} requested but {self.model_ref} has {n} transformer layers")
        return {layer: out.hidden_states[layer][0].float().cpu().numpy() for layer in layers}
