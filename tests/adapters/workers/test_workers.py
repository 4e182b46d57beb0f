"""Worker-backed local adapters (Qwen3-TTS, Zonos v0.1): the protocol and its failure handling,
with the tone worker standing in for the model (the real ones need their own environments)."""

from __future__ import annotations

import sys

import pytest

from model_adapters.base import AdapterError, SynthesisRequest
from model_adapters.workers import environments as envs
from model_adapters.workers.qwen3_tts import Qwen3TtsAdapter
from model_adapters.workers.zonos_v01 import ZonosV01Adapter
from tests.fakes.cli import DEMO, run_cli

PROMPT = DEMO / "audio" / "lj002_0020.flac"


def req(text="Hello there.", item="a", seed=0, language="en"):
    return SynthesisRequest(item, text, language, PROMPT, prompt_text="In eighteen thirteen.", seed=seed)


def adapter(**params):
    a = Qwen3TtsAdapter(python=sys.executable, worker_module="tests.fakes.tone_worker", **params)
    a.load()
    return a


def test_a_crashed_worker_fails_only_its_batch_and_is_restarted():
    a = adapter()
    try:
        crashed = a.synthesize([req(), req("crash-the-worker", item="b")])
        assert all(r.diagnostics.error and "worker" in r.diagnostics.error for r in crashed)
        after = a.synthesize([req(item="c")])  # a fresh worker serves the next batch
        assert after[0].ok and after[0].sample_rate == 16000
    finally:
        a.close()


def test_per_item_errors_and_refusals_are_rows():
    a = adapter()
    try:
        ok, bad, unsupported = a.synthesize([req(), req("raise", item="b"), req(language="th", item="c")])
        assert ok.ok and "per-item failure requested" in bad.diagnostics.error
        assert unsupported.diagnostics.error_kind == "unsupported"  # Qwen3-TTS covers 10 languages
    finally:
        a.close()


def test_fingerprint_records_the_worker_and_its_environment():
    a = adapter(temperature=0.7)
    try:
        fp = a.fingerprint()
        assert fp["worker"]["worker"] == "tone" and "temperature" in fp["worker"]["params_seen"]
        assert fp["params"]["model"] == "Qwen/Qwen3-TTS-12Hz-1.7B-Base"
    finally:
        a.close()


def test_init_failure_and_missing_environment_are_one_line(tmp_path, monkeypatch):
    with pytest.raises(AdapterError, match="init failure requested"):
        adapter(fail_init=True)
    monkeypatch.setenv("ZTTS_EVAL_ENVS", str(tmp_path))
    for cls, name in ((Qwen3TtsAdapter, "qwen3-tts"), (ZonosV01Adapter, "zonos-v0.1")):
        with pytest.raises(AdapterError) as err:
            cls().load()
        assert "\n" not in str(err.value) and f"ztts-eval env create {name}" in str(err.value)


def test_env_command(tmp_path):
    out = run_cli("env", "ls", env={"ZTTS_EVAL_ENVS": str(tmp_path)}).stdout
    assert "qwen3-tts" in out and "not created" in out
    proc = run_cli("env", "create", "zonos-v0.1", check=False, env={"ZTTS_EVAL_ENVS": str(tmp_path)})
    assert proc.returncode == 2 and "--source" in proc.stderr
    with pytest.raises(ValueError, match="unknown environment"):
        envs.create("nope")


def test_run_through_a_worker_adapter(tmp_path):
    run_cli(
        "run",
        "--model",
        "qwen3-tts",
        "--suite",
        "demo",
        "--results",
        str(tmp_path),
        "--metrics",
        "f0_pyworld",
        "--param",
        f"python={sys.executable}",
        "--param",
        "worker_module=tests.fakes.tone_worker",
        "--no-report",
    )
    import json

    summary = json.loads((tmp_path / "demo" / "qwen3-tts" / "lite" / "summary.json").read_text())
    en = next(g for g in summary["groups"] if g["language"] == "en")
    assert en["n_ok"] == 8 and summary["published_name"] == "Qwen 3 TTS 1.7B"
