"""Paraformer-zh, seed-tts-eval's Chinese judge, run in its own environment (docs/decisions.md §11).

FunASR pins (and needs torchaudio, which cannot sit beside the harness's CPU torch), so the harness
never imports it: `ztts-eval env create paraformer-zh` builds the environment and this client talks
to `paraformer_worker.py` there over JSON lines. The weights are located here, offline-first, from
the hub id (`funasr/paraformer-zh`, the model seed-tts-eval's README links) or a local directory,
and the worker loads that folder. Upstream (`run_wer.py`, `lang == "zh"`): `AutoModel(
model="paraformer-zh")` (no VAD, no punctuation model), `generate(input=wav_path,
batch_size_s=300)[0]["text"]`, then `zhconv.convert(·, "zh-cn")`, which the seedtts normalizer does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ztts_eval.hub import resolve_hf_model, weights_fingerprint

MODEL = "funasr/paraformer-zh"
ENV_NAME = "paraformer-zh"
WORKER = "ztts_eval.metrics.wer.paraformer_worker"
REPO_ROOT = Path(__file__).resolve().parents[3]


class ParaformerTranscriber:
    def __init__(self, model: str = MODEL, revision: str | None = None, python: str | None = None, device: str = "auto") -> None:
        self.model_ref, self.revision, self.python_override, self.device = model, revision, python, device
        self.worker_module = WORKER  # tests point this at a stand-in worker
        self._dir: Path | None = None
        self._commit: str | None = None
        self._client: Any = None
        self._fp: dict[str, Any] | None = None

    def python(self) -> Path:
        from model_adapters.workers.environments import env_python

        return Path(self.python_override).expanduser() if self.python_override else env_python(ENV_NAME)

    def resolve(self) -> Path:
        """Weights and environment both present, or one line naming the fix (WeightsMissingError)."""
        from ztts_eval.hub import WeightsMissingError

        if self._dir is None:
            self._dir, self._commit = resolve_hf_model(
                self.model_ref,
                self.revision,
                what="Paraformer-zh (seedtts WER, zh)",
                param_hint="pass a local directory with --metric-param wer_seedtts.paraformer=/path/to/paraformer-zh",
            )
        if not self.python().exists():
            raise WeightsMissingError(
                f"Paraformer-zh runs in its own environment, not found at {self.python()}: create it with "
                f"`ztts-eval env create {ENV_NAME}` (or pass --metric-param wer_seedtts.paraformer_python=PATH)"
            )
        return self._dir

    def fingerprint(self) -> dict[str, Any]:
        from model_adapters.workers.environments import freeze

        if self._fp is None:
            self._fp = {
                "model": self.model_ref if not Path(self.model_ref).is_dir() else "local-directory",
                "revision": self.revision,
                "snapshot": self._commit,
                "weights": weights_fingerprint(self.resolve()),
                "call": "AutoModel(model=dir).generate(input=path, batch_size_s=300)[0]['text']",
                "environment": freeze(ENV_NAME) if not self.python_override else [str(self.python_override)],
            }
        return self._fp

    def transcribe(self, paths: list[Path]) -> list[dict[str, Any]]:
        """[{"text": …} or {"error": …}] per file, in order; a dead worker fails only this batch."""
        from model_adapters.workers.protocol import WorkerClient, WorkerError

        if self._client is None:
            params = {"model_dir": str(self.resolve()), "device": self.device}
            self._client = WorkerClient(str(self.python()), self.worker_module, params, cwd=str(REPO_ROOT))
            try:
                self._client.start()
            except WorkerError as exc:
                self._client = None
                raise RuntimeError(str(exc)) from None
        return self._client.call("transcribe", [{"path": str(p)} for p in paths])

    def info(self) -> dict[str, Any]:
        return self._client.info if self._client else {}

    def close(self) -> None:
        if self._client is not None:
            self._client.shutdown()
            self._client = None
