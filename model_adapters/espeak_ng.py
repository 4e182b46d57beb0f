"""espeak-ng: a real offline formant synthesizer with ~100 languages; no voice cloning."""

from __future__ import annotations

from typing import Any

from model_adapters.base import (
    Adapter,
    Capabilities,
    Diagnostics,
    SynthesisRequest,
    SynthesisResult,
)
from model_adapters.command_tts import binary_version, require_binary, subprocess_capacity, synthesize_to_wav
from ztts_eval.languages import LANGUAGES


class EspeakNgAdapter(Adapter):
    name = "espeak-ng"
    version = "1"

    def __init__(self, speed: int = 160, pitch: int = 50, **params: Any) -> None:
        super().__init__(speed=int(speed), pitch=int(pitch), **params)
        self._binary = "espeak-ng"
        self._engine_version = "unknown"

    @property
    def capabilities(self) -> Capabilities:
        langs = frozenset(code for code, lang in LANGUAGES.items() if lang.espeak_ng)
        return Capabilities(zero_shot_cloning=False, languages=langs, deterministic=True, **subprocess_capacity())

    def load(self) -> None:
        self._binary = require_binary("espeak-ng", "espeak-ng")
        self._engine_version = binary_version([self._binary, "--version"])

    def fingerprint(self) -> dict[str, Any]:
        return {**super().fingerprint(), "engine": self._engine_version}

    def synthesize(self, requests: list[SynthesisRequest]) -> list[SynthesisResult]:
        def one(req: SynthesisRequest):
            voice = LANGUAGES[req.language].espeak_ng
            wav, sr = synthesize_to_wav(
                lambda txt, out: [
                    self._binary,
                    "-v",
                    voice,
                    "-s",
                    str(self.params["speed"]),
                    "-p",
                    str(self.params["pitch"]),
                    "-f",
                    str(txt),
                    "-w",
                    str(out),
                ],
                req.text,
            )
            return wav, sr, Diagnostics(eos_reached=None, extra={"voice": voice})

        return self.synthesize_each(requests, one)
