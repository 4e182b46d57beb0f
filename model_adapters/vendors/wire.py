"""One request's wire rules, the same for every vendor: a total deadline, an honest length, the asked-for type.

A socket timeout bounds each *read*, not the request: a server that drip-feeds one byte per second
keeps every read short and the request alive forever. So each request gets a watchdog that shuts
its sockets down when the total deadline passes, which wakes any blocked read (status line,
headers or body) and turns it into a TimeoutError. Bodies are read with `read1` (returns whatever
arrived, never waits to fill a buffer), checked against Content-Length (a dropped connection is a
retryable error, not half a clip scored as speech) and against a maximum size (a 2 GB claim is
refused before reading). The Content-Type is checked against what the caller expects, so a JSON or
HTML 200 is never decoded as raw PCM.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time
import urllib.request
from collections.abc import Callable
from typing import Any

AUDIO_TYPES = ("audio/", "application/octet-stream")
JSON_TYPES = ("application/json", "+json")


class Deadline:
    """Shuts down every socket a request opened once `seconds` have passed since it was armed."""

    def __init__(self, seconds: float) -> None:
        self.seconds, self.expired = float(seconds), False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(self.seconds, self._expire)
        self._timer.daemon = True
        self._end = time.monotonic() + self.seconds

    def __enter__(self) -> Deadline:
        self._end = time.monotonic() + self.seconds
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()

    def remaining(self) -> float:
        return self._end - time.monotonic()

    def track(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)

    def timeout_error(self) -> TimeoutError:
        return TimeoutError(f"response not complete within {self.seconds:g} s (total deadline)")


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed


def _tracked(conn_cls: type[http.client.HTTPConnection], deadline: Deadline | None) -> Callable[..., Any]:
    """A connection factory for urllib's do_open whose sockets the request's deadline can cut."""

    def make(host: str, **kwargs: Any) -> http.client.HTTPConnection:
        conn = conn_cls(host, **kwargs)
        connect = conn.connect

        def tracked_connect() -> None:
            connect()
            if deadline is not None:
                deadline.track(conn.sock)

        conn.connect = tracked_connect  # type: ignore[method-assign]
        return conn

    return make


class DeadlineHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(_tracked(http.client.HTTPConnection, getattr(req, "deadline", None)), req)


class DeadlineHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self) -> None:
        self._ssl = ssl.create_default_context()
        super().__init__(context=self._ssl)

    def https_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(_tracked(http.client.HTTPSConnection, getattr(req, "deadline", None)), req, context=self._ssl)


def declared_length(headers: Any, max_bytes: int, where: str) -> int | None:
    """Content-Length as an int, None when absent; a claim beyond `max_bytes` is refused unread."""
    raw = headers.get("Content-Length")
    if raw is None:
        return None
    try:
        n = int(str(raw).strip())
        if n < 0:
            raise ValueError
    except ValueError:
        raise BodyRejected(f"{where}: Content-Length {str(raw)[:40]!r} is not a byte count") from None
    if n > max_bytes:
        raise BodyRejected(f"{where}: Content-Length {n} exceeds the {max_bytes}-byte body limit")
    return n


def read_body(resp: Any, deadline: Deadline, max_bytes: int, where: str) -> bytes:
    """The whole body within the deadline, at most `max_bytes`, exactly Content-Length bytes when declared."""
    expected = declared_length(resp.headers, max_bytes, where)
    chunks, size = [], 0
    while True:
        if deadline.remaining() <= 0:
            raise deadline.timeout_error()
        chunk = resp.read1(65536)
        if not chunk:
            break
        size += len(chunk)
        if size > max_bytes:
            raise BodyRejected(f"{where}: body exceeds the {max_bytes}-byte limit")
        chunks.append(chunk)
    if deadline.expired:  # the watchdog's shutdown looks like EOF to the reader
        raise deadline.timeout_error()
    if expected is not None and size != expected:
        raise ConnectionError(f"body ended after {size} of the {expected} bytes its Content-Length promised")
    return b"".join(chunks)


def type_matches(content_type: str | None, expect: tuple[str, ...]) -> bool:
    """True when the media type is one of `expect` (prefixes like "audio/", or suffixes like "+json").

    An absent Content-Type passes (RFC 9110 lets a recipient examine the data): the decoder then
    checks the bytes themselves."""
    if not content_type or not expect:
        return True
    media = content_type.split(";", 1)[0].strip().lower()
    return any(media.startswith(e) if not e.startswith("+") else media.endswith(e) for e in expect)


def expected_types(accept: str) -> tuple[str, ...]:
    """What a 2xx may carry for an Accept header: audio for audio/*, JSON for JSON, anything for */*."""
    media = accept.split(",", 1)[0].split(";", 1)[0].strip().lower()
    if media.startswith("audio/"):
        return AUDIO_TYPES
    if media == "application/json":
        return JSON_TYPES
    return ()


def read_some(err: Any, limit: int, deadline: Deadline) -> bytes:
    """At most `limit` bytes of an error body, within the deadline (an error body is only read for its words)."""
    if err.fp is None:
        return b""
    read = getattr(err.fp, "read1", err.read)
    chunks, size = [], 0
    while size < limit and deadline.remaining() > 0 and (chunk := read(min(65536, limit - size))):
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


class BodyRejected(Exception):
    """A body that breaks a wire rule which retrying would not fix (size, unparsable length)."""
