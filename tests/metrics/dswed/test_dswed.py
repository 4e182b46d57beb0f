"""DS-WED end to end on a tiny HuBERT of the real class: identical generations score 0, seed-varied
ones more; VAD trims leading silence; k-means files load safely."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.fakes.cli import DEMO, read_jsonl, run_cli
from tests.fakes.standins import make_tiny_hubert

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("dswed")
    hubert = make_tiny_hubert(root / "hubert")
    centres = root / "centres.npy"
    np.save(centres, np.random.default_rng(0).normal(size=(12, 16)).astype(np.float32))
    return hubert, centres


def _run(tmp_path, model, tiny, *extra):
    hubert, centres = tiny
    run_cli(
        "run",
        "--model",
        model,
        "--suite",
        "demo",
        "--profile",
        "ztts1",
        "--metrics",
        "dswed",
        "--results",
        str(tmp_path),
        "--no-report",
        "--metric-param",
        f"dswed.hubert={hubert}",
        "--metric-param",
        f"dswed.kmeans={centres}",
        *extra,
    )
    summary = json.loads((tmp_path / "demo" / model / "ztts1" / "summary.json").read_text())
    return {g["language"]: g["columns"]["dswed"] for g in summary["groups"]}


def test_identical_generations_score_zero(tmp_path, tiny):
    cols = _run(tmp_path, "espeak-ng", tiny)  # deterministic: both seeds give the same audio
    assert cols["en"]["value"] == 0.0 and cols["en"]["n"] == 16  # 8 items x 2 generations
    assert cols["de"]["value"] is None and cols["de"]["status"] == "not_covered"  # English only by default
    rows = read_jsonl(tmp_path / "demo" / "espeak-ng" / "ztts1" / "samples.jsonl")
    assert sorted({r["seed"] for r in rows}) == [0, 1]  # the runner generated the second seed itself
    log = (tmp_path / "demo" / "espeak-ng" / "ztts1" / "run.log").read_text()
    assert "seeds [0] -> [0, 1]" in log


def test_seed_varied_generations_score_above_zero_and_more_pairs(tmp_path, tiny):
    cols = _run(tmp_path, "test-tone", tiny, "--metric-param", "dswed.generations=3", "--metric-param", "dswed.languages=all")
    assert cols["en"]["value"] > 0 and cols["de"]["value"] > 0
    summary = json.loads((tmp_path / "demo" / "test-tone" / "ztts1" / "summary.json").read_text())
    assert summary["seeds"] == [0, 1, 2]


def test_vad_trims_leading_silence():
    from ztts_eval.audio import load_audio
    from ztts_eval.metrics.dswed.vad_trim import speech_span, trim

    x = load_audio(DEMO / "audio" / "lj002_0020.flac", 16000).samples
    padded = np.concatenate([np.zeros(16000, np.float32), x, np.zeros(8000, np.float32)])
    start, end = speech_span(padded)
    assert 15000 < start < 17000 and end <= 16000 + x.size + 1000
    assert trim(padded).size < padded.size - 20000
    assert speech_span(np.zeros(16000, np.float32)) is None
    silent = np.zeros(16000, np.float32)
    assert trim(silent) is silent  # nothing detected: kept whole


def test_kmeans_files_load_safely(tmp_path):
    import joblib
    from sklearn.cluster import KMeans

    from ztts_eval.metrics.common.kmeans_units import UnitsSetupError, assign, load_centres

    points = np.concatenate([np.eye(3) + 0.01 * k for k in range(5)]).astype(np.float32)
    km = KMeans(n_clusters=3, random_state=0, n_init=3).fit(points)  # the authors publish a joblib'd sklearn KMeans
    joblib.dump(km, tmp_path / "km.model")
    with pytest.raises(UnitsSetupError, match="trust_pickle=true"):
        load_centres(tmp_path / "km.model")
    centres = load_centres(tmp_path / "km.model", trust_pickle=True)
    probe = np.array([[0.9, 0.1, 0.0], [0.0, 0.2, 1.0]], dtype=np.float32)
    assert assign(probe, centres) == [int(i) for i in km.predict(probe)]  # same as sklearn's predict


def test_missing_kmeans_is_a_clear_error(tmp_path, tiny):
    hubert, _ = tiny
    proc = run_cli(
        "run",
        "--model",
        "espeak-ng",
        "--suite",
        "demo",
        "--metrics",
        "dswed",
        "--results",
        str(tmp_path),
        "--metric-param",
        f"dswed.hubert={hubert}",
        check=False,
    )
    assert proc.returncode == 2 and "dswed.kmeans=" in proc.stderr
