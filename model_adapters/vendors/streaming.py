"""Streamed HTTP answers, read piece by piece with arrival times: the one streaming path all adapters share.

The one-shot transport (`transport.HttpClient`) reads a whole body and retries; a speed benchmark
must instead see each piece the moment it arrives and must not retry (a 429 under load is a result
to count, not to hide). So this is plain `http.client`: the request is sent, the status checked
eagerly (an error answer raises VendorError with the vendor's words, before any audio), then
`chunks()` reads with `read1` (returns what the socket has, never waits to fill a buffer) and
stamps each piece with `time.perf_counter()` relative to the moment the request was sent.

It reuses the client's validated base URL, host and timeout, and the adapter's own auth headers;
the key is read from the environment per request and scrubbed from every error text. Redirects are
not followed and no proxy is used (loopback tests must not leave the machine; a proxy in front of a
vendor would also distort the timings being measured).
"""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

import numpy as np

from model_adapters.base import AudioChunk
from model_adapters.vendors.stream_audio import PcmDecoder, SseDecoder, WavDecoder
from model_adapters.vendors.transport import (
    MAX_BODY_BYTES,
    MAX_ERROR_BYTES,
    USER_AGENT,
    HttpClient,
    MalformedAudio,
    VendorError,
    api_key,
    error_detail,
    scrub,
)

READ_SIZE = 64 * 1024


class _StreamResponse(http.client.HTTPResponse):
    """An HTTPResponse whose socket buffer holds READ_SIZE bytes: `read1` then hands over a whole
    network write at once instead of 8 KiB slices (the stdlib default), so a piece is one chunk."""

    def __init__(self, sock, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(sock, *args, **kwargs)
        self.fp.close()
        self.fp = sock.makefile("rb", READ_SIZE)


class HttpStream:
    """One open streamed answer. Iterate `pieces()` for (bytes, seconds since send); always closed after."""

    def __init__(self, conn: http.client.HTTPConnection, resp: http.client.HTTPResponse, t0: float, where: str, key_env: str):
        self.conn, self.resp, self.t0, self.where, self.key_env = conn, resp, t0, where, key_env
        self.headers = resp.headers
        self.first_byte_t: float | None = None

    def pieces(self, total_timeout_s: float) -> Iterator[tuple[bytes, float]]:
        size = 0
        try:
            while True:
                try:
                    piece = self.resp.read1(READ_SIZE)
                except (OSError, http.client.HTTPException) as exc:  # idle timeout, reset, broken chunk framing
                    raise VendorError(scrub(f"{self.where}: stream cut: {type(exc).__name__}: {exc}", self.key_env)) from None
                t = time.perf_counter() - self.t0
                if not piece:
                    return
                if self.first_byte_t is None:
                    self.first_byte_t = t
                size += len(piece)
                if size > MAX_BODY_BYTES:
                    raise VendorError(f"{self.where}: stream exceeds {MAX_BODY_BYTES} bytes")
                if t > total_timeout_s:
                    raise VendorError(f"{self.where}: stream not complete within {total_timeout_s:g} s")
                yield piece, t
        finally:
            self.close()

    def close(self) -> None:
        self.resp.close()
        self.conn.close()


def open_stream(
    client: HttpClient,
    headers: Mapping[str, str],
    method: str,
    path: str,
    *,
    json_body: Any = None,
    data: bytes | None = None,
    content_type: str | None = None,
    query: Mapping[str, Any] | None = None,
    accept: str = "*/*",
) -> HttpStream:
    """Send the request and check the status; the body is left to `HttpStream.pieces()`."""
    parts = urlsplit(client.base + path + ("?" + urlencode(query) if query else ""))
    if json_body is not None:
        data, content_type = json.dumps(json_body).encode(), "application/json"
    sent = {**headers, "Accept": accept, "User-Agent": USER_AGENT}
    if content_type:
        sent["Content-Type"] = content_type
    cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = cls(parts.hostname, parts.port, timeout=client.timeout_s)
    conn.response_class = _StreamResponse
    where = f"{method} {client.host}{parts.path}"
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    t0 = time.perf_counter()
    try:
        conn.request(method, target, body=data, headers=sent)
        resp = conn.getresponse()
    except (OSError, http.client.HTTPException) as exc:
        conn.close()
        raise VendorError(scrub(f"{where}: {type(exc).__name__}: {exc}", client.key_env)) from None
    if not 200 <= resp.status < 300:
        try:
            body = resp.read(MAX_ERROR_BYTES)
        except (OSError, http.client.HTTPException):
            body = b""
        conn.close()
        hint = f" (check the key in {client.key_env})" if resp.status in (401, 403) and client.key_env else ""
        hint = hint or (" (redirects are not followed)" if 300 <= resp.status < 400 else "")
        raise VendorError(scrub(f"HTTP {resp.status} from {where}: {error_detail(body)}{hint}", client.key_env), resp.status)
    return HttpStream(conn, resp, t0, where, client.key_env)


def auth(adapter: Any) -> dict[str, str]:
    """A VendorAdapter's headers for one request: extra headers plus auth built from a fresh key read."""
    return {**adapter.extra_headers(), **adapter.auth_headers(api_key(adapter.key_env))}


def decoder_for(fmt: str, sample_rate: int | None = None) -> PcmDecoder | WavDecoder:
    """`wav`, or a headerless `pcm_s16le` / `pcm_s24le` / `pcm_f32le` at `sample_rate`."""
    if fmt == "wav":
        return WavDecoder()
    if sample_rate is None:
        raise ValueError(f"{fmt} needs a sample rate")
    return PcmDecoder(fmt, sample_rate)


def audio_chunks(
    stream: HttpStream, decoder: PcmDecoder | WavDecoder | SseDecoder, total_timeout_s: float
) -> Iterator[AudioChunk]:
    """Decoded chunks as pieces arrive; the first carries the first body byte's time. An answer that
    ends malformed (stray bytes, truncated WAV, no done event) raises after the last good chunk."""
    got = False
    for piece, t in stream.pieces(total_timeout_s):
        samples = decoder.feed(piece)
        if samples.size:
            yield AudioChunk(np.ascontiguousarray(samples), int(decoder.sample_rate), t, stream.first_byte_t if not got else None)
            got = True
    decoder.finish()
    if not got:
        raise MalformedAudio(f"{stream.where}: the stream held no audio samples")


def refuse(adapter: Any, req: Any) -> None:
    """The adapter's per-item refusals (empty text, undeclared language…) as an exception: a stream has no result row."""
    refused = adapter.check_request(req)
    if refused is not None:
        raise ValueError(refused.diagnostics.error)
