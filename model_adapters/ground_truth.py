"""The ground-truth "system": the real recording of the item's text, scored like any system.

It is the ceiling row of every table (docs/decisions.md §1). Items without a reference recording
produce an explicit "unavailable" row, so they are counted, never silently dropped.
"""

from __future__ import annotations

from model_adapters.base import (
    Adapter,
    Capabilities,
    Diagnostics,
    SynthesisRequest,
    SynthesisResult,
    failure,
)


class GroundTruthAdapter(Adapter):
    name = "ground-truth"
    version = "1"
    group = "reference"
    published_name = "Ground truth"

    @property
    def capabilities(self) -> Capabilities:
        # The recording is by the prompt's speaker where the suite pairs them (in-the-wild, demo).
        return Capabilities(zero_shot_cloning=True, languages=None, deterministic=True)

    def synthesize(self, requests: list[SynthesisRequest]) -> list[SynthesisResult]:
        from ztts_eval.audio import read_audio

        def one(req: SynthesisRequest):
            audio = read_audio(req.reference_audio)
            return audio.samples.copy(), audio.sample_rate, Diagnostics(eos_reached=True)

        out = []
        for req in requests:
            if req.reference_audio is None:
                out.append(failure(req, "item has no reference recording", "unavailable"))
            else:
                out.extend(self.synthesize_each([req], one))
        return out
