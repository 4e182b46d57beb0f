"""The adapter contract, parametrized over every registered adapter. API adapters run against a
loopback fake of their vendor (tests/fakes/vendor_server.py), with a throwaway key."""

from __future__ import annotations

import shutil
import sys

import numpy as np
import pytest

from model_adapters.base import AdapterError, SynthesisRequest
from tests.fakes.cli import DEMO
from tests.fakes.vendor_server import FakeVendorServer
from ztts_eval import registry

PROMPT_A = DEMO / "audio" / "libri2412_0000.flac"  # male reader
PROMPT_B = DEMO / "audio" / "lj002_0020.flac"  # female reader
REFERENCE = DEMO / "audio" / "libri2412_0001.flac"
ALL = sorted(registry.ADAPTERS)
VENDORS = {"elevenlabs": "elevenlabs", "cartesia": "cartesia", "fish-audio": "fish", "openai-speech": "openai"}
KEY = "contract-test-key-5d1e"
# Worker adapters run their real worker only in their own environment; here the tone worker stands in
# for the model so the adapter side (protocol, refusals, WAV hand-back) takes the same contract.
WORKERS = {"qwen3-tts", "zonos-v0.1"}


@pytest.fixture(scope="session")
def tiny_zonos2(tmp_path_factory):
    from tests.fakes.standins import make_tiny_zonos2

    return make_tiny_zonos2(tmp_path_factory.mktemp("zonos2-contract"))


DETERMINISTIC = [n for n in ALL if registry.adapter_class(n)().capabilities.deterministic]


@pytest.fixture
def make(monkeypatch, tiny_zonos2, tmp_path):
    servers, built = [], []

    def build(name: str, **params):
        cls = registry.adapter_class(name)
        if name in VENDORS:
            server = FakeVendorServer(VENDORS[name], KEY).__enter__()
            servers.append(server)
            monkeypatch.setenv(cls.key_env, KEY)
            params = {"base_url": server.base_url, "timeout_s": 5.0, **params}
        if name == "zonos2":  # our engine on a tiny random checkpoint in the release format
            params = {**{k: str(v) for k, v in tiny_zonos2.items()}, "device": "cpu", "max_frames": 40, **params}
        if name == "zonos2-server":
            from tests.fakes.zonos2_standins import FakeZonos2Server

            server = FakeZonos2Server(voice_dependent=True).__enter__()
            servers.append(server)
            params = {"base_url": server.url, "timeout_s": 5, **params}
        if name in WORKERS:
            params = {"python": sys.executable, "worker_module": "tests.fakes.tone_worker", **params}
        if name == "audio":  # existing files, one per item id the contract tests request
            for item in ("it-1", "fine"):
                shutil.copyfile(REFERENCE, tmp_path / f"{item}.flac")
            params = {"dir": str(tmp_path), "template": "{id}.flac", **params}
        adapter = cls(**params)
        adapter.load()
        built.append(adapter)
        return adapter

    yield build
    for adapter in built:
        adapter.close()
    for server in servers:
        server.__exit__(None, None, None)


def request(text="The birch canoe slid on the smooth planks.", prompt=PROMPT_A, seed=0, item="it-1", language="en"):
    return SynthesisRequest(
        item_id=item,
        text=text,
        language=language,
        prompt_audio=prompt,
        seed=seed,
        prompt_text="If the reader will excuse me.",
        reference_audio=REFERENCE,
    )


@pytest.mark.parametrize("name", ALL)
def test_finite_mono_float_audio(name, make):
    adapter = make(name)
    (res,) = adapter.synthesize([request()])
    assert res.ok, res.diagnostics.error
    assert res.waveform.dtype == np.float32 and res.waveform.ndim == 1 and res.waveform.size > 1000
    assert np.all(np.isfinite(res.waveform)) and np.max(np.abs(res.waveform)) > 1e-3
    assert isinstance(res.sample_rate, int) and 8000 <= res.sample_rate <= 48000
    assert res.diagnostics.duration_s == pytest.approx(res.waveform.size / res.sample_rate)


@pytest.mark.parametrize("name", DETERMINISTIC)
def test_same_seed_same_audio_where_claimed(name, make):
    adapter = make(name)
    a, b = adapter.synthesize([request(seed=3), request(seed=3)])
    assert np.array_equal(a.waveform, b.waveform)


# Recorded audio cannot react to the prompt: for ground truth and existing files (`audio`, whose
# cloning claim is a declaration about the system that wrote them) the claim is not testable here.
@pytest.mark.parametrize("name", [n for n in ALL if n not in ("ground-truth", "audio")])
def test_cloning_claim_matches_behaviour(name, make):
    """Two different prompts give measurably different audio iff the adapter claims cloning."""
    adapter = make(name)
    a, b = adapter.synthesize([request(prompt=PROMPT_A), request(prompt=PROMPT_B)])
    differ = a.waveform.shape != b.waveform.shape or float(np.max(np.abs(a.waveform - b.waveform))) > 1e-3
    assert differ == adapter.capabilities.zero_shot_cloning


@pytest.mark.parametrize("name", ALL)
def test_empty_and_overlong_text_are_per_item_errors(name, make):
    adapter = make(name)
    limit = adapter.capabilities.max_text_chars
    results = adapter.synthesize(
        [request(text="  ", item="empty"), request(item="fine"), request(text="a" * (limit + 1), item="long")]
    )
    assert [r.item_id for r in results] == ["empty", "fine", "long"]
    assert results[0].diagnostics.error == "empty text" and results[0].waveform is None
    assert results[1].ok
    assert "at most" in results[2].diagnostics.error


def test_unsupported_language_is_declared_not_crashed(make):
    (res,) = make("flite").synthesize([request(language="de", text="Guten Morgen")])
    assert res.diagnostics.error_kind == "unsupported" and "de" in res.diagnostics.error


def test_ground_truth_returns_the_reference_or_says_unavailable(make):
    from ztts_eval.audio import read_audio

    gt = make("ground-truth")
    ok, missing = gt.synthesize([request(), SynthesisRequest("x", "text", "en", PROMPT_A)])
    assert np.array_equal(ok.waveform, read_audio(REFERENCE).samples)
    assert missing.diagnostics.error_kind == "unavailable"


def test_test_tone_seed_changes_audio_and_fail_ids_fail_one_item():
    adapter = registry.adapter_class("test-tone")(fail_ids="bad")
    a, b, bad = adapter.synthesize([request(seed=0), request(seed=1), request(item="bad")])
    assert not np.array_equal(a.waveform, b.waveform)
    assert bad.diagnostics.error_kind == "failed" and "fail_ids" in bad.diagnostics.error


@pytest.mark.parametrize("name,binary", [("espeak-ng", "espeak-ng"), ("flite", "flite")])
def test_missing_binary_is_one_line_with_the_fix(name, binary, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(AdapterError) as err:
        registry.adapter_class(name)().load()
    message = str(err.value)
    assert "\n" not in message and f"apt-get install {binary}" in message
