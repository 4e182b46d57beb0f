"""Every vendor against wire faults: drip-fed, cut and oversized bodies, wrong types, and keys echoed back.

The planted key holds characters that URL-encoding and JSON-escaping change (`+ / = "`), so its
escaped forms differ from the raw one. After a full run (generation, scoring, results, SQLite store,
Markdown and HTML report) every written file, the log and the console are scanned for any
8-character stretch of the key in any of its forms.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import pytest

from model_adapters.base import AdapterError
from model_adapters.vendors.secrets import MIN_LEAK, api_key, key_forms, scrub_key
from tests.fakes.fault_server import ECHO_FORMS, FaultyVendorServer
from tests.fakes.vendor_specs import SPECS, req

KEY = 'zt+Secret/7f3c"9a1e=5b2d4c6f8e0a91'
FAST = {"timeout_s": 0.5, "max_attempts": 2, "backoff_base_s": 0.01, "backoff_cap_s": 0.02, "max_total_wait_s": 5.0}


def leaks(text: str, key: str = KEY) -> list[str]:
    windows = {f[i : i + MIN_LEAK] for f in key_forms(key) for i in range(len(f) - MIN_LEAK + 1)}
    return sorted(w for w in windows if w in text)


def make(vendor: str, srv: FaultyVendorServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **kw: Any) -> Any:
    monkeypatch.setenv(SPECS[vendor].env, KEY)
    adapter = SPECS[vendor].cls(**{"base_url": srv.base_url, "voice_cache": str(tmp_path / "voices.json"), **FAST, **kw})
    adapter.load()
    return adapter


def one(vendor: str, monkeypatch, tmp_path, faults: list[tuple[str, str]], **kw: Any) -> tuple[Any, FaultyVendorServer, float]:
    with FaultyVendorServer(vendor, KEY) as srv:
        for kind, form in faults:
            srv.wire(kind, form)
        t0 = time.monotonic()
        (res,) = make(vendor, srv, monkeypatch, tmp_path, **kw).synthesize([req()])
        return res, srv, time.monotonic() - t0


def test_drip_fed_body_hits_the_total_deadline_on_every_attempt(vendor, monkeypatch, tmp_path) -> None:
    res, srv, took = one(vendor, monkeypatch, tmp_path, [("drip", ""), ("drip", "")])
    assert not res.ok and "total deadline" in res.diagnostics.error and "gave up after 2 attempts" in res.diagnostics.error
    assert srv.served == ["drip", "drip"]
    assert took < 2 * 0.5 + 1.0  # two deadlines of 0.5 s plus backoff and clone; a drip would run 3 s each


def test_drip_then_a_good_answer_is_retried_to_success(vendor, monkeypatch, tmp_path) -> None:
    res, srv, _ = one(vendor, monkeypatch, tmp_path, [("drip", "")])
    assert res.ok, res.diagnostics.error
    assert len(srv.of_kind("tts")) == 2


def test_cut_body_is_retried_never_scored_as_half_a_clip(vendor, monkeypatch, tmp_path) -> None:
    res, srv, _ = one(vendor, monkeypatch, tmp_path, [("cut", ""), ("cut", "")])
    assert not res.ok and "Content-Length promised" in res.diagnostics.error and len(srv.of_kind("tts")) == 2
    res, srv, _ = one(vendor, monkeypatch, tmp_path, [("cut", "")])
    assert res.ok and res.waveform.size > 1000 and len(srv.of_kind("tts")) == 2


def test_huge_content_length_is_refused_unread_and_not_retried(vendor, monkeypatch, tmp_path) -> None:
    res, srv, _ = one(vendor, monkeypatch, tmp_path, [("huge_length", "")])
    assert not res.ok and "Content-Length 2000000000 exceeds" in res.diagnostics.error
    assert len(srv.of_kind("tts")) == 1


@pytest.mark.parametrize("ctype", ["application/json", "text/html; charset=utf-8"])
def test_a_200_of_the_wrong_content_type_is_never_decoded(vendor, ctype, monkeypatch, tmp_path) -> None:
    res, srv, _ = one(vendor, monkeypatch, tmp_path, [("wrong_type", ctype)])
    error = res.diagnostics.error
    assert not res.ok and "MalformedAudio" in error and f"Content-Type {ctype!r}" in error, error
    assert srv.served == ["wrong_type"] and srv.of_kind("tts") == []  # answered by the fault, and not retried


@pytest.mark.parametrize("form", ECHO_FORMS)
def test_echoed_keys_are_scrubbed_in_every_form(vendor, form, monkeypatch, tmp_path) -> None:
    res, _, _ = one(vendor, monkeypatch, tmp_path, [("echo_key", form), ("echo_key", form)], max_attempts=1)
    quoted = not (vendor == "cartesia" and form == "preview")  # its raw-PCM length check quotes no bytes
    assert not res.ok and ("[redacted]" in res.diagnostics.error) == quoted, res.diagnostics.error
    assert leaks(res.diagnostics.error) == [], res.diagnostics.error


@pytest.mark.parametrize("bad", ["zt-secret\nX-Evil: 1", "zt-secret key", "zt-secret\x1bkey", "zt-sécret-key"])
def test_keys_with_whitespace_control_or_non_ascii_are_refused_at_preflight(bad, monkeypatch) -> None:
    monkeypatch.setenv("SOME_KEY", bad)
    with pytest.raises(AdapterError, match="SOME_KEY holds a whitespace, control or non-ASCII") as err:
        api_key("SOME_KEY")
    assert "secret" not in str(err.value) and "\n" not in str(err.value)


def test_scrub_covers_prefixes_escapes_and_short_keys() -> None:
    assert scrub_key(f"cut here: {KEY[:9]}", KEY) == "cut here: [redacted]"
    assert scrub_key(f"{KEY[:7]} stays (7 characters are not a leak)", KEY).startswith(KEY[:7])
    assert scrub_key("a=zt%2BSecret%2F7f3c%229a1e", KEY) == "a=[redacted]"
    assert scrub_key('{"k": "zt+Secret/7f3c\\"9a1e"}', KEY) == '{"k": "[redacted]"}'
    assert scrub_key("short abc123 key", "abc123") == "short [redacted] key"
    assert scrub_key("nothing here", KEY) == "nothing here"


@pytest.mark.slow
def test_full_run_with_every_fault_writes_no_stretch_of_the_key(vendor, monkeypatch, tmp_path, caplog, capfd) -> None:
    """generate → score → results → store → Markdown + HTML, with every fault served once; then scan it all."""
    pytest.importorskip("pyworld")
    from ztts_eval.pipeline.runner import RunConfig, run_evaluation
    from ztts_eval.report.leaderboard import write_report

    caplog.set_level(logging.DEBUG)
    results = tmp_path / "results"
    with FaultyVendorServer(vendor, KEY) as srv:
        srv.fail("401", echo_key=True)
        for form in ECHO_FORMS:
            srv.wire("echo_key", form)
        for kind, form in [("wrong_type", "application/json"), ("huge_length", ""), ("cut", ""), ("drip", "")]:
            srv.wire(kind, form)
        monkeypatch.setenv(SPECS[vendor].env, KEY)
        params = {"base_url": srv.base_url, "voice_cache": str(tmp_path / "voices.json"), "max_concurrency": 1, **FAST}
        cfg = RunConfig(model=SPECS[vendor].cls.name, suite="demo", params=params, results_dir=results, metrics=["f0_pyworld"])
        outcome = run_evaluation(cfg)
        write_report(results, outcome.paths.suite, "lite", echo=True)
        try:
            from ztts_eval.report.html import write_html

            write_html(results, outcome.paths.suite, "lite")
        except ImportError:
            pass
        assert srv.wire_faults == [] and srv.problems == []
    out, err = capfd.readouterr()
    rows = (outcome.paths.samples).read_text()
    assert rows.count('"status": "failed"') >= 5 and '"status": "ok"' in rows and "[redacted]" in rows
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.suffix == ".sqlite" for p in files) and any(p.name == "leaderboard-lite.md" for p in files)
    for path in files:
        assert leaks(path.read_bytes().decode("latin-1")) == [], path
    assert leaks(caplog.text + out + err) == []
