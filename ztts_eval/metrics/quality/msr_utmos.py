"""ZTTS1 quality: MSR-UTMOS from a configured checkpoint (`utmos.checkpoint=…`, `utmos.ssl_config=…`).

No public MSR-UTMOS checkpoint URL exists (the authors host a demo), so the user supplies the
Lightning `.ckpt` and the backbone's config folder. Input rates are limited to 16/24/48 kHz: audio
is resampled explicitly to the allowed rate at or above its own (22.05 → 24, 44.1 → 48 kHz), and
both rates are recorded per row. Resampling is torchaudio's sinc resampler, as the authors' demo
uses (our plain-torch port, ztts_eval/metrics/common/sinc_resample.py); soxr moved MOS by up to
0.037 per clip from 48/24 kHz. Non-SFI backbones then take 16 kHz, normalised as the
wav2vec2 processor does; SFI backbones take the allowed rate directly. MOS = 3 + 2·output,
averaged over listener ids 1..10. Deterministic: eval mode, no sampling.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ztts_eval.audio import load_audio
from ztts_eval.hub import WeightsMissingError, resolve_hf_model, weights_fingerprint
from ztts_eval.metrics.base import OK, Column, MetricInfo, MetricSetupError, SampleMetric, ScoreInput, package_versions
from ztts_eval.metrics.common import sinc_resample
from ztts_eval.metrics.common.torch_hub import file_fingerprint, truthy
from ztts_eval.metrics.quality.msr_utmos_model import ALLOWED_RATES, load_checkpoint, model_rate, zero_mean_unit_var


class MsrUtmos(SampleMetric):
    info = MetricInfo(
        name="utmos",
        version="1",
        kind="sample",
        columns=(Column("utmos", higher_is_better=True, unit="MOS"),),
        inputs=("audio",),
        scorer="MSR-UTMOS",
        extra="quality",
        family="ztts1",
        device="cuda-optional",
        description="MSR-UTMOS MOS prediction, averaged over listener ids 1..10.",
    )
    required_modules = ("torch", "transformers")

    def __init__(
        self,
        checkpoint: str | None = None,
        ssl_config: str | None = None,
        listeners: str = "1-10",
        trust_remote_code: Any = False,
        device: str = "auto",
    ) -> None:
        lo, _, hi = str(listeners).partition("-")
        ids = list(range(int(lo), int(hi or lo) + 1))
        super().__init__(listeners=ids, device=device)
        self._ckpt, self._ssl, self._trust = checkpoint, ssl_config, truthy(trust_remote_code)
        self._model = None
        self._located: Any = None
        self._meta: dict[str, Any] = {}

    def _locate(self) -> tuple[Path, Path]:
        if not self._ckpt:
            raise MetricSetupError(
                "MSR-UTMOS needs a checkpoint: --metric-param utmos.checkpoint=/path/model.ckpt "
                "(and utmos.ssl_config=/path/to/backbone); without one the ztts1 profile uses utmos22"
            )
        ckpt = Path(self._ckpt).expanduser()
        if not ckpt.is_file():
            raise MetricSetupError(f"MSR-UTMOS checkpoint {ckpt} does not exist (utmos.checkpoint)")
        if not self._ssl:
            raise MetricSetupError("MSR-UTMOS needs the backbone's config folder: --metric-param utmos.ssl_config=DIR")
        try:
            ssl, _ = resolve_hf_model(self._ssl, None, what="MSR-UTMOS backbone", param_hint="pass utmos.ssl_config=DIR")
        except WeightsMissingError as exc:
            raise MetricSetupError(str(exc)) from None
        return ckpt, ssl

    def preflight(self) -> None:
        super().preflight()
        self._located = self._locate()

    def identity(self) -> dict[str, Any]:
        ckpt, ssl = self.resolved(self._located)
        return {
            "checkpoint": file_fingerprint(ckpt),
            "backbone_config": weights_fingerprint(ssl),
            "resampler": sinc_resample.describe(),
            "allowed_rates": list(ALLOWED_RATES),
        }

    def versions(self) -> dict[str, str]:
        return package_versions("torch", "transformers")

    def setup(self) -> None:
        if self._model is not None:
            return
        ckpt, ssl = self._locate()
        try:
            model, self._meta = load_checkpoint(ckpt, ssl, self._trust)
        except (ValueError, PermissionError, KeyError) as exc:
            raise MetricSetupError(f"MSR-UTMOS: {exc}") from None
        self._model = model.to(self.device())

    def teardown(self) -> None:
        self.release("_model")

    def mos(self, samples: np.ndarray, sr: int) -> tuple[float, int, int]:
        """(MOS, allowed rate used, rate fed to the backbone) for one clip."""
        import torch

        rate = model_rate(sr)
        x = sinc_resample.resample_np(samples, sr, rate)
        feed = rate
        if not self._meta["sfi"]:
            x, feed = sinc_resample.resample_np(x, rate, 16000), 16000
        wave = torch.from_numpy(np.array(x, dtype=np.float32))[None].to(self.device())
        if self._meta["sfi"]:
            self._model.ssl_model.set_sample_rate(rate)
        else:
            wave = zero_mean_unit_var(wave)
        ids = self.params["listeners"]
        with torch.no_grad():
            batch = wave.expand(len(ids), -1)
            listener = torch.tensor(ids, device=wave.device)
            sr_ids = torch.full((len(ids),), ALLOWED_RATES.index(rate), device=wave.device)
            out = self._model(batch, listener, sr_ids if self._meta["condition_sr"] else None)
        return 3.0 + 2.0 * float(out.mean()), rate, feed

    def score_batch(self, inputs: list[ScoreInput]) -> list[dict[str, Any]]:
        rows = []
        for inp in inputs:
            audio = load_audio(inp.audio_path)
            mos, rate, feed = self.mos(audio.samples, audio.sample_rate)
            rows.append({"status": OK, "utmos": mos, "input_sr": audio.sample_rate, "model_sr": rate, "backbone_sr": feed})
        return rows
