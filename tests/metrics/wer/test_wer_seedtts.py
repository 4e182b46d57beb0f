"""wer_seedtts: Whisper (tiny checkpoint in the real save_pretrained layout) and Paraformer (worker
protocol, driven by a stand-in worker) scored with seed-tts-eval's run_wer.py rules."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
import soundfile as sf

from tests.fakes.upstream_seedtts import upstream_wer
from ztts_eval.metrics.base import MetricSetupError, ScoreInput
from ztts_eval.store import Store

pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def whisper_dir(tmp_path_factory):
    from tests.fakes.tiny_whisper import make_tiny_whisper

    return make_tiny_whisper(tmp_path_factory.mktemp("whisper") / "whisper-large-v3")


def inp(path, language, text, sha):
    return ScoreInput(
        key=f"{sha}#0",
        item_id=sha,
        seed=0,
        language=language,
        subset=language,
        text=text,
        audio_path=path,
        audio_sha256=sha,
        prompt_path=None,
        prompt_sha256=None,
    )


def upstream_en(whisper_dir, path) -> str:
    """seed-tts-eval run_wer.py's English branch, call for call (one file, forced English)."""
    import scipy.signal
    from transformers import WhisperForConditionalGeneration, WhisperProcessor

    processor = WhisperProcessor.from_pretrained(whisper_dir)
    model = WhisperForConditionalGeneration.from_pretrained(whisper_dir)
    wav, sr = sf.read(path)
    if sr != 16000:
        wav = scipy.signal.resample(wav, int(len(wav) * 16000 / sr))
    feats = processor(wav, sampling_rate=16000, return_tensors="pt").input_features
    ids = model.generate(feats, forced_decoder_ids=processor.get_decoder_prompt_ids(language="english", task="transcribe"))
    return processor.batch_decode(ids, skip_special_tokens=True)[0]


def test_english_follows_run_wer_and_caches_transcripts(whisper_dir, tmp_path):
    from ztts_eval.metrics.wer.wer_seedtts import SeedTtsWer

    t = np.arange(36000) / 24000
    sf.write(tmp_path / "a.wav", 0.3 * np.sin(2 * np.pi * 200 * t), 24000)  # resampled by scipy's FFT resample
    sf.write(tmp_path / "b.wav", np.random.default_rng(1).normal(size=20000) * 0.1, 16000)
    inputs = [inp(tmp_path / "a.wav", "en", "Hello, World! It's me.", "a"), inp(tmp_path / "b.wav", "en", "x y", "b")]
    metric = SeedTtsWer(whisper=str(whisper_dir), zh="off", device="cpu")
    metric.preflight()
    assert metric.fingerprint()["paraformer"] == "off" and metric.fingerprint()["whisper"]["model"] == "local-directory"
    store = Store(tmp_path / "store.sqlite")
    metric.bind_store(store)
    rows = metric.score_batch(inputs)
    for row, i in zip(rows, inputs):
        want = upstream_en(whisper_dir, i.audio_path)
        assert row["status"] == "ok" and row["hyp_raw"] == want and want
        assert row["wer_seedtts"] == pytest.approx(100 * upstream_wer(want, i.text, "en")[0])
        assert row["asr_judge"] == "whisper" and row["normalizer"].startswith("ztts-norm-") and "/seedtts" in row["normalizer"]
    assert rows[0]["ref_norm"] == "hello world it's me"
    assert metric.counters == {"transcripts_computed": 2, "transcripts_cached": 0}
    again = SeedTtsWer(whisper=str(whisper_dir), zh="off", device="cpu")
    again.preflight()
    again.bind_store(store)
    assert again.score_batch(inputs) == rows and again.counters["transcripts_cached"] == 2


def test_chinese_goes_to_the_paraformer_worker(whisper_dir, tmp_path):
    from ztts_eval.metrics.wer.wer_seedtts import SeedTtsWer

    model = tmp_path / "paraformer-zh"
    model.mkdir()
    (model / "transcripts.json").write_text(json.dumps({"z1.wav": "今天天氣很好", "z2.wav": "你好"}), encoding="utf-8")
    for name in ("z1.wav", "z2.wav", "z3.wav", "e.wav", "j.wav"):
        sf.write(tmp_path / name, np.zeros(8000), 16000)
    sf.write(tmp_path / "stereo.wav", np.zeros((8000, 2)), 16000)
    metric = SeedTtsWer(whisper=str(whisper_dir), paraformer=str(model), paraformer_python=sys.executable, device="cpu")
    metric.paraformer.worker_module = "tests.fakes.paraformer_standin"
    metric.preflight()
    try:
        rows = metric.score_batch(
            [
                inp(tmp_path / "z1.wav", "zh", "今天天气很好。", "z1"),
                inp(tmp_path / "z2.wav", "zh", "你好吗", "z2"),
                inp(tmp_path / "z3.wav", "zh", "不在表里", "z3"),  # the worker fails this item only
                inp(tmp_path / "e.wav", "en", "hi", "e"),
                inp(tmp_path / "stereo.wav", "en", "hi", "s"),
                inp(tmp_path / "j.wav", "ja", "こんにちは", "j"),  # CV3-Eval: Whisper, forced language, characters
            ]
        )
        info = metric.paraformer.info()
    finally:
        metric.teardown()
    assert info["funasr"] == "stand-in"
    assert rows[0]["status"] == "ok" and rows[0]["wer_seedtts"] == 0.0  # zhconv on the hypothesis: 氣 → 气
    assert rows[0]["hyp_raw"] == "今天天氣很好" and rows[0]["unit"] == "char" and rows[0]["asr_judge"] == "paraformer"
    assert rows[1]["wer_seedtts"] == pytest.approx(100 * upstream_wer("你好", "你好吗", "zh")[0])
    assert rows[2]["status"] == "error" and "Paraformer-zh: KeyError" in rows[2]["error"]
    assert rows[3]["status"] == "ok" and rows[3]["asr_judge"] == "whisper"
    assert rows[4]["status"] == "error" and "2 channels" in rows[4]["error"]
    assert rows[5]["asr_judge"] == "whisper" and rows[5]["unit"] == "char" and rows[5]["N"] == 5


def test_zh_off_marks_chinese_not_covered(whisper_dir, tmp_path):
    from ztts_eval.metrics.wer.wer_seedtts import SeedTtsWer

    sf.write(tmp_path / "z.wav", np.zeros(8000), 16000)
    metric = SeedTtsWer(whisper=str(whisper_dir), zh="off", device="cpu")
    metric.preflight()
    [row] = metric.score_batch([inp(tmp_path / "z.wav", "zh", "你好", "z")])
    assert row["status"] == "not_covered" and "zh=off" in row["reason"]


def test_missing_pieces_are_one_line_fixes(whisper_dir, tmp_path, monkeypatch):
    from ztts_eval.metrics.wer.wer_seedtts import SeedTtsWer

    monkeypatch.setenv("ZTTS_EVAL_ENVS", str(tmp_path / "envs"))
    (tmp_path / "pf").mkdir()
    with pytest.raises(MetricSetupError) as exc:
        SeedTtsWer(whisper=str(whisper_dir), paraformer=str(tmp_path / "pf")).preflight()
    msg = str(exc.value)
    assert "ztts-eval env create paraformer-zh" in msg and "wer_seedtts.zh=off" in msg and "\n" not in msg
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(MetricSetupError, match="HF_HUB_OFFLINE.*wer_seedtts.whisper="):
        SeedTtsWer(whisper="ztts-eval-test/no-such-whisper", zh="off").preflight()
