"""The vendor fake, plus faults of the wire itself: drip-fed, cut and oversized bodies, wrong types, echoed keys.

Why: the plain fake (vendor_server.py) always frames its bodies correctly, so it cannot show a
client that waits forever on a drip-fed body, accepts half a body when the connection drops, trusts
a 2 GB Content-Length, decodes a JSON 200 as raw PCM, or stores a prefix of a key that an error body
echoed past the 300-character cut. Each fault here applies to one speech request (`on="tts"`), in
the order scripted; everything else is the plain fake's validated behaviour. It binds 127.0.0.1
only, and every fault is bounded in time (a drip stops after `bound_s`, or when the client hangs up).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from tests.fakes.vendor_server import TTS_PATHS, FakeVendorServer, _Handler, _QuietServer

WIRE_FAULTS = ("drip", "cut", "huge_length", "wrong_type", "echo_key")
ECHO_FORMS = ("past_cut", "url", "json_escaped", "html", "preview")


@dataclass
class WireFault:
    kind: str  # one of WIRE_FAULTS
    form: str = ""  # echo_key: one of ECHO_FORMS; wrong_type: the Content-Type sent
    bound_s: float = 3.0  # drip: stop dripping after this long
    interval_s: float = 0.05  # drip: one small write per interval


class FaultyVendorServer(FakeVendorServer):
    def __init__(self, vendor: str, key: str) -> None:
        super().__init__(vendor, key)
        self.wire_faults: list[WireFault] = []
        self.served: list[str] = []  # the wire faults actually served, in order

    def wire(self, kind: str, form: str = "", bound_s: float = 3.0, times: int = 1) -> None:
        assert kind in WIRE_FAULTS, kind
        self.wire_faults += [WireFault(kind, form, bound_s) for _ in range(times)]

    def __enter__(self) -> FaultyVendorServer:
        handler = type("Handler", (_FaultHandler,), {"fake": self})
        self._httpd = _QuietServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def take_wire_fault(self, h: _Handler) -> WireFault | None:
        if h.command != "POST" or not h.path.startswith(TTS_PATHS[self.vendor]):
            return None
        with self._lock:
            fault = self.wire_faults.pop(0) if self.wire_faults else None
            if fault is not None:
                self.served.append(fault.kind)
        return fault

    def echo_body(self, form: str) -> tuple[int, bytes, str]:
        """An error (or bogus 200) body that quotes the key the way real services and proxies do."""
        if form == "past_cut":  # the 300-character cut of error messages falls inside the key
            return 400, json.dumps({"message": "x" * 290 + " " + self.key}).encode(), "application/json"
        if form == "url":
            return 403, json.dumps({"message": f"GET /auth?key={quote(self.key, safe='')} denied"}).encode(), "application/json"
        if form == "json_escaped":  # not JSON at the top: the escaped form stays in the text
            return 500, ("upstream said: " + json.dumps({"key": self.key})).encode(), "text/plain"
        if form == "html":
            return 502, f"<html><body>proxy error for key {self.key}</body></html>".encode(), "text/html"
        if form == "preview":  # a 200 "audio" body: the decoder's byte preview would show the key
            return 200, f"KEY={self.key}".encode() + b"\x00" * 64, "audio/wav"
        raise AssertionError(form)


class _FaultHandler(_Handler):
    fake: FaultyVendorServer
    wire_fault: WireFault | None = None

    def _serve(self, method: str) -> None:
        self.wire_fault = self.fake.take_wire_fault(self)
        fault = self.wire_fault
        if fault is not None and fault.kind in ("wrong_type", "echo_key"):
            size = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(size)
            if fault.kind == "echo_key":
                status, body, ctype = self.fake.echo_body(fault.form)
            else:  # a JSON or HTML 200 whose length is a multiple of 4: it would decode as float32 PCM
                ctype = fault.form or "application/json"
                text = '{"error": "quota exceeded"}' if "json" in ctype else "<html><body>maintenance</body></html>"
                body = (text + " " * (-len(text) % 4)).encode()
                status = 200
            super().reply(status, body, ctype)
            return
        self.fake.handle(self, method)

    def do_POST(self) -> None:
        self._serve("POST")

    def reply(self, status: int, payload: Any, ctype: str = "application/json", headers=None, chunked: bool = False) -> None:
        fault = self.wire_fault
        if fault is None or status != 200 or fault.kind not in ("drip", "cut", "huge_length"):
            super().reply(status, payload, ctype, headers, chunked)
            return
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        length = 2_000_000_000 if fault.kind == "huge_length" else len(body)
        try:
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(length))
            self.send_header("Connection", "close")
            self.end_headers()
            if fault.kind == "cut":  # the connection drops half-way through a correctly announced body
                self.wfile.write(body[: len(body) // 2])
            elif fault.kind == "huge_length":
                self.wfile.write(body)
            else:  # drip: every read returns quickly, the body never completes in time
                end = time.monotonic() + fault.bound_s
                for i in range(0, len(body), 32):
                    if time.monotonic() > end or self.fake._stop.wait(fault.interval_s):
                        break
                    self.wfile.write(body[i : i + 32])
                    self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up, as it should
        self.close_connection = True
