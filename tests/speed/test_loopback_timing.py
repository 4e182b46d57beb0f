"""Timing truth: a loopback server streams on a programmed schedule; the harness must measure that schedule.

Tolerance: measured times must equal the programmed ones within TOL_S = 25 ms (schedules use
100–300 ms steps so a loaded 2-core machine cannot blur one step into the next), and chunk gaps must
equal the gaps between the server's own recorded writes within 5 ms (same process, same clock).
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from model_adapters.base import SynthesisRequest
from model_adapters.zonos2.server_client import Zonos2ServerAdapter
from tests.fakes.streaming_server import FakeStreamingServer, Step
from ztts_eval.speed.arrivals import Setting, schedule
from ztts_eval.speed.loadgen import RequestRecord, client_health, consume, run_closed, run_open, run_setting
from ztts_eval.speed.run import row_of
from ztts_eval.speed.summary import summarize_setting

TOL_S = 0.025
SR = 44100
REQ = SynthesisRequest(item_id="it-1", text="hello there", language="en", prompt_audio=None)


def client(server: FakeStreamingServer) -> Zonos2ServerAdapter:
    return Zonos2ServerAdapter(base_url=server.base_url, timeout_s=10, max_attempts=1)


def one(adapter, server=None) -> dict:
    rec = consume(adapter, RequestRecord(0, REQ, False, 0.0, 0.0), time.perf_counter())
    assert rec.error is None, rec.error
    return row_of(rec, "sys", "c=1")


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)


def test_stalled_chunk_is_an_underrun_and_every_time_matches_the_schedule() -> None:
    # pieces of 0.1 s audio at 0.2, 0.3, 0.4, 0.7, 0.8 s: the player starves 0.2 s before the 4th
    steps = [Step(0.2, 4410), Step(0.1, 4410), Step(0.1, 4410), Step(0.3, 4410), Step(0.1, 4410)]
    with FakeStreamingServer("zonos2", steps) as server:
        row = one(client(server))
    offsets, _ = server.programmed()
    got = np.array([c[0] for c in row["chunks"]])
    assert row["n_chunks"] == 5 and [c[1] for c in row["chunks"]] == [4410] * 5
    assert np.all(np.abs(got - offsets) < TOL_S), (got, offsets)
    sent = np.array(server.served[0].sent)
    assert np.all(np.abs(np.diff(got) - np.diff(sent)) < 0.005)  # gaps = the server's own write gaps
    assert row["ttfb_s"] == pytest.approx(0.2, abs=TOL_S) and row["ttfa_s"] == pytest.approx(0.2, abs=TOL_S)
    assert row["latency_s"] == pytest.approx(0.8, abs=TOL_S)
    assert row["audio_s"] == pytest.approx(0.5, abs=1e-9)
    assert row["rtf"] == pytest.approx(0.8 / 0.5, abs=TOL_S / 0.5)
    assert row["max_gap_s"] == pytest.approx(0.3, abs=TOL_S)
    assert row["worst_stall_s"] == pytest.approx(0.2, abs=TOL_S)
    assert row["underrun"] is True


def test_steady_stream_has_no_underrun_and_is_judged_streaming() -> None:
    steps = [Step(0.1, 8820)] + [Step(0.1, 8820)] * 4  # 0.2 s of audio every 0.1 s: ahead of playback
    with FakeStreamingServer("zonos2", steps) as server:
        row = one(client(server))
    assert row["worst_stall_s"] < 0.005 and row["underrun"] is False
    assert row["ttfa_s"] == pytest.approx(0.1, abs=TOL_S) and row["latency_s"] == pytest.approx(0.5, abs=TOL_S)
    stats = summarize_setting([{**row, "warmup": False}], adapter_streams=True)
    assert stats["stream"]["streaming"] is True and stats["stream"]["ratio"] == pytest.approx(0.2, abs=0.06)


def test_server_that_sends_everything_at_the_end_is_not_streaming() -> None:
    steps = [Step(0.1, 4410)] * 5
    with FakeStreamingServer("zonos2", steps, at_end=True) as server:
        row = one(client(server))
    assert row["n_chunks"] >= 1 and row["ttfa_s"] == pytest.approx(0.5, abs=TOL_S)
    stats = summarize_setting([{**row, "warmup": False}], adapter_streams=True)
    assert stats["stream"]["streaming"] is False and stats["stream"]["ratio"] > 0.95


def test_silent_opening_separates_first_byte_from_first_audio() -> None:
    steps = [Step(0.1, 4410, silent=True), Step(0.1, 4410), Step(0.1, 4410)]
    with FakeStreamingServer("zonos2", steps) as server:
        row = one(client(server))
    assert row["ttfb_s"] == pytest.approx(0.1, abs=TOL_S)
    assert row["ttfa_s"] == pytest.approx(0.2, abs=TOL_S)


def test_closed_loop_throughput_matches_the_programmed_service_time() -> None:
    # every request takes 0.3 s; 4 streams x 2 rounds = 8 requests in ~0.6 s -> 13.3 req/s, 0.3 s audio each
    steps = [Step(0.1, 4410), Step(0.1, 4410), Step(0.1, 4410)]
    with FakeStreamingServer("zonos2", steps, max_requests=8) as server:
        run = run_closed(client(server), lambda i: REQ, 4, 8, None)
    rows = [{**row_of(r, "s", "c=4"), "warmup": False} for r in run.records]
    stats = summarize_setting(rows, adapter_streams=True)
    assert stats["n_ok"] == 8 and len(server.served) == 8
    assert stats["window_s"] == pytest.approx(0.6, abs=2 * TOL_S)
    assert stats["requests_per_s"] == pytest.approx(8 / 0.6, rel=0.08)
    assert stats["audio_s_per_s"] == pytest.approx(8 * 0.3 / 0.6, rel=0.08)
    assert stats["measures"]["latency_s"]["p50"] == pytest.approx(0.3, abs=TOL_S)


def test_open_loop_sends_on_schedule_and_a_saturated_client_reports_itself() -> None:
    times = schedule("poisson:10/s", 0.6, None, seed=3)
    assert len(times) >= 2
    steps = [Step(0.05, 2205)]
    with FakeStreamingServer("zonos2", steps) as server:
        run = run_open(client(server), lambda i: REQ, times, max_in_flight=64)
        ok = client_health(run)
        assert np.all(np.abs(np.array([r.sent_s for r in run.records]) - times) < TOL_S)
        assert ok["dispatch_lag_p99_s"] < TOL_S
        # one stream at a time, 0.3 s each, sent every 0.1 s: requests queue in the client
        slow = [Step(0.3, 4410)]
        server.schedule = slow
        jam = run_open(client(server), lambda i: REQ, np.arange(4) * 0.1, max_in_flight=1)
    health = client_health(jam)
    assert health["overloaded"] is True and "left the client late" in health["reason"]
    assert health["dispatch_lag_max_s"] == pytest.approx(0.6, abs=3 * TOL_S)  # the 4th, due at 0.3 s, starts at 3 x 0.3 s


def test_cpu_starved_client_is_reported_overloaded() -> None:
    stop = threading.Event()

    def spin() -> None:
        while not stop.is_set():
            sum(range(2000))

    spinners = [threading.Thread(target=spin, daemon=True) for _ in range(8)]
    steps = [Step(0.05, 2205)] * 4
    with FakeStreamingServer("zonos2", steps) as server:
        for t in spinners:
            t.start()
        try:
            run = run_closed(client(server), lambda i: REQ, 2, 4, None)
        finally:
            stop.set()
            for t in spinners:
                t.join()
    health = client_health(run)
    assert health["overloaded"] is True and "CPU-bound client" in health["reason"], health


def test_run_setting_keeps_warmup_out_of_the_statistics() -> None:
    steps = [Step(0.05, 2205), Step(0.05, 2205)]
    with FakeStreamingServer("zonos2", steps) as server:
        measured, warm = run_setting(
            client(server), Setting("c=2", "closed", concurrency=2, requests=4), lambda i: REQ, warmup=2, max_in_flight=8, seed=0
        )
    assert warm is not None and [r.index for r in warm.records] == [0, 1] and all(r.warmup for r in warm.records)
    assert [r.index for r in measured.records] == [2, 3, 4, 5] and len(server.served) == 6
    rows = [{**row_of(r, "s", "c=2")} for r in warm.records + measured.records]
    assert summarize_setting(rows, True)["n_requests"] == 4
