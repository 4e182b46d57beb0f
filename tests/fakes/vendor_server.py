"""A loopback fake of four vendors' speech APIs (ElevenLabs, Cartesia, Fish Audio, OpenAI), scriptable per test.

Why: the adapters must be tested on the real wire path (urllib, retries, multipart, msgpack, WAV and
raw PCM decoding) offline and without a real key. The fake *validates* each request against the
shapes of each vendor's public API reference; a mismatch is answered with a 400 naming the reason and is
recorded in `problems`, so an adapter drifting from the spec fails loudly. Scripted faults (429 with
Retry-After, 500, a stall past the client timeout, a malformed 200, a truncated WAV, a 401) drive the
retry and per-item-error paths, and a redirect checks that the key is not replayed elsewhere. Audio
is a short tone whose pitch follows the voice, so tests can tell clones of different prompts apart.
It binds 127.0.0.1 only; every wait is bounded.
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import hashlib
import io
import json
import struct
import threading
import time
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import msgpack  # an independent decoder: checks the adapter's own msgpack encoder
import numpy as np
import soundfile as sf

MAX_REQUEST_BYTES = 50 * 1024 * 1024
TTS_PATHS = {"elevenlabs": "/v1/text-to-speech/", "cartesia": "/tts/bytes", "fish": "/v1/tts", "openai": "/v1/audio/speech"}
CLONE_PATHS = {"elevenlabs": "/v1/voices/add", "cartesia": "/voices/clone", "fish": "/model"}
RATE_LIMITED = {
    "elevenlabs": {
        "detail": {"code": "concurrent_limit_exceeded", "type": "rate_limit_error", "message": "Too many concurrent requests"}
    },
    "cartesia": {"error_code": "concurrency_limited", "title": "Too Many Requests", "message": "Concurrency limit reached"},
    "fish": {"status": 429, "message": "Rate limit exceeded"},
    "openai": {"error": {"message": "Rate limit reached", "type": "rate_limit_exceeded", "param": None, "code": None}},
}


def unauthorized(vendor: str, shown_key: str) -> dict[str, Any]:
    """Each vendor's 401 body; `shown_key` lets a test make the server echo the key it received."""
    text = f"Invalid API key {shown_key}".strip()
    bodies: dict[str, dict[str, Any]] = {
        "elevenlabs": {"detail": {"status": "invalid_api_key", "message": text}},
        "cartesia": {"error_code": None, "title": "Unauthorized", "message": text, "request_id": "req-1"},
        "fish": {"status": 401, "message": text},
        "openai": {"error": {"message": text, "type": "invalid_request_error", "param": None, "code": "invalid_api_key"}},
    }
    return bodies[vendor]


def tone(voice: str, text: str, sr: int) -> np.ndarray:
    """A short tone: pitch from the voice, length from the text."""
    freq = 150.0 + zlib.crc32(voice.encode()) % 300
    n = int(sr * min(1.0, 0.15 + 0.004 * len(text)))
    return (0.3 * np.sin(2 * np.pi * freq * np.arange(n) / sr)).astype(np.float32)


def wav_bytes(x: np.ndarray, sr: int, streamed: bool = False) -> bytes:
    out = io.BytesIO()
    sf.write(out, x, sr, format="WAV", subtype="PCM_16")
    data = out.getvalue()
    if streamed:  # like a server that wrote the header before knowing the length
        data = data[:4] + b"\xff\xff\xff\xff" + data[8:40] + b"\xff\xff\xff\xff" + data[44:]
    return data


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    t: float  # time.monotonic() at arrival
    kind: str  # "tts", "clone", "delete" or "other"
    json: Any = None
    packed: Any = None  # msgpack-decoded body
    form: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, list[bytes]] = field(default_factory=dict)


@dataclass
class Fault:
    kind: str  # "429", "500", "stall", "malformed", "truncated", "401", "redirect"
    on: str  # "tts", "clone" or "any"
    times: int
    retry_after: str | None = None
    stall_s: float = 1.0
    echo_key: bool = False
    location: str = ""


class Invalid(Exception):
    """The request does not match the vendor's documented shape."""


