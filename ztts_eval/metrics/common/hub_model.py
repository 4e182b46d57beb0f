"""Shared plumbing of metrics whose model comes from a torch.hub repository (ReDimNet, SpeechMOS):
locating pinned code and weights, fingerprinting both, and building the model from its class."""

from __future__ import annotations

from typing import Any

from ztts_eval.metrics.base import MetricSetupError, SampleMetric, package_versions
from ztts_eval.metrics.common.torch_hub import (
    HubRepo,
    HubSetupError,
    code_dir,
    code_fingerprint,
    file_fingerprint,
    import_class,
    load_weights,
    weights_file,
)


class HubModelMetric(SampleMetric):
    repo: HubRepo
    what: str  # human name in error messages
    module_attr: tuple[str, str]  # (module, class) inside the repository
    required_modules = ("torch",)

    def __init__(self, hub_dir: str | None = None, weights: str | None = None, trust_repo: Any = False, **params: Any) -> None:
        super().__init__(**params)
        self._hub_dir, self._weights, self._trust = hub_dir, weights, trust_repo
        self._model = None
        self._located: Any = None
        self._frontend: str | None = None

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
        from ztts_eval.metrics.common.torchaudio_compat import install

        super().preflight()
        self._located = self.locate()
        self._frontend = install()  # the hub code imports torchaudio: real or stand-in, recorded

    def versions(self) -> dict[str, str]:
        return package_versions("torch")

    def identity(self) -> dict[str, Any]:
        code, weights = self.resolved(self._located)
        return {
            "repo": self.repo.spec,
            "code": code_fingerprint(code),
            "weights": file_fingerprint(weights),
            "frontend": self._frontend,
            "resampler": "soxr-VHQ",
        }

    def build(self, model_cls: type, checkpoint: Any):
        """Construct the model from the repository class and the safely loaded checkpoint."""
        raise NotImplementedError

    def setup(self) -> None:
        if self._model is not None:
            return
        from ztts_eval.metrics.common.torchaudio_compat import install

        install()  # both repositories import torchaudio at module level
        code, weights = self.locate()
        model = self.build(import_class(code, *self.module_attr), load_weights(weights))
        self._model = model.eval().to(self.device())

    def teardown(self) -> None:
        self.release("_model")
