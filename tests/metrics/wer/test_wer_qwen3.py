"""Qwen3-ASR WER end to end on CPU, against a tiny checkpoint of the real architecture built here
(the hub is unreachable): the real `qwen-asr` loading and decoding code runs unmodified."""

from __future__ import annotations

import json

import pytest

from tests.fakes.cli import DEMO, read_jsonl, run_cli
from tests.fakes.tiny_qwen3_asr import make_tiny_qwen3_asr
from ztts_eval.audio import load_audio

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny_asr(tmp_path_factory):
    return make_tiny_qwen3_asr(tmp_path_factory.mktemp("qwen3-asr-tiny"))


def test_transcriber_loads_from_a_directory_and_transcribes(tiny_asr, monkeypatch):
    from qwen_asr import Qwen3ASRModel

    from ztts_eval.metrics.wer.qwen3_asr import Qwen3Transcriber

    contexts = []
    original = Qwen3ASRModel._infer_asr

    def spy(self, ctx, wavs, langs):
        contexts.extend(ctx)
        return original(self, ctx, wavs, langs)

    monkeypatch.setattr(Qwen3ASRModel, "_infer_asr", spy)
    t = Qwen3Transcriber(model=str(tiny_asr), max_new_tokens=8)
    clips = [load_audio(DEMO / "audio" / name, 16000).samples for name in ("lj002_0020.flac", "libri2412_0000.flac")]
    first = t.transcribe(clips, ["en", "en"])
    again = t.transcribe(clips, ["en", "en"])
    assert [type(x.text) for x in first] == [str, str] and all(x.text for x in first)
    assert [x.language for x in first] == ["English", "English"]
    assert all(isinstance(x.detected_language, str) for x in first)
    assert [x.raw for x in first] == [x.raw for x in again]  # greedy: deterministic
    assert contexts and set(contexts) == {""}  # the target text is never given to the judge
    fp = t.fingerprint()
    assert fp["model"] == "local-directory" and fp["repetition_collapse"] is False and len(fp["weights"]) == 64


def test_ztts1_profile_runs_the_wer_stage_from_a_local_directory(tiny_asr, tmp_path):
    run_cli(
        "run",
        "--profile",
        "ztts1",
        "--metrics",
        "wer",
        "--model",
        "espeak-ng",
        "--suite",
        "demo",
        "--results",
        str(tmp_path),
        "--metric-param",
        f"wer.model={tiny_asr}",
        "--metric-param",
        "wer.max_new_tokens=8",
        "--no-report",
    )
    out = tmp_path / "demo" / "espeak-ng" / "ztts1"
    rows = read_jsonl(out / "samples.jsonl")
    assert len(rows) == 14
    for r in rows:
        w = r["scores"]["wer"]
        assert w["status"] == "ok" and w["wer"] >= 0 and isinstance(w["asr_raw"], str)
        assert w["unit"] == ("char" if r["language"] == "zh" else "word")
        assert w["asr_language"] == {"en": "English", "de": "German", "fr": "French", "zh": "Chinese"}[r["language"]]
        assert "asr_detected_language" in w and w["normalizer"].startswith("ztts-norm-")
    summary = json.loads((out / "summary.json").read_text())
    langs = {g["language"]: g["columns"]["wer"] for g in summary["groups"]}
    assert set(langs) == {"en", "de", "fr", "zh"} and all(
        c["value"] is not None and c["corpus"] is not None for c in langs.values()
    )
    meta = json.loads((out / "run.json").read_text())
    assert meta["metrics"]["wer"]["transcriber"]["backend"] == "qwen-asr-0.0.6/transformers"
    assert meta["metric_params"]["wer"]["model"] == str(tiny_asr)


def test_normalizer_bump_rescores_from_cached_transcripts(tiny_asr, tmp_path, monkeypatch):
    from ztts_eval.metrics.wer import text_norm
    from ztts_eval.metrics.wer.qwen3_asr import Qwen3Transcriber
    from ztts_eval.pipeline.runner import RunConfig, run_evaluation

    cfg = RunConfig(
        model="test-tone",
        suite="demo",
        profile="ztts1",
        metrics=["wer"],
        results_dir=tmp_path,
        metric_params={"wer": {"model": str(tiny_asr), "max_new_tokens": "8"}},
    )
    first = run_evaluation(cfg).stages["score:wer"]
    assert first.extra["transcripts_computed"] == 14

    monkeypatch.setattr(text_norm, "NORMALIZER_VERSION", "999-test")

    def refuse_to_load(self):
        raise AssertionError("the ASR model must not be loaded when every transcript is cached")

    monkeypatch.setattr(Qwen3Transcriber, "load", refuse_to_load)
    second = run_evaluation(cfg).stages["score:wer"]
    assert second.computed == 14 and second.extra == {"transcripts_computed": 0, "transcripts_cached": 14}
    log = (tmp_path / "demo" / "test-tone" / "ztts1" / "run.log").read_text()
    assert "transcripts_computed 0, transcripts_cached 14" in log
    rows = read_jsonl(tmp_path / "demo" / "test-tone" / "ztts1" / "samples.jsonl")
    assert all(r["scores"]["wer"]["normalizer"].startswith("ztts-norm-999-test/") for r in rows)


def test_without_weights_the_run_stops_before_any_work(tmp_path):
    proc = run_cli(
        "run",
        "--profile",
        "ztts1",
        "--model",
        "espeak-ng",
        "--suite",
        "demo",
        "--results",
        str(tmp_path),
        check=False,
        env={"HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "empty-hf")},
    )
    assert proc.returncode == 2
    lines = [l for l in proc.stderr.splitlines() if l.strip()]
    # every missing piece at once (one line each, after one header line), the ASR among them with its fix
    assert "missing piece(s), nothing was run" in lines[0] and not (tmp_path / "demo").exists()
    wer = [l for l in lines[1:] if l.strip().startswith("metric wer:")]
    assert len(wer) == 1 and "Qwen/Qwen3-ASR-1.7B" in wer[0] and "wer.model" in wer[0]
    assert not any("Traceback" in l for l in lines)
    assert not (tmp_path / "demo").exists()


def test_overlong_audio_is_refused_not_chunked(tiny_asr, tmp_path):
    from ztts_eval.hashing import sha256_file
    from ztts_eval.metrics.base import ScoreInput
    from ztts_eval.metrics.wer.wer_qwen3 import Qwen3Wer

    m = Qwen3Wer(model=str(tiny_asr), max_new_tokens=8, max_seconds=2.0)
    path = DEMO / "audio" / "libri2412_0000.flac"  # 11.7 s
    inp = ScoreInput("k", "k", 0, "en", "t", "some text", path, sha256_file(path), None, None)
    (row,) = m.score_batch([inp])
    assert row["status"] == "error" and "never chunked" in row["error"]
