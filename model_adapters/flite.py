"""flite: CMU's small offline synthesizer (English only, several fixed voices); no cloning."""

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

VOICES = ("slt", "rms", "awb", "kal16", "kal")


class FliteAdapter(Adapter):
    name = "flite"
    version = "1"

    def __init__(self, voice: str = "slt", **params: Any) -> None:
        if voice not in VOICES:
            raise ValueError(f"flite voice {voice!r} unknown; choose one of {', '.join(VOICES)}")
        super().__init__(voice=voice, **params)
        self._binary = "flite"
        self._engine_version = "unknown"

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(zero_shot_cloning=False, languages=frozenset({"en"}), deterministic=True, **subprocess_capacity())

    def load(self) -> None:
        self._binary = require_binary("flite", "flite")
        self._engine_version = binary_version([self._binary, "--version"]).replace("\n", " ")

    def fingerprint(self) -> dict[str, Any]:
        return {**super().fingerprint(), "engine": self._engine_version}

    def synthesize(self, requests: list[SynthesisRequest]) -> list[SynthesisResult]:
        def one(req: SynthesisRequest):
            wav, sr = synthesize_to_wav(
                lambda txt, out: [self._binary, "-voice", self.params["voice"], "-f", str(txt), "-o", str(out)],
                req.text,
            )
            return wav, sr, Diagnostics(eos_reached=None)

        return self.synthesize_each(requests, one)
