"""Base for local models that run in their own environment through a worker (Qwen3-TTS, Zonos v0.1).

The harness side stays import-light: it checks the environment exists (one-line fix otherwise),
starts the worker at load(), sends batches, reads back WAVs, and records the worker's package
versions in the fingerprint (docs/decisions.md §11: results record the worker's environment).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from model_adapters.base import Adapter, AdapterError, Diagnostics, SynthesisRequest, SynthesisResult, failure
from model_adapters.workers.protocol import WorkerClient, WorkerError

REPO_ROOT = Path(__file__).resolve().parents[2]


class WorkerAdapter(Adapter):
    env_name = ""
    worker_module = ""

    def __init__(self, python: str | None = None, worker_module: str | None = None, **params: Any) -> None:
        super().__init__(**params)
        self._python, self._module = python, worker_module or self.worker_module
        self._client: WorkerClient | None = None

    def python(self) -> Path:
        from model_adapters.workers.environments import env_python

        return Path(self._python).expanduser() if self._python else env_python(self.env_name)

    def fingerprint(self) -> dict[str, Any]:
        from model_adapters.workers.environments import freeze

        fp = super().fingerprint()
        fp["worker"] = self._client.info if self._client else {}
        fp["environment"] = freeze(self.env_name) if not self._python else [str(self._python)]
        return fp

    def load(self) -> None:
        python = self.python()
        if not python.exists():
            raise AdapterError(
                f"{self.name} runs in its own environment, not found at {python}: "
                f"create it with `ztts-eval env create {self.env_name}` (or pass --param python=PATH)"
            )
        self._client = WorkerClient(str(python), self._module, self.params, cwd=str(REPO_ROOT))
        try:
            self._client.start()
        except WorkerError as exc:
            raise AdapterError(f"{self.name}: {exc}") from None

    def close(self) -> None:
        if self._client is not None:
            self._client.shutdown()

    def synthesize(self, requests: list[SynthesisRequest]) -> list[SynthesisResult]:
        from ztts_eval.audio import read_audio

        results: list[SynthesisResult | None] = [None] * len(requests)
        todo: list[int] = []
        for i, req in enumerate(requests):
            refused = self.check_request(req)
            if refused is not None:
                results[i] = refused
            else:
                todo.append(i)
        payload = [
            {
                "item_id": requests[i].item_id,
                "seed": requests[i].seed,
                "text": requests[i].text,
                "language": requests[i].language,
                "prompt_audio": str(requests[i].prompt_audio) if requests[i].prompt_audio else None,
                "prompt_text": requests[i].prompt_text,
            }
            for i in todo
        ]
        for i, answer in zip(todo, self._client.synthesize(payload) if todo else []):
            req = requests[i]
            if answer.get("error") or not answer.get("wav"):
                results[i] = failure(req, answer.get("error") or "worker returned no audio")
                continue
            audio = read_audio(answer["wav"])
            Path(answer["wav"]).unlink(missing_ok=True)
            results[i] = SynthesisResult(
                req.item_id,
                req.seed,
                audio.samples.copy(),
                audio.sample_rate,
                Diagnostics(
                    duration_s=audio.duration,
                    eos_reached=answer.get("extra", {}).get("eos_reached"),
                    extra=answer.get("extra", {}),
                ),
            )
        return results  # type: ignore[return-value]
