"""`listen --serve`: loopback only, serves the page, appends checked votes to votes.jsonl."""

from __future__ import annotations

import http.client
import json
import threading

import pytest

from tests.fakes.cli import run_cli
from ztts_eval.listen import ListenError
from ztts_eval.listen.server import make_server


@pytest.fixture
def server(listening_test):
    folder, key = listening_test
    srv = make_server(folder, "127.0.0.1", 0)
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield srv, folder, key
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join(timeout=5)


def _request(srv, method, path, body=None, host=None):
    conn = http.client.HTTPConnection("127.0.0.1", srv.server_address[1], timeout=5)
    headers = {"Content-Type": "application/json"}
    if host:
        headers["Host"] = host
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    resp = conn.getresponse()
    out = resp.status, resp.read().decode()
    conn.close()
    return out


def test_serves_the_page_and_appends_valid_votes(server):
    srv, folder, key = server
    status, page = _request(srv, "GET", "/index.html")
    assert status == 200 and key["test_id"] in page
    vote = {
        "test_id": key["test_id"],
        "trial": "t001",
        "rater": "r01",
        "answers": {"overall": "A", "similarity": None},
        "ms": 900,
    }
    assert _request(srv, "POST", "/votes", vote) == (200, "saved")
    assert _request(srv, "POST", "/votes", {**vote, "trial": "t002", "extra": "dropped"})[0] == 200
    lines = [json.loads(l) for l in (folder / "votes.jsonl").read_text().splitlines()]
    assert [l["trial"] for l in lines] == ["t001", "t002"] and "extra" not in lines[1]
    status, text = _request(srv, "POST", "/votes", {**vote, "rater": "jane@example.com"})
    assert status == 400 and "rater id" in text
    assert _request(srv, "POST", "/votes", {**vote, "test_id": "other"})[0] == 400
    assert _request(srv, "POST", "/elsewhere", vote)[0] == 404
    assert len((folder / "votes.jsonl").read_text().splitlines()) == 2  # refused votes are not written
    assert _request(srv, "GET", "/index.html", host="evil.example:80")[0] == 403  # DNS rebinding
    assert _request(srv, "GET", "/../key.json")[0] == 404  # the key is never served


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "example.com"])
def test_non_loopback_binds_are_refused(listening_test, host):
    folder, _ = listening_test
    with pytest.raises(ListenError, match="loopback only"):
        make_server(folder, host, 0)
    proc = run_cli("listen", "--out", str(folder), "--serve", "--host", host, check=False)
    assert proc.returncode == 2 and "refusing to bind" in proc.stderr and "Traceback" not in proc.stderr
