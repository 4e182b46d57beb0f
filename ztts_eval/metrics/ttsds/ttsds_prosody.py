"""TTSDS2 Prosody factor: how close the *distribution* of a system's prosody is to real speech.

Four features per utterance (each cached per audio file): mean pitch (pyworld), HuBERT unit
speaking rate (layer 7, k=100 k-means fit on ≤100 reference utterances), Allosaurus phone rate,
and MPM layer-7 frame representations. Per feature the system's distribution is compared with
the suite's real recordings of the same language/subset and with four synthetic noise sets;
score = 100·W_noise/(W_real+W_noise) (ztts_eval/metrics/ttsds/score.py), factor = their mean. Raw
distances are kept (the report's Fig. 7 plots the Allosaurus-rate distance to real speech).

Explicit where ttsds was implicit: reference utterances for the k-means are a seeded choice
(default_rng(42), ≤100) from the reference set in manifest order; unequal set sizes average 10
seeded subsamples (`subsample=upstream` reproduces ttsds' single reused draw instead);
`features=` selects a subset. English by default, as ZTTS1 reports it; `languages=all` uses
mHuBERT-147 by default for HuBERT (`hubert=` overrides).

Loading and storage follow the reference exactly: `librosa.load(sr=22050)` (audio.py), the HuBERT
input resampled 22.05 → 16 kHz as `librosa.resample` does, and HuBERT / MPM frames cached as
float32 (float16 moved speaking rates by up to 1.7 units/s through the k-means assignment).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from ztts_eval.hashing import sha256_json
from ztts_eval.hub import WeightsMissingError, resolve_hf_model, weights_fingerprint
from ztts_eval.languages import language_set
from ztts_eval.metrics.base import Column, CorpusMetric, MetricInfo, MetricSetupError, ScoreInput, package_versions
from ztts_eval.metrics.common.kmeans_units import assign, collapse_runs, fit_centres
from ztts_eval.metrics.common.ssl_frames import SSLFrames
from ztts_eval.metrics.ttsds.allosaurus_rate import AllosaurusSetupError, PhoneRate, locate_model
from ztts_eval.metrics.ttsds.audio import LOADER, TTSDS_SR, duration, librosa_resample, load_ttsds
from ztts_eval.metrics.ttsds.noise_sets import NOISE_VERSION, noise_set_inputs
from ztts_eval.metrics.ttsds.pitch import pitch_features
from ztts_eval.metrics.ttsds.score import SUBSAMPLE, factor, score_sets

FEATURES = ("pitch", "hubert_sr", "allosaurus_sr", "mpm")
KIND = {"pitch": "1d", "hubert_sr": "1d", "allosaurus_sr": "1d", "mpm": "nd"}
HUBERT_LAYER, KMEANS_K, KMEANS_SEED, MAX_FIT = 7, 100, 42, 100
FRAMES_DTYPE = np.float32  # cached HuBERT/MPM frames: full precision, as the reference keeps them


class TtsdsProsody(CorpusMetric):
    info = MetricInfo(
        name="ttsds_prosody",
        version="2",
        kind="corpus",
        columns=(Column("ttsds_prosody", True, unit="score"), *(Column(f"ttsds_{f}", True, unit="score") for f in FEATURES)),
        inputs=("audio", "reference_set"),
        scorer="TTSDS2 Prosody (pitch, HuBERT/Allosaurus rates, MPM)",
        extra="prosody",
        family="ztts1",
        device="cuda-optional",
        sample_rate=TTSDS_SR,
        languages=frozenset({"en"}),
        description="TTSDS2 prosody factor: distribution distance to real speech vs to noise, 0–100.",
    )
    required_modules = ("torch", "transformers", "pyworld", "sklearn", "scipy", "yaml")

    def __init__(
        self,
        features: str = ",".join(FEATURES),
        languages: str = "en",
        hubert: str | None = None,
        mpm: str = "cdminix/masked_prosody_model",
        allosaurus_model: str | None = None,
        mpm_id_offset: int = 0,
        subsample: str = "average",
        device: str = "cpu",
    ) -> None:
        chosen = tuple(f for f in features.split(",") if f)
        unknown = set(chosen) - set(FEATURES)
        if unknown or not chosen:
            raise ValueError(f"ttsds_prosody.features: choose from {', '.join(FEATURES)}; got {features!r}")
        if subsample not in SUBSAMPLE:
            raise ValueError(f"ttsds_prosody.subsample: choose from {', '.join(SUBSAMPLE)}; got {subsample!r}")
        multilingual = languages == "all"
        super().__init__(
            features=list(chosen), languages=languages, mpm_id_offset=int(mpm_id_offset), subsample=subsample, device=device
        )
        self.info = dataclasses.replace(self.info, languages=language_set(languages))
        self.ssl = SSLFrames(hubert or ("mhubert" if multilingual else "hubert"), device=device, param="ttsds_prosody")
        self._mpm_ref, self._allo_ref = mpm, allosaurus_model
        self._mpm_dir: Any = None
        self._allo_dir: Any = None
        self._mpm: Any = None
        self._phones: PhoneRate | None = None
        self._store = None

    # -- setup ---------------------------------------------------------------------------------
    def preflight(self) -> None:
        super().preflight()
        f = self.params["features"]
        try:
            if "hubert_sr" in f:
                self.ssl.resolve()
            if "mpm" in f:
                self._mpm_dir = resolve_hf_model(
                    self._mpm_ref, None, what="Masked Prosody Model", param_hint="pass --metric-param ttsds_prosody.mpm=DIR"
                )[0]
            if "allosaurus_sr" in f:
                self._allo_dir = locate_model(self._allo_ref)
        except (WeightsMissingError, AllosaurusSetupError) as exc:
            raise MetricSetupError(str(exc)) from None

    def identity(self) -> dict[str, Any]:
        f = self.params["features"]
        return {
            "hubert": self.ssl.fingerprint() if "hubert_sr" in f else None,
            "mpm": weights_fingerprint(self.resolved(self._mpm_dir)) if "mpm" in f else None,
            "allosaurus": weights_fingerprint(self.resolved(self._allo_dir)) if "allosaurus_sr" in f else None,
            "noise": NOISE_VERSION,
            "loader": LOADER,
            "hubert_resampler": "librosa.resample(22050 → 16000) equivalent: soxr HQ, fix_length ceil",
            "frames_dtype": np.dtype(FRAMES_DTYPE).name,
        }

    def versions(self) -> dict[str, str]:
        return package_versions("torch", "transformers", "pyworld", "scikit-learn", "allosaurus")

    def bind_store(self, store) -> None:
        self._store = store

    def extra_sets(self, store) -> dict[str, list[ScoreInput]]:
        return noise_set_inputs(store.root)

    def setup(self) -> None:
        f = self.params["features"]
        if "mpm" in f and self._mpm is None:
            from ztts_eval.metrics.ttsds.mpm import load_mpm

            self._mpm = load_mpm(self._mpm_dir)[0].to(self.params["device"])
        if "allosaurus_sr" in f and self._phones is None:
            self._phones = PhoneRate(self._allo_dir)

    def teardown(self) -> None:
        self.ssl.unload()
        self.release("_mpm", "_phones")

    # -- features (per audio file, cached) -------------------------------------------------------
    def features(self, inputs: list[ScoreInput]) -> list[Any]:
        pitches = pitch_features(inputs, self._store) if "pitch" in self.params["features"] else None
        return [self._one(inp, None if pitches is None else pitches[i]) for i, inp in enumerate(inputs)]

    def _one(self, inp: ScoreInput, pitch: float | None) -> dict[str, Any]:
        import torch

        x = load_ttsds(inp.audio_path)
        out: dict[str, Any] = {"duration": duration(x)}
        f = self.params["features"]
        if pitch is not None:
            out["pitch"] = pitch
        if "hubert_sr" in f:
            frames = self.ssl.layers(librosa_resample(x, TTSDS_SR, 16000), (HUBERT_LAYER,), normalize=True)[HUBERT_LAYER]
            key = sha256_json(["hubert", inp.audio_sha256, self.ssl.fingerprint(), LOADER, np.dtype(FRAMES_DTYPE).name])
            out["hubert"] = self._store.put_array(key, frames.astype(FRAMES_DTYPE))
        if "allosaurus_sr" in f:
            out["allosaurus_sr"] = self._phones.phones(x, TTSDS_SR) / out["duration"]
        if "mpm" in f:
            from ztts_eval.metrics.ttsds.mpm import mpm_ids

            ids = torch.from_numpy(mpm_ids(x, self.params["mpm_id_offset"]))[None].to(self.params["device"])
            with torch.no_grad():
                rep = self._mpm.representation(ids)[0].float().cpu().numpy()
            key = sha256_json(["mpm", inp.audio_sha256, self.params["mpm_id_offset"], LOADER, np.dtype(FRAMES_DTYPE).name])
            out["mpm"] = self._store.put_array(key, rep.astype(FRAMES_DTYPE))
        return out

    # -- reduction ---------------------------------------------------------------------------------
    def _hubert_rates(self, sets: dict[str, list[dict]], reference: list[dict]) -> dict[str, list[float]]:
        rng = np.random.default_rng(KMEANS_SEED)
        chosen = rng.choice(len(reference), size=min(MAX_FIT, len(reference)), replace=False)
        centres = fit_centres(
            [self._store.get_array(reference[i]["hubert"]) for i in sorted(chosen)], KMEANS_K, KMEANS_SEED, n_init=1
        )
        return {
            name: [len(collapse_runs(assign(self._store.get_array(f["hubert"]), centres))) / f["duration"] for f in feats]
            for name, feats in sets.items()
        }

    def compute(
        self, system: list[Any], reference: list[Any], inputs: list[ScoreInput], noise: dict[str, list[Any]] | None = None
    ) -> dict[str, Any]:
        sets = {"system": system, "real": reference, **{f"noise_{k}": v for k, v in (noise or {}).items()}}
        values: dict[str, dict[str, Any]] = {}
        f = self.params["features"]
        if "pitch" in f:
            values["pitch"] = {n: [x["pitch"] for x in s] for n, s in sets.items()}
        if "allosaurus_sr" in f:
            values["allosaurus_sr"] = {n: [x["allosaurus_sr"] for x in s] for n, s in sets.items()}
        if "hubert_sr" in f:
            values["hubert_sr"] = self._hubert_rates(sets, reference)
        if "mpm" in f:
            values["mpm"] = {
                n: np.vstack([self._store.get_array(x["mpm"]).astype(np.float64) for x in s]) for n, s in sets.items()
            }
        out: dict[str, Any] = {"n_system": len(system), "n_reference": len(reference), "details": {}}
        for feat, per_set in values.items():
            out[f"ttsds_{feat}"], out["details"][feat] = score_sets(per_set, kind=KIND[feat], subsample=self.params["subsample"])
        out["ttsds_prosody"] = factor([out[f"ttsds_{feat}"] for feat in values])
        return out
