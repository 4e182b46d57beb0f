"""Shared plumbing for the closed-API adapters: one careful HTTP path instead of four sloppy ones.

The vendors differ only in paths and JSON; what must not differ is the hard part. The API key comes
from an environment variable read at call time and is never stored, logged or echoed (vendor error
bodies sometimes quote it, so every error text is scrubbed). A rate-limited API is retried with full
jitter, honouring Retry-After, within a bounded number of attempts and a bounded total wait, so a
long run neither hammers a vendor nor hangs. Every attempt obeys the wire rules of `wire.py` (a
total deadline enforced while reading, Content-Length, Content-Type, a maximum body size); keys are
handled by `secrets.py` (refused when malformed, scrubbed with any 8+ characters of them before a
message is cut). Returned bytes are decoded in the exact format we asked for, and anything else is
a clear per-item error rather than garbage audio. Stdlib HTTP only, so the base install gains no
dependency.
"""

from __future__ import annotations

import email.utils
import http.client
import io
import json
import logging
import math
import random
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

from model_adapters.base import AdapterError
from model_adapters.vendors.secrets import REDACTED, api_key, scrub, scrub_key  # noqa: F401  (re-exported)
from model_adapters.vendors.wire import (
    AUDIO_TYPES,
    BodyRejected,
    Deadline,
    DeadlineHTTPHandler,
    DeadlineHTTPSHandler,
    expected_types,
    read_body,
    read_some,
    type_matches,
)

log = logging.getLogger(__name__)


T = TypeVar("T")

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
MAX_BODY_BYTES = 256 * 1024 * 1024  # ~25 min of 44.1 kHz float32 mono: far beyond any test item
MAX_ERROR_BYTES = 64 * 1024
USER_AGENT = "ztts-eval-vendor-adapter/1"


class VendorError(RuntimeError):
    """A per-item API failure. Its text names status, host and vendor message, never the key."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class MalformedAudio(VendorError):
    """A 200 whose body is not audio in the format we requested."""


def flag(value: Any) -> bool:
    """Booleans arrive as strings from `--param k=v`."""
    return value if isinstance(value, bool) else str(value).strip().lower() in {"1", "true", "yes", "on"}


def retry_after_seconds(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """Seconds to wait from `retry-after-ms` or `Retry-After` (delta-seconds or HTTP-date); None if absent."""
    raw_ms = headers.get("retry-after-ms")
    candidates: list[tuple[str | None, float]] = [(raw_ms, 1000.0)] if raw_ms else []
    candidates.append((headers.get("Retry-After"), 1.0))
    for raw, scale in candidates:
        if raw is None:
            continue
        try:
            value = float(raw.strip()) / scale
            if math.isfinite(value):
                return max(0.0, value)
            continue
        except ValueError:
            pass
        try:
            when = email.utils.parsedate_to_datetime(raw.strip())
        except (TypeError, ValueError, IndexError):
            continue
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
        return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
    return None


def error_detail(body: bytes) -> str:
    """The vendor's own words from an error body (ElevenLabs `detail`, OpenAI `error`, Fish 422 lists...)."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return cut(body.decode("utf-8", "replace").strip())
    return cut(_message(doc, 0))


def cut(text: str, limit: int = 300) -> str:
    """`text` cut to `limit` characters, never through the middle of a redaction marker."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    start = head.rfind(REDACTED[0])
    return head[:start] + REDACTED if start >= 0 and REDACTED.startswith(head[start:]) else head


def _message(doc: Any, depth: int) -> str:
    if depth > 4:
        return ""
    if isinstance(doc, str):
        return doc
    if isinstance(doc, list):
        return "; ".join(filter(None, (_message(d, depth + 1) for d in doc[:3])))
    if not isinstance(doc, dict):
        return ""
    for nested in ("detail", "error"):
        if isinstance(doc.get(nested), (dict, list)):
            return _message(doc[nested], depth + 1)
    code = next((doc[k] for k in ("code", "error_code", "type", "status") if isinstance(doc.get(k), str)), "")
    text = next((str(doc[k]) for k in ("message", "msg", "title", "detail") if doc.get(k)), "")
    return ": ".join(p for p in (code, text) if p) or json.dumps(doc)[:300]


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    backoff_base_s: float = 0.5
    backoff_cap_s: float = 30.0
    max_total_wait_s: float = 300.0


@dataclass
class Response:
    status: int
    headers: Any  # http.client.HTTPMessage: case-insensitive get()
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            raise VendorError(
                f"expected a JSON body, got {len(self.body)} bytes starting {self.body[:40]!r}", self.status
            ) from None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """urllib would replay the auth header to wherever a 3xx points; we refuse instead."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        return None


