"""A loopback fake of five streaming TTS endpoints that sends audio on a programmed schedule.

Why: speed measures must equal a known truth, not a guess. Each test programs a schedule (wait
`delay_s`, then send `n` samples; optionally silent), and the server sends each piece as one HTTP
chunk at exactly that offset from the request's arrival, recording when it really wrote it. The
wire shapes are the documented ones (each vendor's public API reference; the official ZONOS2 server's api_server.py):

- zonos2: POST /tts/generate with "stream": true; raw float32 mono PCM at 44.1 kHz described by
  X-Audio-Sample-Rate / X-Audio-Channels / X-Audio-Format (GET /tts/capabilities for load()).
- openai: POST /v1/audio/speech; `pcm` = 24 kHz s16le; `wav` = header + s16le; `stream_format=sse`
  = `data:` events {"type":"speech.audio.delta","audio":b64} then {"type":"speech.audio.done"}.
- elevenlabs: POST /v1/text-to-speech/{voice_id}/stream?output_format=pcm_<rate>|wav_<rate>, xi-api-key.
- cartesia: POST /tts/bytes (Cartesia-Version header), raw pcm_f32le at output_format.sample_rate;
  its docs say the bytes endpoint streams as audio is produced.
- fish: POST /v1/tts (model header), format wav, sent chunked with placeholder WAV sizes.

`at_end=True` makes a buffered server: it waits the whole schedule, then sends every piece at once
(a streaming client must judge it non-streaming). It binds 127.0.0.1 only, answers at most
`max_requests` synthesis requests (then 503), and every wait is bounded by the schedule.
"""

from __future__ import annotations

import base64
import json
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np

RATES = {"zonos2": 44100, "openai": 24000, "elevenlabs": 24000, "cartesia": 44100, "fish": 44100}
PATHS = {
    "zonos2": "/tts/generate",
    "openai": "/v1/audio/speech",
    "elevenlabs": "/v1/text-to-speech/",
    "cartesia": "/tts/bytes",
    "fish": "/v1/tts",
}


@dataclass(frozen=True)
class Step:
    delay_s: float  # after the previous step (the first: after the request arrived)
    n: int  # samples in this piece
    silent: bool = False


@dataclass
class Served:
    arrived: float  # time.perf_counter() when the request was read
    sent: list[float] = field(default_factory=list)  # perf_counter() after each piece was written
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


def tone_samples(n: int, sr: int, offset: int, silent: bool) -> np.ndarray:
    if silent:
        return np.zeros(n, np.float32)
    t = (np.arange(n) + offset) / sr
    return (0.3 * np.sin(2 * np.pi * 220.0 * t)).astype(np.float32)


def wav_header(sr: int) -> bytes:
    """16-bit mono PCM header with placeholder sizes, as a server writes it before knowing the length."""
    fmt = struct.pack("<HHIIHH", 1, 1, sr, sr * 2, 2, 16)
    return b"RIFF" + b"\xff\xff\xff\xff" + b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + b"\xff\xff\xff\xff"


