"""One F0 track per (audio, preparation), shared by the pyworld metrics, cached in the run's store;
one process pool per run; values identical to each metric computing pitch on its own; no torch."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import ztts_eval.metrics.common.f0 as f0
from tests.fakes.cli import DEMO, REPO
from ztts_eval.audio import load_audio
from ztts_eval.hashing import sha256_file
from ztts_eval.metrics.base import ScoreInput
from ztts_eval.metrics.common import cpu_pool
from ztts_eval.metrics.ttsds.audio import load_ttsds
from ztts_eval.metrics.ttsds.f0_dist_pyworld import PyworldF0Distance
from ztts_eval.metrics.ttsds.f0_pyworld import PyworldF0
from ztts_eval.metrics.ttsds.pitch import pitch_from_track, ttsds_mean_f0
from ztts_eval.metrics.ttsds.pitch_ttsds_lite import PitchTtsdsLite
from ztts_eval.pipeline.scoring import corpus_scores, score_samples
from ztts_eval.store import Store

CLIPS = sorted((DEMO / "audio").glob("*.flac"), key=lambda p: p.stat().st_size)  # shortest first: fast tests


def _inputs(paths, prefix):
    return [ScoreInput(f"{prefix}{i}", f"i{i}", 0, "en", "s", "t", p, sha256_file(p), None, None) for i, p in enumerate(paths)]


@pytest.fixture
def counted(monkeypatch):
    """pyworld runs in this process (so they can be counted), with an empty in-process memo."""
    calls = []
    real = f0.f0_track
    monkeypatch.setattr(cpu_pool, "default_workers", lambda: 1)
    monkeypatch.setattr(f0, "f0_track", lambda x, sr=f0.PITCH_SR: calls.append(len(x)) or real(x, sr))
    monkeypatch.setattr(f0, "_memo", type(f0._memo)())
    return calls


@pytest.mark.slow
def test_three_pitch_metrics_run_pyworld_twice_per_clip_not_three_times(tmp_path, counted):
    system, reference = _inputs(CLIPS[:4], "sys"), _inputs(CLIPS[4:7], "ref")
    store = Store(tmp_path / "cache")
    try:
        rows, _ = score_samples(PyworldF0(), system, store)
        dist, _ = corpus_scores(PyworldF0Distance(), system, reference, store)
        pitch_metric = PitchTtsdsLite()
        noise = {"ones": _inputs(CLIPS[7:9], "n1"), "zeros": _inputs(CLIPS[9:10], "n2")}  # small stand-in sets
        pitch_metric.extra_sets = lambda store: noise
        pitch, _ = corpus_scores(pitch_metric, system, reference, store)
    finally:
        store.close()
    # plain tracks: system + reference once (f0_dist reuses f0_pyworld's); TTSDS tracks: all three sets
    assert len(counted) == (4 + 3) + (4 + 3 + 3)
    for inp in system:  # the same numbers as computing each on its own
        direct = f0.mean_voiced_f0(f0.f0_track(load_audio(inp.audio_path, f0.PITCH_SR).samples))
        assert rows[inp.key]["f0_mean_pyworld"] == direct
    group = pitch[("s", "en")]
    assert group["status"] == "ok" and dist[("s", "en")]["status"] == "ok"


def test_tracks_come_back_from_the_store_in_a_new_process(tmp_path, counted, monkeypatch):
    inputs = _inputs(CLIPS[:5], "k")
    store = Store(tmp_path / "cache")
    try:
        first = f0.f0_tracks(inputs, load_ttsds, store)
        monkeypatch.setattr(f0, "_memo", type(f0._memo)())  # as if a new process
        n = len(counted)
        again = f0.f0_tracks(inputs, load_ttsds, store)
    finally:
        store.close()
    assert n == 5 and len(counted) == 5  # nothing recomputed
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert [ttsds_mean_f0(load_ttsds(i.audio_path)) for i in inputs] == [pitch_from_track(t) for t in again]


def test_one_pool_serves_every_batch_in_order_until_shutdown():
    cpu_pool.shutdown()
    jobs = [(load_ttsds, str(p)) for p in CLIPS[:6]]
    first = cpu_pool.cpu_map(f0._track_job, jobs, workers=2)
    pool = cpu_pool._pool
    second = cpu_pool.cpu_map(f0._track_job, jobs[::-1], workers=2)
    assert pool is not None and cpu_pool._pool is pool  # reused, not re-created per batch
    assert all(np.array_equal(a, b) for a, b in zip(first, second[::-1]))
    assert all(np.array_equal(a, f0._track_job(j)) for a, j in zip(first, jobs))  # input order kept
    cpu_pool.shutdown()
    assert not cpu_pool.pool_started()


@pytest.mark.slow
def test_lite_pitch_metrics_never_import_torch(tmp_path):
    code = f"""
import sys
from pathlib import Path
from ztts_eval.hashing import sha256_file
from ztts_eval.metrics.base import ScoreInput
from ztts_eval.metrics.ttsds.f0_pyworld import PyworldF0
from ztts_eval.metrics.ttsds.pitch_ttsds_lite import PitchTtsdsLite
from ztts_eval.pipeline.scoring import corpus_scores, score_samples
from ztts_eval.store import Store
clips = sorted(Path({str(DEMO / "audio")!r}).glob("*.flac"), key=lambda p: p.stat().st_size)
inp = [ScoreInput(f"k{{i}}", f"i{{i}}", 0, "en", "s", "t", p, sha256_file(p), None, None) for i, p in enumerate(clips)]
store = Store(Path({str(tmp_path)!r}) / "cache")
score_samples(PyworldF0(), inp[:6], store)
metric = PitchTtsdsLite()
metric.extra_sets = lambda store: {{"ones": inp[9:11], "zeros": inp[11:12]}}  # small stand-in noise sets
res, _ = corpus_scores(metric, inp[:6], inp[6:9], store)
assert res[("s", "en")]["status"] == "ok", res
print("torch" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
