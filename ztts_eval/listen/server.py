"""`ztts-eval listen --serve`: the test page on a loopback address, votes appended to JSONL.

Only loopback binds are allowed (127.0.0.0/8, ::1, localhost): the server has no authentication,
so remote raters go through something the organiser controls (an SSH tunnel, a reverse proxy).
Requests whose Host header is not a loopback name are refused too (DNS rebinding). Each accepted
vote is checked against the key and appended as one line, flushed and fsynced, under a lock.
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from ztts_eval.listen import ListenError
from ztts_eval.listen.votes import clean_vote, vote_problem

MAX_BODY = 64 * 1024


class _Server(ThreadingHTTPServer):
    daemon_threads = True


class _Server6(_Server):
    address_family = socket.AF_INET6


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_loopback(host: str) -> None:
    if not is_loopback(host):
        raise ListenError(
            f"refusing to bind {host!r}: the listening server binds loopback only (127.0.0.1 or ::1); "
            "reach it from elsewhere through an SSH tunnel or a reverse proxy you control"
        )


class VoteHandler(SimpleHTTPRequestHandler):
    key: dict[str, Any]
    votes_path: Path
    lock: threading.Lock

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass  # a rater's clicks are not log lines; votes are in the JSONL

    def _host_ok(self) -> bool:
        host = self.headers.get("Host") or ""
        name = host[1 : host.find("]")] if host.startswith("[") else host.split(":")[0]
        if is_loopback(name):
            return True
        self.send_error(403, "Host must be a loopback name")
        return False

    def do_GET(self) -> None:
        if self._host_ok():
            super().do_GET()

    def do_HEAD(self) -> None:
        if self._host_ok():
            super().do_HEAD()

    def _reply(self, code: int, text: str) -> None:
        body = text.encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        if not self._host_ok():
            return
        if self.path.split("?")[0] != "/votes":
            return self._reply(404, "POST votes to /votes")
        length = int(self.headers.get("Content-Length") or 0)
        if not 0 < length <= MAX_BODY:
            return self._reply(413 if length else 411, f"a vote is 1..{MAX_BODY} bytes")
        try:
            vote = json.loads(self.rfile.read(length))
        except (json.JSONDecodeError, UnicodeDecodeError):
            return self._reply(400, "not valid JSON")
        problem = vote_problem(vote, self.key)
        if problem:
            return self._reply(400, problem)
        line = json.dumps(clean_vote(vote), ensure_ascii=False, sort_keys=True) + "\n"
        with self.lock, open(self.votes_path, "a", encoding="utf-8") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())
        self._reply(200, "saved")


def make_server(test_dir: Path, host: str = "127.0.0.1", port: int = 8765) -> ThreadingHTTPServer:
    """A server for test_dir (from `listen`), not yet started: call serve_forever()."""
    check_loopback(host)
    test_dir = Path(test_dir)
    key_path, page = test_dir / "key.json", test_dir / "page" / "index.html"
    if not key_path.is_file() or not page.is_file():
        raise ListenError(
            f"{test_dir} is not a listening test (no key.json or page/index.html); build it with `ztts-eval listen`"
        )
    attrs = {
        "key": json.loads(key_path.read_text(encoding="utf-8")),
        "votes_path": test_dir / "votes.jsonl",
        "lock": threading.Lock(),
    }
    handler = partial(type("BoundVoteHandler", (VoteHandler,), attrs), directory=str(test_dir / "page"))
    return (_Server6 if ":" in host else _Server)((host, port), handler)