class HttpClient:
    """One vendor's base URL, auth and retry policy. Holds the key's variable name, never the key."""

    def __init__(
        self,
        base_url: str,
        key_env: str,
        auth: Callable[[str], dict[str, str]],
        *,
        timeout_s: float,
        retry: RetryPolicy,
        headers: dict[str, str] | None = None,
        allow_http: bool = False,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise AdapterError(f"base URL {base_url!r} is not an http(s) URL")
        if parts.username or parts.password or parts.query:
            raise AdapterError(
                f"base URL for {parts.hostname} must not carry credentials or a query; the key belongs in {key_env}"
            )
        loopback = parts.hostname in LOOPBACK_HOSTS
        if parts.scheme == "http" and not (loopback or allow_http):
            raise AdapterError(f"refusing to send the API key over plain http to {parts.hostname}; use https or allow_http=true")
        self.base = base_url.rstrip("/")
        self.host = parts.hostname + (f":{parts.port}" if parts.port else "")
        self.key_env, self._auth, self.timeout_s, self.retry = key_env, auth, float(timeout_s), retry
        self._headers = dict(headers or {})
        handlers: list[Any] = [_NoRedirect(), DeadlineHTTPHandler(), DeadlineHTTPSHandler()]
        handlers += [urllib.request.ProxyHandler({})] if loopback else []
        self._opener = urllib.request.build_opener(*handlers)
        self._rng = random.Random()

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        data: bytes | None = None,
        content_type: str | None = None,
        query: Mapping[str, Any] | None = None,
        accept: str = "*/*",
        expect: tuple[str, ...] | None = None,
    ) -> Response:
        """One call with retries. `expect`: media types a 2xx may carry (default: from `accept`)."""
        key = api_key(self.key_env) if self.key_env else ""  # key_env "": a server without authentication
        expect = expect if expect is not None else expected_types(accept)
        url = self.base + path + ("?" + urlencode(query) if query else "")
        if json_body is not None:
            data, content_type = json.dumps(json_body).encode(), "application/json"
        headers = {**self._headers, "Accept": accept, "User-Agent": USER_AGENT, **self._auth(key)}
        if content_type:
            headers["Content-Type"] = content_type
        where, waited = f"{method} {self.host}{path}", 0.0
        for attempt in range(1, self.retry.max_attempts + 1):
            hint = None
            try:
                resp = self._send(urllib.request.Request(url, data=data, headers=headers, method=method))
                if 200 <= resp.status < 300:
                    return self._typed(resp, expect, where, key)
                hint_text = {401: f" (check the key in {self.key_env})", 403: f" (check the key in {self.key_env})"}.get(
                    resp.status, " (redirects are not followed)" if 300 <= resp.status < 400 else ""
                )
                detail = error_detail(scrub_key(resp.body.decode("utf-8", "replace"), key).encode())  # scrub, then cut
                error = VendorError(f"HTTP {resp.status} from {where}: {detail}{hint_text}", resp.status)
                retryable = resp.status in (408, 429) or (resp.status >= 500 and resp.status != 501)
                hint = retry_after_seconds(resp.headers) if retryable else None
            except BodyRejected as exc:  # retrying would fetch the same oversized or unparsable body
                raise VendorError(scrub_key(str(exc), key)) from None
            except (OSError, http.client.HTTPException) as exc:  # timeouts, refused/reset connections, cut streams
                error, retryable = VendorError(f"{where}: {type(exc).__name__}: {getattr(exc, 'reason', exc)}"), True
            error = VendorError(scrub_key(str(error), key), error.status)  # the key we sent, or any 8+ characters of it
            if not retryable:
                raise error
            if attempt == self.retry.max_attempts:
                raise VendorError(f"{error} (gave up after {attempt} attempts)", error.status)
            delay = (
                hint
                if hint is not None
                else self._rng.uniform(0.0, min(self.retry.backoff_cap_s, self.retry.backoff_base_s * 2 ** (attempt - 1)))
            )
            if waited + delay > self.retry.max_total_wait_s:
                raise VendorError(
                    f"{error} (not retried: {delay:.1f} s more would exceed the {self.retry.max_total_wait_s:g} s retry budget)",
                    error.status,
                )
            log.warning("%s; retry %d/%d in %.2f s", error, attempt, self.retry.max_attempts - 1, delay)
            time.sleep(delay)
            waited += delay
        raise AssertionError("unreachable")

    def _send(self, req: urllib.request.Request) -> Response:
        """One attempt under a total deadline: connecting, headers and body all count (docs: wire.py)."""
        with Deadline(self.timeout_s) as deadline:
            req.deadline = deadline  # type: ignore[attr-defined]  (read by the Deadline*Handler)
            try:
                try:
                    resp = self._opener.open(req, timeout=self.timeout_s)
                except urllib.error.HTTPError as err:  # a 4xx/5xx (or refused 3xx) still has a body worth reading
                    with err:
                        return Response(err.code, err.headers, read_some(err, MAX_ERROR_BYTES, deadline))
                with resp:
                    return Response(resp.status, resp.headers, read_body(resp, deadline, MAX_BODY_BYTES, self.host))
            except (OSError, http.client.HTTPException, ValueError):
                if deadline.expired:  # whatever the cut socket raised, the reason is the deadline
                    raise deadline.timeout_error() from None
                raise

    def _typed(self, resp: Response, expect: tuple[str, ...], where: str, key: str) -> Response:
        """A 2xx whose Content-Type is not what was asked for is a per-item error (not retried)."""
        ctype = resp.headers.get("Content-Type") if resp.headers is not None else None
        if not resp.body or type_matches(ctype, expect):
            return resp
        detail = error_detail(scrub_key(resp.body.decode("utf-8", "replace"), key).encode())[:120]
        kind = MalformedAudio if expect == AUDIO_TYPES else VendorError
        raise kind(
            f"HTTP {resp.status} from {where} has Content-Type {ctype!r}, expected {' or '.join(expect)} "
            f"({len(resp.body)} bytes: {detail})",
            resp.status,
        )


def multipart(fields: list[tuple[str, str]], files: list[tuple[str, str, str, bytes]]) -> tuple[bytes, str]:
    """multipart/form-data body and its Content-Type; files are (field, filename, content type, bytes)."""
    boundary = f"ztts-{uuid.uuid4().hex}"
    out = io.BytesIO()
    for name, value in fields:
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, filename, ctype, content in files:
        out.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {ctype}\r\n\r\n".encode()
        )
        out.write(content + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"
