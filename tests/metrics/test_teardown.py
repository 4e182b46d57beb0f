"""Models are released after their metric's stage: "one model loaded at a time" holds for memory.

The pipeline calls `teardown()` once per stage (a whole-set metric's system, reference and noise
sets share one load), and the metrics that load a model drop every reference to it there.
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import Any

from tests.fakes.cli import DEMO
from ztts_eval.hashing import sha256_file
from ztts_eval.metrics.base import Column, CorpusMetric, MetricInfo, ScoreInput
from ztts_eval.metrics.quality.dnsmos import Dnsmos
from ztts_eval.metrics.sim.sim_resemblyzer import ResemblyzerSim
from ztts_eval.metrics.wer.wer_pocketsphinx import PocketsphinxWer
from ztts_eval.pipeline.scoring import corpus_scores, score_samples
from ztts_eval.store import Store


def _inputs(n: int, prefix: str, start: int = 0) -> list[ScoreInput]:
    clips = sorted((DEMO / "audio").glob("*.flac"))[start : start + n]  # distinct files: no cache hits
    return [
        ScoreInput(f"{prefix}{i}", f"item{i}", 0, "en", "s", "hello", p, sha256_file(p), p, sha256_file(p))
        for i, p in enumerate(clips)
    ]


class CountingCorpus(CorpusMetric):
    """A whole-set metric with a "model" whose loads and releases are counted."""

    info = MetricInfo("counting", "1", "corpus", (Column("c", True),), ("audio", "reference_set"), "x", "lite", "lite")
    batch_size = 2

    def __init__(self) -> None:
        super().__init__()
        self.model: Any = None
        self.loads = self.releases = 0

    def setup(self) -> None:
        if self.model is None:
            self.model, self.loads = object(), self.loads + 1

    def teardown(self) -> None:
        self.release("model")
        self.releases += 1

    def extra_sets(self, store) -> dict[str, list[ScoreInput]]:
        return {"noise": _inputs(2, "noise:", start=6)}

    def features(self, inputs: list[ScoreInput]) -> list[Any]:
        assert self.model is not None
        return [1.0 for _ in inputs]

    def compute(self, system, reference, inputs, noise=None) -> dict[str, Any]:
        return {"c": float(len(system))}


def test_a_whole_set_metric_loads_once_for_its_three_sets_and_is_released_after(tmp_path):
    metric, store = CountingCorpus(), Store(tmp_path / "cache")
    try:
        results, stats = corpus_scores(metric, _inputs(3, "sys:"), _inputs(3, "ref:", start=3), store)
    finally:
        store.close()
    assert stats.computed == 3 + 3 + 2
    assert (metric.loads, metric.releases) == (1, 1)
    assert metric.model is None
    assert results[("s", "en")]["c"] == 3.0


def check_released(metric, attr: str, tmp_path: Path) -> None:
    store = Store(tmp_path / "cache")
    try:
        seen = []
        original = metric.setup

        def setup_and_watch():
            original()
            seen.append(getattr(metric, attr))  # the only reference besides the metric's

        metric.setup = setup_and_watch
        rows, _ = score_samples(metric, _inputs(1, "k"), store)
    finally:
        store.close()
    assert rows["k0"]["status"] == "ok"
    gc.collect()
    assert getattr(metric, attr) is None
    refs = sys.getrefcount(seen[0])  # outside the assert: pytest's rewriting keeps temporaries
    assert len(seen) == 1 and refs == 2  # our list's + the call's: nothing else holds the model


def test_resemblyzer_encoder_is_freed_after_scoring(tmp_path):
    check_released(ResemblyzerSim(), "_encoder", tmp_path)


def test_pocketsphinx_decoder_is_freed_after_scoring(tmp_path, monkeypatch):
    monkeypatch.setattr(PocketsphinxWer, "process_parallel", False)  # scored here, not in pool workers
    check_released(PocketsphinxWer(), "_decoder", tmp_path)


def test_dnsmos_sessions_are_freed_after_scoring(tmp_path):
    metric = Dnsmos()
    metric.setup()  # the installed package's module, even when UTMOS22's hub code took the name earlier
    module = metric._dnsmos
    store = Store(tmp_path / "cache")
    try:
        rows, _ = score_samples(metric, _inputs(1, "k"), store)
    finally:
        store.close()
    assert rows["k0"]["status"] == "ok"
    assert module.dnsmos is None  # the package's global ONNX sessions


def test_dnsmos_loads_after_utmos22_hub_code_took_the_speechmos_name(tmp_path, monkeypatch):
    # UTMOS22's repository (tarepan/SpeechMOS) is a package named `speechmos` too; a run that
    # scored utmos22 first left it in sys.modules, and DNSMOS's import then failed
    import sys
    import types

    fake = types.ModuleType("speechmos")
    fake.__file__ = str(tmp_path / "SpeechMOS" / "speechmos" / "__init__.py")
    monkeypatch.setitem(sys.modules, "speechmos", fake)
    metric = Dnsmos()
    metric.setup()
    try:
        assert metric._dnsmos.__name__ == "speechmos.dnsmos" and hasattr(metric._dnsmos, "run")
    finally:
        metric.teardown()
