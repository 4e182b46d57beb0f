"""Seed-TTS-Eval speaker similarity (`sim_wavlm`): what `cal_sim.sh` computes, per item.

Upstream (BytedanceSpeech/seed-tts-eval @ 752f429, `cal_sim.sh` → UniSpeech `verification.py`,
`--model_name wavlm_large`): WavLM-Large fine-tuned for speaker verification with an ECAPA-TDNN
head (`wavlm_large_finetune.pth`), each file read at its own rate (`librosa.load(sr=None,
mono=False)`, first channel), resampled to 16 kHz by `torchaudio.transforms.Resample` (sinc, Hann,
width 6, rolloff 0.99: our bit-identical port), the whole clip embedded (no trimming, float32),
then `F.cosine_similarity` of the generated audio against the prompt. Published tables print the
mean cosine (0.xx); we store ×100 like every similarity column here.

The checkpoint is a release file (UniSpeech's Azure link expired in 2024), so it is pinned by
SHA-256 and fetched from a byte-identical Hugging Face mirror, or read from a local path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ztts_eval.hashing import sha256_file
from ztts_eval.hub import WeightsMissingError, resolve_hf_model
from ztts_eval.metrics.base import Column, MetricInfo, MetricSetupError, package_versions
from ztts_eval.metrics.sim.pair_similarity import PairSimilarity

SAMPLE_RATE = 16000
FILENAME = "wavlm_large_finetune.pth"
# 1,301,926,579 bytes; the same digest is served by two independent mirrors
# (bezzam/wavlm_large_finetune_seed_tts_eval, hidoba/wavlm_large_finetune) of the Drive/Azure file.
PINNED_SHA256 = "51f07e3b94d9e0262a6a675ef5a087be3dd09e8c62e9d886827f44f82fe7f94b"
MIRROR = "bezzam/wavlm_large_finetune_seed_tts_eval"
MIN_SAMPLES = 400  # WavLM's conv stack needs 400 samples for one frame; shorter clips are an error row


def read_first_channel(path: Path) -> tuple[np.ndarray, int]:
    """float32 samples of channel 0 at the file's own rate, as `librosa.load(sr=None, mono=False)[0]`."""
    import soundfile as sf

    data, sr = sf.read(str(path), dtype="float32", always_2d=True)
    return np.ascontiguousarray(data[:, 0]), int(sr)


class WavLMSim(PairSimilarity):
    info = MetricInfo(
        name="sim_wavlm",
        version="1",
        kind="sample",
        columns=(Column("sim_wavlm", higher_is_better=True, unit="cos×100"),),
        inputs=("audio", "prompt"),
        scorer="WavLM-Large+ECAPA-TDNN (seed-tts-eval)",
        extra="speaker",
        family="seedtts",
        device="cuda-optional",
        sample_rate=None,  # read at the file's own rate; resampled as upstream does
        description="Cosine ×100 of seed-tts-eval's WavLM-Large speaker embeddings of the prompt and the audio.",
    )
    required_modules = ("torch", "transformers", "soundfile")
    batch_size = 8

    def __init__(
        self,
        checkpoint: str | None = None,
        repo: str = MIRROR,
        revision: str | None = None,
        sha256: str = PINNED_SHA256,
        device: str = "auto",
    ) -> None:
        super().__init__(repo=repo, revision=revision, sha256=sha256, device=device)
        self._checkpoint = checkpoint  # a path: where, not what (the digest says what)
        self._path: Path | None = None
        self._model: Any = None
        self._cache: dict[str, np.ndarray] = {}

    def locate(self) -> Path:
        hint = f"pass --metric-param sim_wavlm.checkpoint=/path/to/{FILENAME}"
        if self._checkpoint:
            path = Path(self._checkpoint).expanduser()
            if not path.is_file():
                raise MetricSetupError(f"sim_wavlm: checkpoint {path} does not exist ({hint})")
            return path
        try:
            folder, _ = resolve_hf_model(self.params["repo"], self.params["revision"], what="sim_wavlm", param_hint=hint)
        except WeightsMissingError as exc:
            raise MetricSetupError(str(exc)) from None
        if not (folder / FILENAME).is_file():
            raise MetricSetupError(f"sim_wavlm: {self.params['repo']} has no {FILENAME} ({hint})")
        return folder / FILENAME

    def preflight(self) -> None:
        super().preflight()
        path = self.locate()
        digest = sha256_file(path)
        if digest != self.params["sha256"]:
            raise MetricSetupError(
                f"sim_wavlm: {path} has sha256 {digest}, not the pinned {self.params['sha256']} "
                f"(seed-tts-eval's {FILENAME}); use that file, or accept this one with --metric-param sim_wavlm.sha256={digest}"
            )
        self._path = path

    def versions(self) -> dict[str, str]:
        return package_versions("torch", "transformers", "soundfile")

    def identity(self) -> dict[str, Any]:
        from ztts_eval.metrics.common.sinc_resample import describe

        self.resolved(self._path)
        return {
            "checkpoint_sha256": self.params["sha256"],
            "backbone": "transformers WavLMModel (UniSpeech names mapped)",
            "reader": "soundfile channel 0 at native rate (= librosa.load(sr=None, mono=False))",
            "resampler": describe("transform"),
            "precision": "float32",
        }

    def setup(self) -> None:
        if self._model is not None:
            return
        from ztts_eval.metrics.sim.wavlm_ecapa import CheckpointError, load_model

        path = self.resolved(self._path)
        try:
            self._model = load_model(path).to(self.device())
        except CheckpointError as exc:
            raise MetricSetupError(f"sim_wavlm: {path} {exc} (expected seed-tts-eval's {FILENAME})") from None

    def teardown(self) -> None:
        self._model, self._cache = None, {}

    def embed(self, path: Path, sha: str) -> np.ndarray:
        if sha not in self._cache:
            import torch

            from ztts_eval.metrics.common.sinc_resample import sinc_resample

            x, sr = read_first_channel(path)
            wave = sinc_resample(torch.from_numpy(x)[None], sr, SAMPLE_RATE, kernel="transform")
            if wave.shape[-1] < MIN_SAMPLES:
                raise ValueError(f"{Path(path).name} is {wave.shape[-1]} samples at 16 kHz, under WavLM's {MIN_SAMPLES}")
            with torch.no_grad():
                self._cache[sha] = self._model(wave.to(self.device())).float().cpu().numpy()[0]
        return self._cache[sha]