class FakeStreamingServer:
    def __init__(
        self, vendor: str, schedule: list[Step], *, key: str = "", at_end: bool = False, max_requests: int = 200
    ) -> None:
        assert vendor in PATHS, vendor
        self.vendor, self.schedule, self.key, self.at_end, self.max_requests = vendor, schedule, key, at_end, max_requests
        self.served: list[Served] = []
        self.problems: list[str] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None

    def __enter__(self) -> FakeStreamingServer:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._httpd = _Server(("127.0.0.1", 0), handler)
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._httpd is not None
        self._httpd.shutdown()
        self._httpd.server_close()

    @property
    def base_url(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}" + ("/v1" if self.vendor == "openai" else "")

    def programmed(self) -> tuple[np.ndarray, np.ndarray]:
        """Offsets (s from arrival) and sizes of the pieces as programmed."""
        return np.cumsum([s.delay_s for s in self.schedule]), np.array([s.n for s in self.schedule])

    # -- one request ----------------------------------------------------------------------------
    def check(self, h: _Handler, path: str, body: bytes) -> tuple[str, int, dict[str, Any]]:
        """(wire format, sample rate, parsed body) of a valid request, or raise ValueError naming the problem."""
        head = {k.lower(): v for k, v in h.headers.items()}
        auth = head.get("xi-api-key") if self.vendor == "elevenlabs" else head.get("authorization", "").removeprefix("Bearer ")
        if self.key and auth != self.key:
            raise PermissionError("bad key")
        if self.vendor == "fish" and "application/msgpack" in head.get("content-type", ""):
            raise ValueError("this fake takes JSON bodies (reference_id), not msgpack")
        doc = json.loads(body)
        if self.vendor == "zonos2":
            if doc.get("stream") is not True or not doc.get("text"):
                raise ValueError("stream must be true and text set")
            return "pcm_f32le", 44100, doc
        if self.vendor == "openai":
            if not (doc.get("model") and doc.get("input") and doc.get("voice")):
                raise ValueError("model, input and voice are required")
            fmt = {"pcm": "pcm_s16le", "wav": "wav"}[doc.get("response_format", "mp3")]
            return ("sse_" + fmt if doc.get("stream_format") == "sse" else fmt), 24000, doc
        if self.vendor == "elevenlabs":
            if not path.endswith("/stream") or not doc.get("text"):
                raise ValueError("stream path and text required")
            kind, _, rate = (parse_qs(urlsplit(h.path).query).get("output_format") or [""])[0].partition("_")
            return ("wav" if kind == "wav" else "pcm_s16le"), int(rate), doc
        if self.vendor == "cartesia":
            out = doc["output_format"]
            if not head.get("cartesia-version") or out != {**out, "container": "raw", "encoding": "pcm_f32le"}:
                raise ValueError("Cartesia-Version and raw pcm_f32le output_format required")
            return "pcm_f32le", int(out["sample_rate"]), doc
        if not head.get("model") or doc.get("format") != "wav" or not doc.get("reference_id"):
            raise ValueError("model header, format wav and reference_id required")
        return "wav", int(doc.get("sample_rate") or 44100), doc

    def handle(self, h: _Handler) -> None:
        path = urlsplit(h.path).path
        body = h.rfile.read(int(h.headers.get("Content-Length") or 0))
        arrived = time.perf_counter()
        if self.vendor == "zonos2" and h.command == "GET" and path == "/tts/capabilities":
            h.send_json(200, {"speaker_enabled": True, "speaker_embedding_dim": 2048})
            return
        if not path.startswith(PATHS[self.vendor]) or h.command != "POST":
            h.send_json(404, {"message": f"no route {h.command} {path}"})
            return
        with self._lock:
            if len(self.served) >= self.max_requests:
                h.send_json(503, {"message": "fake server request budget spent"})
                return
            served = Served(arrived, headers={k.lower(): v for k, v in h.headers.items()})
            self.served.append(served)
        try:
            fmt, sr, served.body = self.check(h, path, body)
        except PermissionError:
            h.send_json(401, {"message": "Invalid API key", "detail": {"message": "Invalid API key"}})
            return
        except (ValueError, KeyError, TypeError) as exc:
            with self._lock:
                self.problems.append(f"{path}: {exc}")
            h.send_json(400, {"message": f"fake {self.vendor}: {exc}"})
            return
        h.stream(self, served, fmt, sr)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # 64+ clients connect at once; the stdlib default backlog of 5 resets some


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fake: FakeStreamingServer

    def do_POST(self) -> None:
        self.fake.handle(self)

    def do_GET(self) -> None:
        self.fake.handle(self)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send_json(self, status: int, doc: Any) -> None:
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def stream(self, fake: FakeStreamingServer, served: Served, fmt: str, sr: int) -> None:
        sse = fmt.startswith("sse_")
        fmt = fmt.removeprefix("sse_")
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream" if sse else "audio/wav" if fmt == "wav" else "audio/pcm")
        if fake.vendor == "zonos2":
            self.send_header("X-Audio-Sample-Rate", str(sr))
            self.send_header("X-Audio-Channels", "1")
            self.send_header("X-Audio-Format", "float32")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.flush()
        offsets, offset = np.cumsum([s.delay_s for s in fake.schedule]), 0
        pieces = []
        for k, step in enumerate(fake.schedule):
            x = tone_samples(step.n, sr, offset, step.silent)
            offset += step.n
            raw = x.astype("<f4").tobytes() if fmt == "pcm_f32le" else (np.round(x * 32767).astype("<i2")).tobytes()
            if fmt == "wav" and k == 0:
                raw = wav_header(sr) + raw
            if sse:
                raw = (
                    b"data: "
                    + json.dumps({"type": "speech.audio.delta", "audio": base64.b64encode(raw).decode()}).encode()
                    + b"\n\n"
                )
            pieces.append(raw)
        if sse:
            pieces[-1] += b'data: {"type": "speech.audio.done", "usage": {}}\n\n'
        try:
            for k, raw in enumerate(pieces):
                due = served.arrived + (offsets[-1] if fake.at_end else offsets[k])
                time.sleep(max(0.0, due - time.perf_counter()))
                self.wfile.write(b"%x\r\n%s\r\n" % (len(raw), raw))
                self.wfile.flush()
                served.sent.append(time.perf_counter())
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True
