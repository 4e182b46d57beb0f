"""The four API adapters against a loopback fake of each vendor: wire shapes, cloning, retries, errors, key hygiene.

Every test goes through the real HTTP path (urllib to 127.0.0.1) with tiny timeouts and backoffs,
so the file stays fast yet still proves the waits: a Retry-After of 1 s must delay the retry by at
least 1 s although the jittered backoff alone is capped at 50 ms.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import msgpack
import numpy as np
import pytest
import soundfile as sf

from model_adapters.base import AdapterError
from model_adapters.vendors.audio import as_wav, decode_audio, read_prompt
from model_adapters.vendors.cartesia import CartesiaAdapter
from model_adapters.vendors.elevenlabs import ElevenLabsAdapter
from model_adapters.vendors.fish_audio import FishAudioAdapter, msgpack_dumps
from model_adapters.vendors.openai_speech import OpenAISpeechAdapter
from model_adapters.vendors.transport import MalformedAudio, retry_after_seconds
from tests.fakes.vendor_server import FakeVendorServer, wav_bytes
from tests.fakes.vendor_specs import PROMPT_A, PROMPT_B, SPECS, req
from ztts_eval.languages import LANGUAGES

KEY = "zt-secret-7f3c9a1e5b2d4c6f8e0a91"  # distinctive, so a leak anywhere is found by substring
FAST = {"timeout_s": 0.5, "max_attempts": 3, "backoff_base_s": 0.01, "backoff_cap_s": 0.05, "max_total_wait_s": 5.0}


@pytest.fixture
def server(vendor: str) -> Iterator[FakeVendorServer]:
    with FakeVendorServer(vendor, KEY) as srv:
        yield srv
    assert srv.problems == [], "requests did not match the vendor's documented shape"


def make(vendor: str, srv: FakeVendorServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **kw: Any) -> Any:
    monkeypatch.setenv(SPECS[vendor].env, KEY)
    adapter = SPECS[vendor].cls(**{"base_url": srv.base_url, "voice_cache": str(tmp_path / "voices.json"), **FAST, **kw})
    adapter.load()
    return adapter


def same_audio(wav: bytes, path: Path) -> bool:
    got, sr_got = sf.read(io.BytesIO(wav))
    want, sr_want = sf.read(path)
    return sr_got == sr_want and np.array_equal(got, want)


def uploads_are_the_prompts(uploads: list[bytes]) -> bool:
    """One upload per distinct prompt, in whichever order the concurrent items got there."""
    return all(sorted(same_audio(u, p) for u in uploads) == [False, True] for p in (PROMPT_A, PROMPT_B))


def check_wire(vendor: str, srv: FakeVendorServer) -> None:
    """Path, headers and fields of the success-path batch [a1 (A, seed 1), a2 (A, seed 2), b1 (B, seed 0)]."""
    tts, clones = srv.of_kind("tts"), srv.of_kind("clone")
    for seen in srv.requests:
        if vendor == "elevenlabs":
            assert seen.headers["xi-api-key"] == KEY and "authorization" not in seen.headers
        else:
            assert seen.headers["authorization"] == f"Bearer {KEY}"
    bodies = sorted((r.json or r.packed for r in tts), key=lambda d: d.get("seed", 0))
    if vendor == "elevenlabs":
        assert len(clones) == 2 and all(c.path == "/v1/voices/add" and c.form["name"][0].startswith("ztts-eval-") for c in clones)
        assert uploads_are_the_prompts([c.files["files"][0] for c in clones])
        assert all(json.loads(c.form["labels"][0])["language"] == "en" for c in clones)
        assert all(r.query["output_format"] == ["wav_24000"] for r in tts)
        assert [b["seed"] for b in bodies] == [0, 1, 2]
        assert all(b["model_id"] == "eleven_v3" and b["language_code"] == "en" for b in bodies)
        assert all(b["text"].startswith("The birch") for b in bodies)
        assert {r.path for r in tts} == {f"/v1/text-to-speech/{v}" for v in ("elevenlabs-voice-1", "elevenlabs-voice-2")}
    elif vendor == "cartesia":
        assert all(r.headers["cartesia-version"] == "2026-08-14" for r in srv.requests)
        assert len(clones) == 2 and all(c.form["language"] == ["en"] for c in clones)
        assert all(c.form["name"][0].startswith("ztts-eval-") for c in clones)
        assert uploads_are_the_prompts([c.files["clip"][0] for c in clones])
        assert all(
            b["model_id"] == "sonic-3.5-2026-05-04"
            and b["language"] == "en"
            and b["transcript"].startswith("The birch")
            and b["output_format"] == {"container": "raw", "encoding": "pcm_f32le", "sample_rate": 44100}
            for b in bodies
        )
        assert sorted(Counter(b["voice"]["id"] for b in bodies).values()) == [1, 2]
    elif vendor == "fish":
        assert clones == [] and all(r.headers["model"] == "s2-pro" for r in tts)
        assert all(r.headers["content-type"] == "application/msgpack" for r in tts)
        assert all(b["format"] == "wav" and b["sample_rate"] == 44100 and b["text"].startswith("The birch") for b in bodies)
        assert all(b["references"][0]["text"] == "A transcript of the prompt." for b in bodies)
        assert sorted(same_audio(b["references"][0]["audio"], PROMPT_A) for b in bodies) == [False, True, True]
    else:
        assert clones == [] and all(r.path == "/v1/audio/speech" for r in tts)
        assert all(
            b["model"] == "gpt-4o-mini-tts"
            and b["voice"] == "alloy"
            and b["response_format"] == "wav"
            and b["input"].startswith("The birch")
            and "ref_audio" not in b
            for b in bodies
        )


def test_success_path_audio_wire_and_clone_cache(vendor: str, server: FakeVendorServer, monkeypatch, tmp_path) -> None:
    adapter = make(vendor, server, monkeypatch, tmp_path)
    results = adapter.synthesize([req("a1", seed=1), req("a2", seed=2), req("b1", prompt=PROMPT_B)])
    assert [r.item_id for r in results] == ["a1", "a2", "b1"]
    for res in results:
        assert res.ok, res.diagnostics.error
        assert res.waveform.dtype == np.float32 and res.waveform.ndim == 1 and res.waveform.size > 1000
        assert np.all(np.isfinite(res.waveform)) and np.max(np.abs(res.waveform)) > 0.1
        assert res.sample_rate == SPECS[vendor].rate
        assert res.diagnostics.duration_s == pytest.approx(res.waveform.size / res.sample_rate)
    check_wire(vendor, server)
    a1, a2, b1 = (r.waveform for r in results)
    assert np.array_equal(a1, a2)  # same prompt, same voice
    assert (a1.shape != b1.shape or not np.allclose(a1, b1, atol=1e-3)) == adapter.capabilities.zero_shot_cloning
    if SPECS[vendor].uploads:  # a fresh adapter over the same cache file uploads nothing
        cache = json.loads((tmp_path / "voices.json").read_text())
        assert set(next(iter(cache.values()))) == {read_prompt(PROMPT_A)[1], read_prompt(PROMPT_B)[1]}
        again = make(vendor, server, monkeypatch, tmp_path)
        assert again.synthesize([req("a3")])[0].ok
        assert len(server.of_kind("clone")) == 2 and len(server.of_kind("tts")) == 4


def test_429_with_retry_after_is_honoured(vendor: str, server: FakeVendorServer, monkeypatch, tmp_path) -> None:
    server.fail("429", retry_after="1")
    (res,) = make(vendor, server, monkeypatch, tmp_path).synthesize([req()])
    assert res.ok, res.diagnostics.error
    first, second = server.of_kind("tts")
    assert second.t - first.t >= 1.0  # the jittered backoff alone could not reach this (cap 50 ms)


def test_500_then_success(vendor: str, server: FakeVendorServer, monkeypatch, tmp_path) -> None:
    server.fail("500")
    (res,) = make(vendor, server, monkeypatch, tmp_path).synthesize([req()])
    assert res.ok, res.diagnostics.error
    assert len(server.of_kind("tts")) == 2


def test_timeout_then_success(vendor: str, server: FakeVendorServer, monkeypatch, tmp_path) -> None:
    server.fail("stall", stall_s=2.0)
    (res,) = make(vendor, server, monkeypatch, tmp_path, timeout_s=0.3).synthesize([req()])
    assert res.ok, res.diagnostics.error
    assert len(server.of_kind("tts")) == 2 and res.diagnostics.latency_s >= 0.3


def test_malformed_body_is_a_per_item_error(vendor: str, server: FakeVendorServer, monkeypatch, tmp_path) -> None:
    server.fail("malformed")
    bad, good = make(vendor, server, monkeypatch, tmp_path, max_concurrency=1).synthesize([req("bad"), req("good")])
    assert bad.waveform is None and bad.diagnostics.error_kind == "failed" and "MalformedAudio" in bad.diagnostics.error
    assert good.ok and len(server.of_kind("tts")) == 2  # a malformed 200 is not retried


def test_401_is_a_clear_per_item_error(vendor: str, server: FakeVendorServer, monkeypatch, tmp_path) -> None:
    server.fail("401", on="any", echo_key=True)  # the fake quotes the key back, as some APIs do
    (res,) = make(vendor, server, monkeypatch, tmp_path).synthesize([req()])
    error = res.diagnostics.error
    assert not res.ok and "HTTP 401" in error and SPECS[vendor].env in error and "Invalid API key" in error
    assert KEY not in error and "[redacted]" in error
    assert len(server.requests) == 1  # an auth failure is not retried


def test_missing_key_stops_at_load_naming_the_variable(vendor: str, server: FakeVendorServer, tmp_path) -> None:
    adapter = SPECS[vendor].cls(base_url=server.base_url, **FAST)
    with pytest.raises(AdapterError) as err:
        adapter.load()
    assert SPECS[vendor].env in str(err.value) and "\n" not in str(err.value)
    assert server.requests == []


def test_empty_text_is_a_per_item_error(vendor: str, server: FakeVendorServer, monkeypatch, tmp_path) -> None:
    empty, fine = make(vendor, server, monkeypatch, tmp_path).synthesize([req("empty", text="  "), req("fine")])
    assert empty.diagnostics.error == "empty text" and empty.waveform is None and fine.ok
    assert len(server.of_kind("tts")) == 1


def test_key_never_leaks(vendor: str, server: FakeVendorServer, monkeypatch, tmp_path, caplog, capfd) -> None:
    caplog.set_level(logging.DEBUG)
    server.fail("429", retry_after="0")
    server.fail("malformed")
    server.fail("401", echo_key=True)
    adapter = make(vendor, server, monkeypatch, tmp_path, max_concurrency=1)
    results = adapter.synthesize([req("r1"), req("r2"), req("r3"), req("r4", prompt=PROMPT_B)])
    adapter.close()
    assert [r.ok for r in results] == [False, False, True, True] and "retry" in caplog.text
    rows = [{**asdict(r), "waveform": None} for r in results]
    (tmp_path / "results.jsonl").write_text("\n".join(json.dumps(row, default=str) for row in rows))
    out, err = capfd.readouterr()
    written = [p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file()]
    fingerprint = json.dumps(adapter.fingerprint())
    for text in [*written, caplog.text, out, err, fingerprint, repr(vars(adapter)), repr(vars(adapter.http))]:
        assert KEY not in text
    assert adapter.fingerprint()["host"] == server.base_url.split("//")[1].split("/")[0]


def test_redirects_are_not_followed(monkeypatch, tmp_path) -> None:
    with FakeVendorServer("openai", KEY) as srv, FakeVendorServer("openai", "other-key") as elsewhere:
        srv.fail("redirect", location=elsewhere.base_url + "/audio/speech")
        (res,) = make("openai", srv, monkeypatch, tmp_path).synthesize([req()])
        assert not res.ok and "HTTP 307" in res.diagnostics.error and elsewhere.requests == []


def test_fish_model_mode_uploads_once_and_reuses_reference_id(monkeypatch, tmp_path) -> None:
    with FakeVendorServer("fish", KEY) as srv:
        adapter = make("fish", srv, monkeypatch, tmp_path, clone_mode="model", max_concurrency=1)
        results = adapter.synthesize([req("a1"), req("a2", seed=1), req("b1", prompt=PROMPT_B, prompt_text=None)])
        assert all(r.ok for r in results), [r.diagnostics.error for r in results]
        clones, tts = srv.of_kind("clone"), srv.of_kind("tts")
        assert len(clones) == 2 and srv.problems == []
        assert clones[0].form["texts"] == ["A transcript of the prompt."] and "texts" not in clones[1].form
        assert sorted(r.json["reference_id"] for r in tts) == ["fish-voice-1", "fish-voice-1", "fish-voice-2"]
        assert all(r.headers["content-type"] == "application/json" and "references" not in r.json for r in tts)


def test_fish_inline_mode_requires_prompt_text(monkeypatch, tmp_path) -> None:
    with FakeVendorServer("fish", KEY) as srv:
        (res,) = make("fish", srv, monkeypatch, tmp_path).synthesize([req(prompt_text=None)])
        assert not res.ok and "prompt_text" in res.diagnostics.error and srv.requests == []


def test_openai_ref_audio_mode_sends_prompt_and_transcript(monkeypatch, tmp_path) -> None:
    with FakeVendorServer("openai", KEY) as srv:
        adapter = make("openai", srv, monkeypatch, tmp_path, clone="ref_audio", task_type="Base", send_language=True)
        a, b = adapter.synthesize([req("a"), req("b", prompt=PROMPT_B)])
        assert adapter.capabilities.zero_shot_cloning and a.ok and b.ok and srv.problems == []
        assert not np.array_equal(a.waveform, b.waveform)
        body = srv.of_kind("tts")[0].json
        assert body["ref_text"] == "A transcript of the prompt." and body["task_type"] == "Base" and body["language"] == "English"
        assert as_wav(PROMPT_A.read_bytes()) in [base64.b64decode(r.json["ref_audio"].split(",")[1]) for r in srv.of_kind("tts")]


def test_concurrency_is_bounded_across_a_batch(monkeypatch, tmp_path) -> None:
    with FakeVendorServer("openai", KEY) as srv:
        srv.tts_delay_s = 0.15
        results = make("openai", srv, monkeypatch, tmp_path, max_concurrency=2).synthesize([req(f"i{i}") for i in range(6)])
        assert all(r.ok for r in results) and srv.max_inflight == 2


def test_retry_budget_bounds_the_total_wait(monkeypatch, tmp_path) -> None:
    with FakeVendorServer("openai", KEY) as srv:
        srv.fail("429", retry_after="30")
        t0 = time.monotonic()
        (res,) = make("openai", srv, monkeypatch, tmp_path, max_total_wait_s=1.0).synthesize([req()])
        assert time.monotonic() - t0 < 1.0 and "retry budget" in res.diagnostics.error and "HTTP 429" in res.diagnostics.error


def test_stale_cached_voice_is_cloned_again_once(monkeypatch, tmp_path) -> None:
    with FakeVendorServer("elevenlabs", KEY) as srv:
        namespace = f"elevenlabs@{srv.base_url.split('//')[1]}"
        (tmp_path / "voices.json").write_text(json.dumps({namespace: {read_prompt(PROMPT_A)[1]: "deleted-voice"}}))
        a1, a2 = make("elevenlabs", srv, monkeypatch, tmp_path, max_concurrency=1).synthesize([req("a1"), req("a2")])
        assert a1.ok and a2.ok and len(srv.of_kind("clone")) == 1 and len(srv.of_kind("tts")) == 3
        assert json.loads((tmp_path / "voices.json").read_text())[namespace] == {read_prompt(PROMPT_A)[1]: "elevenlabs-voice-1"}


def test_delete_voices_on_close_frees_slots_and_cache(monkeypatch, tmp_path) -> None:
    with FakeVendorServer("cartesia", KEY) as srv:
        adapter = make("cartesia", srv, monkeypatch, tmp_path, delete_voices_on_close=True)
        assert adapter.synthesize([req()])[0].ok
        adapter.close()
        assert [r.path for r in srv.of_kind("delete")] == ["/voices/cartesia-voice-1"]
        assert list(json.loads((tmp_path / "voices.json").read_text()).values()) == [{}]


def test_base_url_env_override_and_fingerprint(monkeypatch, tmp_path) -> None:
    assert ElevenLabsAdapter().fingerprint()["host"] == "api.elevenlabs.io"
    with FakeVendorServer("elevenlabs", KEY) as srv:
        monkeypatch.setenv("ELEVENLABS_BASE_URL", srv.base_url)
        monkeypatch.setenv("ELEVENLABS_API_KEY", KEY)
        adapter = ElevenLabsAdapter(timeout_s=0.5, stability=0.4)
        adapter.load()
        assert adapter.synthesize([req()])[0].ok and len(srv.of_kind("tts")) == 1
        fp = adapter.fingerprint()
        assert fp["host"] == srv.base_url.split("//")[1] and fp["params"]["model_id"] == "eleven_v3"
        assert fp["params"]["voice_settings"] == {"stability": 0.4} and "timeout_s" not in json.dumps(fp)
        assert srv.of_kind("tts")[0].json["voice_settings"] == {"stability": 0.4}
        assert ElevenLabsAdapter(model_id="eleven_multilingual_v2").fingerprint() != fp


def test_a_key_passed_as_a_parameter_is_refused_without_echoing_it() -> None:
    with pytest.raises(AdapterError, match="OPENAI_API_KEY") as err:
        OpenAISpeechAdapter(api_key=KEY)
    assert KEY not in str(err.value)


def test_plain_http_to_a_remote_host_is_refused() -> None:
    with pytest.raises(AdapterError, match="https"):
        CartesiaAdapter(base_url="http://api.example.com")
    assert CartesiaAdapter(base_url="http://gpu-box:8000", allow_http=True).fingerprint()["host"] == "gpu-box:8000"


def test_declared_capabilities_and_published_names() -> None:
    ztts = set(LANGUAGES)
    named = ((ElevenLabsAdapter, "Eleven Labs V3"), (CartesiaAdapter, "Cartesia Sonic 3.5"), (FishAudioAdapter, "Fish S2 Pro"))
    for cls, name in named:
        adapter = cls()
        caps = adapter.capabilities
        assert adapter.group == "closed" and adapter.published_name == name and caps.zero_shot_cloning and not caps.deterministic
        assert ztts <= caps.languages
    caps = OpenAISpeechAdapter().capabilities
    assert OpenAISpeechAdapter.published_name is None and not caps.zero_shot_cloning and not caps.deterministic
    assert ElevenLabsAdapter(model_id="eleven_flash_v2_5").published_name is None
    assert "th" not in ElevenLabsAdapter(model_id="eleven_multilingual_v2").capabilities.languages


def test_audio_decoding_streamed_truncated_and_raw() -> None:
    x = (0.25 * np.sin(np.arange(4800) / 7)).astype(np.float32)
    streamed, sr = decode_audio(wav_bytes(x, 24000, streamed=True), "wav")
    assert sr == 24000 and np.allclose(streamed, x, atol=1 / 32768)
    with pytest.raises(MalformedAudio, match="truncated"):
        decode_audio(wav_bytes(x, 24000)[:5000], "wav")
    with pytest.raises(MalformedAudio, match="whole 2-byte"):
        decode_audio(b"\x00\x01\x02", "pcm_s16le", 24000)
    raw, sr = decode_audio(x.astype("<f4").tobytes(), "pcm_f32le", 44100)
    assert sr == 44100 and np.array_equal(raw, x)
    with pytest.raises(MalformedAudio, match="non-finite"):
        decode_audio(np.array([0.1, np.nan], dtype="<f4").tobytes(), "pcm_f32le", 44100)


def test_truncated_wav_from_the_server_is_a_per_item_error(monkeypatch, tmp_path) -> None:
    with FakeVendorServer("fish", KEY) as srv:
        srv.fail("truncated")
        (res,) = make("fish", srv, monkeypatch, tmp_path).synthesize([req()])
        assert not res.ok and "truncated WAV" in res.diagnostics.error


def test_retry_after_forms() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert retry_after_seconds({"Retry-After": "2"}) == 2.0
    assert retry_after_seconds({"Retry-After": format_datetime(now + timedelta(seconds=7), usegmt=True)}, now) == 7.0
    assert retry_after_seconds({"retry-after-ms": "1500", "Retry-After": "9"}) == 1.5
    assert retry_after_seconds({"Retry-After": "soon"}) is None and retry_after_seconds({}) is None
    assert retry_after_seconds({"Retry-After": "nan"}) is None and retry_after_seconds({"Retry-After": "-3"}) == 0.0


def test_msgpack_encoder_matches_the_reference_decoder() -> None:
    value = {
        "text": "héllo",
        "n": [0, 127, 128, -1, -32, -33, 2**40, -(2**40)],
        "f": 0.5,
        "b": True,
        "none": None,
        "s": ["x" * 31, "x" * 32, "x" * 255, "x" * 256, "x" * 70000],
        "bin": [b"", b"\x00" * 300, b"\x01" * 70000],
        "refs": [{"audio": b"RIFF", "text": "t"}] * 20,
        "big": {str(i): i for i in range(20)},
    }
    assert msgpack.unpackb(msgpack_dumps(value), raw=False, strict_map_key=False) == value