class FakeVendorServer:
    def __init__(self, vendor: str, key: str) -> None:
        assert vendor in TTS_PATHS, vendor
        self.vendor, self.key = vendor, key
        self.requests: list[Seen] = []
        self.problems: list[str] = []
        self.voices: dict[str, str] = {"premade-voice": "premade"}  # voice id -> what it sounds like
        self.faults: list[Fault] = []
        self.tts_delay_s = 0.0
        self.inflight = self.max_inflight = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None

    # lifecycle ------------------------------------------------------------------------------
    def __enter__(self) -> FakeVendorServer:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._httpd = _QuietServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        assert self._httpd is not None
        self._httpd.shutdown()
        self._httpd.server_close()

    @property
    def base_url(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}" + ("/v1" if self.vendor == "openai" else "")

    # scripting ------------------------------------------------------------------------------
    def fail(
        self,
        kind: str,
        on: str = "tts",
        times: int = 1,
        retry_after: str | None = None,
        stall_s: float = 1.0,
        echo_key: bool = False,
        location: str = "",
    ) -> None:
        self.faults.append(Fault(kind, on, times, retry_after, stall_s, echo_key, location))

    def of_kind(self, kind: str) -> list[Seen]:
        return [r for r in self.requests if r.kind == kind]

    def _take_fault(self, kind: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.times > 0 and fault.on in (kind, "any"):
                    fault.times -= 1
                    return fault
        return None

    def _new_voice(self, audio: bytes) -> str:
        with self._lock:
            voice_id = f"{self.vendor}-voice-{len(self.voices)}"
            self.voices[voice_id] = hashlib.sha256(audio).hexdigest()
        return voice_id

    # request handling -----------------------------------------------------------------------
    def handle(self, h: _Handler, method: str) -> None:
        url = urlsplit(h.path)
        size = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(min(size, MAX_REQUEST_BYTES)) if size else b""
        kind = "other"
        if url.path.startswith(TTS_PATHS[self.vendor]) and method == "POST":
            kind = "tts"
        elif url.path == CLONE_PATHS.get(self.vendor) and method == "POST":
            kind = "clone"
        elif method == "DELETE":
            kind = "delete"
        seen = Seen(
            method, url.path, parse_qs(url.query), {k.lower(): v for k, v in h.headers.items()}, body, time.monotonic(), kind
        )
        with self._lock:
            self.requests.append(seen)
        fault = self._take_fault(kind)
        if fault is not None and fault.kind != "truncated":
            self._fault(h, fault, seen)
            return
        if not self._authorized(seen):
            h.reply(401, unauthorized(self.vendor, ""))
            return
        try:
            status, payload, ctype = getattr(self, f"_{self.vendor}")(seen, method, url.path)
        except (Invalid, TypeError, ValueError, KeyError, AttributeError) as exc:  # any shape surprise is a 400
            with self._lock:
                self.problems.append(f"{method} {url.path}: {type(exc).__name__}: {exc}")
            h.reply(400, {"message": f"fake {self.vendor}: {exc}"})
            return
        if kind == "tts":
            self._count_inflight(+1)
            self._stop.wait(self.tts_delay_s)
            self._count_inflight(-1)
        if fault is not None and ctype.startswith("audio"):  # truncated: the WAV header promises more than is sent
            payload = payload[: max(44, len(payload) // 2)]
        h.reply(status, payload, ctype, chunked=kind == "tts")

    def _count_inflight(self, delta: int) -> None:
        with self._lock:
            self.inflight += delta
            self.max_inflight = max(self.max_inflight, self.inflight)

    def _fault(self, h: _Handler, fault: Fault, seen: Seen) -> None:
        if fault.kind == "429":
            h.reply(429, RATE_LIMITED[self.vendor], headers={"Retry-After": fault.retry_after} if fault.retry_after else {})
        elif fault.kind == "500":
            h.reply(500, {"message": "internal server error", "status": 500})
        elif fault.kind == "401":
            h.reply(401, unauthorized(self.vendor, self._presented_key(seen) if fault.echo_key else ""))
        elif fault.kind == "malformed":
            h.reply(200, b"<html><body>upstream proxy error</body></html>", "audio/wav", chunked=True)
        elif fault.kind == "redirect":  # a client that follows it would replay the key to `location`
            h.reply(307, {"message": "moved"}, headers={"Location": fault.location})
        elif fault.kind == "stall":
            self._stop.wait(fault.stall_s)  # the client gives up first; the reply goes nowhere
            h.reply(500, {"message": "stalled"})
        else:
            raise AssertionError(fault.kind)

    def _presented_key(self, seen: Seen) -> str:
        value = seen.headers.get("xi-api-key") or seen.headers.get("authorization", "")
        return value.removeprefix("Bearer ")

    def _authorized(self, seen: Seen) -> bool:
        if self.vendor == "elevenlabs":
            return seen.headers.get("xi-api-key") == self.key and "authorization" not in seen.headers
        return seen.headers.get("authorization") == f"Bearer {self.key}"

    # vendors --------------------------------------------------------------------------------
    def _elevenlabs(self, seen: Seen, method: str, path: str) -> tuple[int, Any, str]:
        if seen.kind == "clone":
            _multipart(seen)
            files = seen.files.get("files") or seen.files.get("files[]") or []  # the SDK's name, and curl's
            _require(seen.form.get("name") and files, "voices/add needs name and files")
            if "labels" in seen.form:
                _require(isinstance(json.loads(seen.form["labels"][0]), dict), "labels must be a JSON object string")
            return 200, {"voice_id": self._new_voice(files[0]), "requires_verification": False}, "application/json"
        if seen.kind == "delete" and path.startswith("/v1/voices/"):
            self.voices.pop(path.rsplit("/", 1)[1], None)
            return 200, {"status": "ok"}, "application/json"
        _require(seen.kind == "tts", f"no route {method} {path}")
        doc = _json(seen)
        _require(isinstance(doc.get("text"), str) and doc["text"].strip(), "text is required")
        _require(isinstance(doc.get("model_id"), str), "model_id must be a string")
        _require(0 <= doc.get("seed", 0) <= 4294967295, "seed out of range")
        _require(isinstance(doc.get("voice_settings", {}), dict), "voice_settings must be an object")
        voice_id = path.removeprefix(TTS_PATHS["elevenlabs"])
        if voice_id not in self.voices:
            return 400, {"detail": {"status": "voice_not_found", "message": f"voice {voice_id} not found"}}, "application/json"
        fmt = (seen.query.get("output_format") or ["mp3_44100_128"])[0]
        kind, _, rate = fmt.partition("_")
        _require(kind in ("wav", "pcm") and rate.isdigit(), f"fake serves wav_/pcm_ formats only, got {fmt}")
        x = tone(self.voices[voice_id], doc["text"], int(rate))
        return 200, (wav_bytes(x, int(rate)) if kind == "wav" else _s16le(x)), "audio/wav" if kind == "wav" else "audio/pcm"

    def _cartesia(self, seen: Seen, method: str, path: str) -> tuple[int, Any, str]:
        _require(seen.headers.get("cartesia-version"), "Cartesia-Version header is required")
        if seen.kind == "clone":
            _multipart(seen)
            _require(
                seen.files.get("clip") and seen.form.get("name") and seen.form.get("language"), "clone needs clip, name, language"
            )
            voice_id = self._new_voice(seen.files["clip"][0])
            return (
                200,
                {
                    "id": voice_id,
                    "name": seen.form["name"][0],
                    "language": seen.form["language"][0],
                    "created_at": "2026-01-01T00:00:00Z",
                    "user_id": "u-1",
                },
                "application/json",
            )
        if seen.kind == "delete" and path.startswith("/voices/"):
            self.voices.pop(path.rsplit("/", 1)[1], None)
            return 204, b"", "application/json"
        _require(seen.kind == "tts", f"no route {method} {path}")
        doc = _json(seen)
        _require(
            isinstance(doc.get("model_id"), str) and isinstance(doc.get("transcript"), str) and doc["transcript"].strip(),
            "model_id and transcript are required",
        )
        voice = doc.get("voice")
        vid = voice if isinstance(voice, str) else voice.get("id") if isinstance(voice, dict) else None
        _require(
            vid and not (isinstance(voice, dict) and "mode" in voice and seen.headers["cartesia-version"] >= "2026"),
            f"voice {voice!r} is not a {seen.headers['cartesia-version']} voice specifier",
        )
        out = doc.get("output_format") or {}
        _require(
            out.get("container") in ("raw", "wav")
            and out.get("encoding") in ("pcm_f32le", "pcm_s16le")
            and out.get("sample_rate") in (8000, 16000, 22050, 24000, 44100, 48000),
            f"bad output_format {out}",
        )
        if vid not in self.voices:
            return 404, {"error_code": "voice_not_found", "title": "Not Found", "message": "voice not found"}, "application/json"
        x = tone(self.voices[vid], doc["transcript"], out["sample_rate"])
        if out["container"] == "wav":
            return 200, wav_bytes(x, out["sample_rate"]), "audio/wav"
        return 200, (x.astype("<f4").tobytes() if out["encoding"] == "pcm_f32le" else _s16le(x)), "application/octet-stream"

    def _fish(self, seen: Seen, method: str, path: str) -> tuple[int, Any, str]:
        if seen.kind == "clone":
            _multipart(seen)
            _require(
                seen.form.get("type") == ["tts"]
                and seen.form.get("title")
                and seen.form.get("train_mode") == ["fast"]
                and seen.files.get("voices"),
                "POST /model needs type=tts, title, train_mode=fast and voices",
            )
            model = {"_id": self._new_voice(seen.files["voices"][0]), "state": "trained", "title": seen.form["title"][0]}
            return 201, model, "application/json"
        if seen.kind == "delete" and path.startswith("/model/"):
            self.voices.pop(path.rsplit("/", 1)[1], None)
            return 200, {"status": "ok"}, "application/json"
        _require(seen.kind == "tts", f"no route {method} {path}")
        _require(seen.headers.get("model"), "the model header is required")
        ctype = seen.headers.get("content-type", "")
        if ctype.startswith("application/msgpack"):
            seen.packed = doc = msgpack.unpackb(seen.body, raw=False)
        else:
            doc = _json(seen)
            if "references" in doc:
                errors = [{"loc": ["body", "references"], "type": "value_error", "msg": "bytes need msgpack"}]
                return 422, errors, "application/json"
        _require(isinstance(doc.get("text"), str) and doc["text"].strip(), "text is required")
        _require(doc.get("format", "mp3") == "wav", "fake serves format=wav only")
        refs = doc.get("references")
        if refs:
            _require(
                all(isinstance(r.get("audio"), bytes) and isinstance(r.get("text"), str) and r["text"] for r in refs),
                "references need bin audio and non-empty text",
            )
            voice = hashlib.sha256(refs[0]["audio"]).hexdigest()
        else:
            if doc.get("reference_id") not in self.voices:
                return 400, {"status": 400, "message": "reference not found"}, "application/json"
            voice = self.voices[doc["reference_id"]]
        sr = doc.get("sample_rate") or 44100
        return 200, wav_bytes(tone(voice, doc["text"], sr), sr), "audio/wav"

    def _openai(self, seen: Seen, method: str, path: str) -> tuple[int, Any, str]:
        _require(seen.kind == "tts", f"no route {method} {path}")
        doc = _json(seen)
        _require(isinstance(doc.get("model"), str) and isinstance(doc.get("voice"), str), "model and voice are required")
        _require(isinstance(doc.get("input"), str) and doc["input"].strip() and len(doc["input"]) <= 4096, "input is required")
        fmt = doc.get("response_format", "mp3")
        _require(fmt in ("wav", "pcm"), f"fake serves wav/pcm only, got {fmt}")
        voice = doc["voice"]
        if "ref_audio" in doc:
            head, _, data = doc["ref_audio"].partition(",")
            _require(
                head == "data:audio/wav;base64" and isinstance(doc.get("ref_text"), str),
                "ref_audio must be a WAV data URI with ref_text",
            )
            voice = hashlib.sha256(base64.b64decode(data)).hexdigest()
        x = tone(voice, doc["input"], 24000)
        if fmt == "wav":
            return 200, wav_bytes(x, 24000, streamed=True), "audio/wav"
        return 200, _s16le(x), "audio/pcm"


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: Any, client_address: Any) -> None:  # clients that timed out hang up
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fake: FakeVendorServer

    def do_POST(self) -> None:
        self.fake.handle(self, "POST")

    def do_DELETE(self) -> None:
        self.fake.handle(self, "DELETE")

    def do_GET(self) -> None:
        self.fake.handle(self, "GET")

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    def reply(
        self,
        status: int,
        payload: Any,
        ctype: str = "application/json",
        headers: dict[str, str] | None = None,
        chunked: bool = False,
    ) -> None:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Transfer-Encoding" if chunked else "Content-Length", "chunked" if chunked else str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if chunked:
                for i in range(0, len(body), 1024):
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(body[i : i + 1024]), body[i : i + 1024]))
                self.wfile.write(b"0\r\n\r\n")
            else:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True


