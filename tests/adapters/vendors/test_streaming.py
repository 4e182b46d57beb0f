"""Streaming adapters against the loopback streaming fake: documented wire shapes, exact audio, chunk
timing, errors as exceptions with the key scrubbed; and the incremental decoders at every split."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf

from model_adapters.base import SynthesisRequest
from model_adapters.tone import TestToneAdapter
from model_adapters.vendors.audio import decode_audio
from model_adapters.vendors.cartesia import CartesiaAdapter
from model_adapters.vendors.elevenlabs import ElevenLabsAdapter
from model_adapters.vendors.fish_audio import FishAudioAdapter
from model_adapters.vendors.openai_speech import OpenAISpeechAdapter
from model_adapters.vendors.stream_audio import PcmDecoder, SseDecoder, WavDecoder, b64_field
from model_adapters.vendors.transport import MalformedAudio, VendorError
from model_adapters.zonos2.server_client import Zonos2ServerAdapter
from tests.fakes.streaming_server import FakeStreamingServer, Step, tone_samples, wav_header

KEY = "zt-stream-secret-5d1e9b7c3a"
REQ = SynthesisRequest(item_id="it-1", text="streamed words", language="en", prompt_audio=None)
STEPS = [Step(0.05, 1200), Step(0.05, 1000), Step(0.05, 1301)]  # odd sizes: pieces end mid-sample for s16


def make(vendor: str, url: str, monkeypatch: pytest.MonkeyPatch, **kw):  # type: ignore[no-untyped-def]
    fast = {"timeout_s": 5, "max_attempts": 1}
    if vendor == "zonos2":
        return Zonos2ServerAdapter(base_url=url, **fast)
    env = {
        "openai": "OPENAI_API_KEY",
        "elevenlabs": "ELEVENLABS_API_KEY",
        "cartesia": "CARTESIA_API_KEY",
        "fish": "FISH_AUDIO_API_KEY",
    }
    monkeypatch.setenv(env[vendor], KEY)
    cls = {"openai": OpenAISpeechAdapter, "elevenlabs": ElevenLabsAdapter, "cartesia": CartesiaAdapter, "fish": FishAudioAdapter}
    extra = {
        "openai": {},
        "elevenlabs": {"voice_id": "premade", "output_format": "pcm_24000"},
        "cartesia": {"voice_id": "premade"},
        "fish": {"reference_id": "premade", "clone_mode": "model"},
    }[vendor]
    return cls[vendor](base_url=url, **fast, **{**extra, **kw})


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)


@pytest.mark.parametrize(
    ("vendor", "kw", "exact"),
    [
        ("zonos2", {}, True),
        ("openai", {"response_format": "pcm"}, False),
        ("openai", {"response_format": "wav"}, False),
        ("openai", {"response_format": "pcm", "stream_format": "sse"}, False),
        ("elevenlabs", {}, False),
        ("elevenlabs", {"output_format": "wav_24000"}, False),
        ("cartesia", {}, True),
        ("fish", {}, False),
    ],
)
def test_stream_decodes_exactly_what_the_server_sent_piece_by_piece(vendor, kw, exact, monkeypatch) -> None:
    with FakeStreamingServer(vendor, STEPS, key="" if vendor == "zonos2" else KEY) as server:
        adapter = make(vendor, server.base_url, monkeypatch, **kw)
        assert adapter.streams is True
        chunks = list(adapter.synthesize_stream(REQ))
    assert server.problems == []
    sr = chunks[0].sample_rate
    want = tone_samples(3501, sr, 0, False)
    got = np.concatenate([c.samples for c in chunks])
    assert len(got) == 3501
    assert np.max(np.abs(got - want)) <= (1e-7 if exact else 1.0 / 32767 + 1e-7)
    assert len(chunks) == 3  # each 50 ms piece arrived on its own
    assert chunks[0].first_byte_t is not None and chunks[0].first_byte_t <= chunks[0].t
    assert all(b.t - a.t > 0.03 for a, b in zip(chunks, chunks[1:]))
    if vendor == "openai" and kw.get("stream_format") == "sse":
        assert server.served[0].body["stream_format"] == "sse"


@pytest.mark.parametrize("vendor", ["openai", "elevenlabs", "cartesia", "fish"])
def test_stream_auth_failure_raises_with_the_key_scrubbed(vendor, monkeypatch) -> None:
    with FakeStreamingServer(vendor, STEPS, key="another-key") as server:
        adapter = make(vendor, server.base_url, monkeypatch, **({"response_format": "pcm"} if vendor == "openai" else {}))
        with pytest.raises(VendorError) as err:
            list(adapter.synthesize_stream(REQ))
    assert err.value.status == 401 and KEY not in str(err.value) and "check the key" in str(err.value)


def test_streaming_refuses_formats_that_cannot_decode_as_they_arrive(monkeypatch) -> None:
    adapter = make("openai", "http://127.0.0.1:9", monkeypatch, response_format="mp3")
    with pytest.raises(VendorError, match="pcm or wav"):
        list(adapter.synthesize_stream(REQ))
    with pytest.raises(ValueError, match="empty text"):
        list(adapter.synthesize_stream(SynthesisRequest("x", " ", "en", None)))


def test_tone_adapter_streams_its_one_shot_audio_on_the_programmed_schedule() -> None:
    tone = TestToneAdapter(stream_start_s=0.1, stream_chunk_s=0.05, stream_pace=2.0)
    (one_shot,) = tone.synthesize([REQ])
    chunks = list(tone.synthesize_stream(REQ))
    assert np.array_equal(np.concatenate([c.samples for c in chunks]), one_shot.waveform)
    due = 0.1 + 2.0 * 0.05 * np.arange(len(chunks))
    assert np.all(np.abs(np.array([c.t for c in chunks]) - due) < 0.025)
    assert tone.fingerprint() == TestToneAdapter().fingerprint()  # timing knobs never change the audio


def _splits(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


@pytest.mark.parametrize("size", [1, 3, 7, 44, 4096])
def test_wav_decoder_matches_one_shot_decoding_at_any_split(size: int) -> None:
    x = (0.5 * np.sin(np.arange(2000) / 7)).astype(np.float32)
    for subtype in ("PCM_16", "PCM_24", "FLOAT"):
        buf = io.BytesIO()
        sf.write(buf, x, 22050, format="WAV", subtype=subtype)
        body = buf.getvalue()
        dec = WavDecoder()
        got = np.concatenate([dec.feed(p) for p in _splits(body, size)])
        dec.finish()
        want, sr = decode_audio(body, "wav")
        assert sr == dec.sample_rate == 22050 and np.array_equal(got, want)


def test_decoders_refuse_truncated_and_stray_bytes() -> None:
    dec = PcmDecoder("pcm_s16le", 16000)
    dec.feed(b"\x00\x01\x02")
    with pytest.raises(MalformedAudio, match="mid-sample"):
        dec.finish()
    buf = io.BytesIO()
    sf.write(buf, np.zeros(100, np.float32), 8000, format="WAV", subtype="PCM_16")
    wav = WavDecoder()
    wav.feed(buf.getvalue()[:-20])
    with pytest.raises(MalformedAudio, match="truncated"):
        wav.finish()
    with pytest.raises(MalformedAudio, match="RIFF"):
        WavDecoder().feed(b"<html>upstream proxy error</html>")
    placeholder = WavDecoder()
    assert placeholder.feed(wav_header(8000) + b"\x00\x00" * 5).size == 5
    placeholder.finish()  # placeholder sizes: read to the end, nothing missing


def test_sse_decoder_needs_its_done_event_and_raises_error_events() -> None:
    def extract(e):  # type: ignore[no-untyped-def]
        return b64_field(e, "audio", ("speech.audio.delta",))

    dec = SseDecoder(PcmDecoder("pcm_s16le", 24000), extract)
    got = dec.feed(b'data: {"type":"speech.audio.delta","audio":"AAABAA=="}\n\ndata: {"type":"speech.audio.de')
    assert got.size == 2
    with pytest.raises(MalformedAudio, match="done"):
        dec.finish()
    dec.feed(b'lta","audio":""}\n\ndata: {"type":"speech.audio.done"}\n\n')
    dec.finish()
    with pytest.raises(VendorError, match="overloaded"):
        SseDecoder(PcmDecoder("pcm_s16le", 24000), extract).feed(b'data: {"type":"error","message":"overloaded"}\n\n')
