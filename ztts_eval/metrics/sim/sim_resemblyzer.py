"""Lite speaker similarity: resemblyzer's bundled GE2E d-vector, cosine(prompt, audio) × 100.

Not ReDimNet: use it to catch an adapter that ignores its prompt, not to compare with ZTTS1.
"""

from __future__ import annotations

from importlib.metadata import version

import numpy as np

from ztts_eval.audio import load_audio
from ztts_eval.metrics.base import Column, MetricInfo
from ztts_eval.metrics.sim.pair_similarity import PairSimilarity

SAMPLE_RATE = 16000


class ResemblyzerSim(PairSimilarity):
    required_modules = ("resemblyzer", "torch", "webrtcvad")
    info = MetricInfo(
        name="sim_resemblyzer",
        version="1",
        kind="sample",
        columns=(Column("sim_resemblyzer", higher_is_better=True, unit="cos×100"),),
        inputs=("audio", "prompt"),
        scorer="resemblyzer GE2E (lite)",
        extra="lite",
        family="lite",
        sample_rate=SAMPLE_RATE,
        description="Cosine similarity ×100 between d-vectors of the prompt and the audio.",
    )

    def versions(self) -> dict[str, str]:
        return {"resemblyzer": version("resemblyzer")}

    def setup(self) -> None:
        import warnings

        with warnings.catch_warnings():  # webrtcvad's pkg_resources deprecation notice
            warnings.simplefilter("ignore")
            import webrtcvad  # noqa: F401
        from resemblyzer import VoiceEncoder

        self._encoder = VoiceEncoder("cpu", verbose=False)
        self._cache: dict[str, np.ndarray] = {}

    def teardown(self) -> None:
        self.release("_encoder", "_cache")

    def embed(self, path, sha: str) -> np.ndarray:
        if sha not in self._cache:
            from resemblyzer import preprocess_wav

            audio = load_audio(path, SAMPLE_RATE)
            wav = preprocess_wav(np.array(audio.samples), source_sr=SAMPLE_RATE)
            if wav.size < SAMPLE_RATE // 4:  # VAD left almost nothing: embed the raw signal
                wav = np.array(audio.samples)
            self._cache[sha] = self._encoder.embed_utterance(wav)
        return self._cache[sha]
