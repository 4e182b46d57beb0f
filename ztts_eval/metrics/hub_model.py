"""Shared plumbing of metrics whose model comes from a torch.hub repository (ReDimNet, SpeechMOS):
locating pinned code and weights, fingerprinting both, and building the model from its class."""

from __future__ import annotations

from typing import Any

from ztts_eval.metrics.base import MetricSetupError, SampleMetric, package_versions
from ztts_eval.torch_hub import (HubRepo, HubSetupError, code_dir, code_fingerprint, file_fingerprint, import_class,
                                 load_weights, weights_file)


class HubModelMetric(SampleMetric):
    repo: HubRepo
    what: str  # human name in error messages
    module_attr: tuple[str, str]  # (module, class) inside the repository
    required_modules = ("torch",)

    def __init__(self, hub_dir: str | None = None, weights: str | None = None, trust_repo: Any = False, **params: Any) -> None:
        super().__init__(**params)
        self._hub_dir, self._weights, self._trust = hub_dir, weights, trust_repo
        self._model = None

    def weights_url(self) -> str:
        raise NotImplementedError

    def locate(self):
        try:
            code = code_dir(self.repo, self._hub_dir, self._trust, what=self.what, param=self.info.name)
            weights = weights_file(self.weights_url(), self._weights, what=self.what, param=self.info.name)
        except HubSetupError as exc:
            raise MetricSetupError(str(exc)) from None
        return code, weights

    def preflight(self) -> None:
        super().preflight()
        self.locate()

    def versions(self) -> dict[str, str]:
        return package_versions("torch")

    def fingerprint(self) -> dict[str, Any]:
        from ztts_eval.torchaudio_compat import install

        code, weights = self.locate()
        params = {k: v for k, v in self.params.items() if k != "device"}
        return {"metric": self.info.name, "version": self.info.version, "params": params, "repo": self.repo.spec,
                "code": code_fingerprint(code), "weights": file_fingerprint(weights), "frontend": install(),
                "resampler": "soxr-VHQ", **self.versions()}

    def build(self, model_cls: type, checkpoint: Any):
        """Construct the model from the repository class and the safely loaded checkpoint."""
        raise NotImplementedError

    def setup(self) -> None:
        if self._model is not None:
            return
        from ztts_eval.torchaudio_compat import install

        install()  # both repositories import torchaudio at module level
        code, weights = self.locate()
        model = self.build(import_class(code, *self.module_attr), load_weights(weights))
        self._model = model.eval().to(self.device())