def _require(ok: Any, why: str) -> None:
    if not ok:
        raise Invalid(why)


def _json(seen: Seen) -> dict[str, Any]:
    _require(seen.headers.get("content-type", "").startswith("application/json"), "body must be application/json")
    try:
        seen.json = json.loads(seen.body)
    except ValueError:
        raise Invalid("body is not JSON") from None
    _require(isinstance(seen.json, dict), "body must be a JSON object")
    return seen.json


def _multipart(seen: Seen) -> None:
    ctype = seen.headers.get("content-type", "")
    _require(ctype.startswith("multipart/form-data; boundary="), "body must be multipart/form-data")
    head = f"Content-Type: {ctype}\r\n\r\n".encode()
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + seen.body)
    _require(msg.is_multipart(), "multipart body does not parse")
    for part in msg.iter_parts():
        name = str(part.get_param("name", header="content-disposition"))
        payload = part.get_payload(decode=True)
        payload = payload if isinstance(payload, bytes) else b""
        if part.get_filename():
            seen.files.setdefault(name, []).append(payload)
        else:
            seen.form.setdefault(name, []).append(payload.decode("utf-8"))


def _s16le(x: np.ndarray) -> bytes:
    return struct.pack(f"<{x.size}h", *np.clip(np.round(x * 32767), -32768, 32767).astype(int))
