"""Lite quality: DNSMOS (speechmos' bundled ONNX models). Not UTMOS; labelled dnsmos_* everywhere.

DNSMOS tracks noise and distortion well and naturalness poorly; it is a proxy for smoke tests.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

from ztts_eval.audio import load_audio
from ztts_eval.metrics.base import OK, Column, MetricInfo, SampleMetric, ScoreInput

SAMPLE_RATE = 16000


class Dnsmos(SampleMetric):
    required_modules = ("speechmos", "onnxruntime", "librosa")
    info = MetricInfo(
        name="dnsmos",
        version="1",
        kind="sample",
        columns=(
            Column("dnsmos_ovrl", higher_is_better=True, unit="MOS"),
            Column("dnsmos_sig", higher_is_better=True, unit="MOS"),
            Column("dnsmos_bak", higher_is_better=True, unit="MOS"),
            Column("dnsmos_p808", higher_is_better=True, unit="MOS"),
        ),
        inputs=("audio",),
        scorer="DNSMOS P.835/P.808 (speechmos, lite)",
        extra="lite",
        family="lite",
        sample_rate=SAMPLE_RATE,
        description="Microsoft DNSMOS overall/signal/background and P.808 MOS.",
    )

    def versions(self) -> dict[str, str]:
        return {"speechmos": version("speechmos"), "onnxruntime": version("onnxruntime")}

    def setup(self) -> None:
        import importlib
        import sys
        from importlib.machinery import PathFinder

        # UTMOS22's hub code is also a package named `speechmos` (tarepan/SpeechMOS); once a run has
        # loaded it, that copy shadows the installed DNSMOS package: drop it, as import_class does
        installed = PathFinder.find_spec("speechmos")  # searches sys.path, not sys.modules
        loaded = sys.modules.get("speechmos")
        if loaded is not None and installed is not None and getattr(loaded, "__file__", None) != installed.origin:
            for name in [m for m in sys.modules if m == "speechmos" or m.startswith("speechmos.")]:
                del sys.modules[name]
        self._dnsmos = importlib.import_module("speechmos.dnsmos")

    def teardown(self) -> None:
        # speechmos keeps its two ONNX sessions in a module global; dropping it frees them (the
        # next run() rebuilds them, as on first use)
        module = getattr(self, "_dnsmos", None)
        if module is not None:
            module.dnsmos = None
        self.release("_dnsmos")

    def score_batch(self, inputs: list[ScoreInput]) -> list[dict[str, Any]]:
        rows = []
        for inp in inputs:
            out = self._dnsmos.run(load_audio(inp.audio_path, SAMPLE_RATE).samples.copy(), sr=SAMPLE_RATE)
            rows.append(
                {
                    "status": OK,
                    "dnsmos_ovrl": float(out["ovrl_mos"]),
                    "dnsmos_sig": float(out["sig_mos"]),
                    "dnsmos_bak": float(out["bak_mos"]),
                    "dnsmos_p808": float(out["p808_mos"]),
                }
            )
        return rows
