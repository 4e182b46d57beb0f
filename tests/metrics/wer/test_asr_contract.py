"""Qwen3-ASR contract pieces that need no weights: raw-output parsing, batching, audio prep,
weights resolution and its one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ztts_eval.hub import WeightsMissingError, resolve_hf_model, weights_fingerprint
from ztts_eval.metrics.wer.qwen3_asr import SAMPLE_RATE, duration_batches, language_name, parse_raw_output, prepare_audio


def test_forced_language_output_is_the_text_and_repetitions_are_kept():
    looping = "hello " * 40
    lang, text = parse_raw_output(looping, "English")
    assert lang == "English" and text.split() == ["hello"] * 40  # no repetition collapsing


def test_stray_prefix_is_removed_even_when_forced():
    assert parse_raw_output("language English<asr_text>good morning", "English") == ("English", "good morning")


def test_unforced_output_yields_the_detected_language():
    assert parse_raw_output("language Chinese<asr_text>你好", None) == ("Chinese", "你好")
    assert parse_raw_output("language None<asr_text>", None) == ("", "")
    assert parse_raw_output("no tag at all", None) == ("", "no tag at all")
    assert parse_raw_output("", None) == ("", "")


def test_language_names_for_qwen3_asr():
    assert language_name("tl") == "Filipino" and language_name("zh") == "Chinese" and language_name("en") == "English"


def test_duration_batches_group_longest_first_within_budget():
    durations = [1.0, 10.0, 2.0, 9.0, 3.0]
    batches = duration_batches(durations, max_batch=2, max_batch_seconds=100)
    assert batches == [[1, 3], [4, 2], [0]]
    tight = duration_batches(durations, max_batch=8, max_batch_seconds=20)
    for b in tight:
        assert max(durations[i] for i in b) * len(b) <= 20 or len(b) == 1
    assert sorted(i for b in tight for i in b) == list(range(5))


def test_prepare_audio_pads_short_clips_and_rescales_overload():
    short = prepare_audio(np.ones(100, dtype=np.float32) * 0.1)
    assert short.size == SAMPLE_RATE // 2 and short[99] == pytest.approx(0.1) and short[100] == 0
    loud = prepare_audio(np.array([2.0, -4.0] * 8000, dtype=np.float32))
    assert np.max(np.abs(loud)) == pytest.approx(1.0)


def test_missing_weights_offline_is_one_line_naming_model_and_fix(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    with pytest.raises(WeightsMissingError) as err:
        resolve_hf_model("Qwen/Qwen3-ASR-1.7B", None, what="Qwen3-ASR", param_hint="pass --metric-param wer.model=DIR")
    msg = str(err.value)
    assert "\n" not in msg and "Qwen/Qwen3-ASR-1.7B" in msg and "huggingface-cli download" in msg and "wer.model" in msg


def test_missing_local_directory_is_reported(tmp_path):
    with pytest.raises(WeightsMissingError, match="does not exist"):
        resolve_hf_model(str(tmp_path / "nope"), None, what="Qwen3-ASR", param_hint="x")


def test_local_directory_and_hf_cache_snapshot_resolve(monkeypatch, tmp_path):
    local = tmp_path / "model"
    local.mkdir()
    (local / "config.json").write_text("{}")
    assert resolve_hf_model(str(local), None, what="m", param_hint="x") == (local.resolve(), None)
    # A pre-seeded Hugging Face cache serves a hub id offline, and the snapshot commit is recorded.
    hf_home = tmp_path / "hf"
    commit = "0123456789abcdef0123456789abcdef01234567"
    snap = hf_home / "hub" / "models--Org--tiny" / "snapshots" / commit
    snap.mkdir(parents=True)
    (snap / "config.json").write_text("{}")
    (hf_home / "hub" / "models--Org--tiny" / "refs").mkdir()
    (hf_home / "hub" / "models--Org--tiny" / "refs" / "main").write_text(commit)
    monkeypatch.setenv("HF_HOME", str(hf_home))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(hf_home / "hub"))
    path, resolved = resolve_hf_model("Org/tiny", None, what="m", param_hint="x")
    assert path == snap and resolved == commit


def test_weights_fingerprint_tracks_content(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"hidden": 16}))
    (tmp_path / "model.safetensors").write_bytes(b"\x02\x00\x00\x00\x00\x00\x00\x00{}")
    a = weights_fingerprint(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"hidden": 32}))
    assert weights_fingerprint(tmp_path) != a
