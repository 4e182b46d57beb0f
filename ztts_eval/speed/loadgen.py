"""The load generator: runs one setting's requests against an adapter's stream and records its own lag.

Closed loop: C worker threads, each starting its next request the moment its last one ended.
Open loop: a dispatcher sends on the schedule into a pool of at most `max_in_flight` workers,
whether or not earlier answers came back. Each request is consumed chunk by chunk as the adapter
yields it; audio is only concatenated, never written, until the setting ends (disk I/O would
perturb the timings being measured).

An overloaded client must never pass for a slow server, so the generator measures itself twice:
the dispatch lag of every request (when it actually went out versus when it was due: the schedule
in an open loop, the moment its worker became free in a closed one), and a ticker thread that asks
to wake every 10 ms and records how late it woke (a CPU- or GIL-starved client wakes late, and its
chunk timestamps are late by as much). Either p99 above `lag_limit_s` marks the setting
`client_overloaded`, with the reason.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from model_adapters.base import Adapter, SynthesisRequest
from ztts_eval.speed.arrivals import Setting, schedule
from ztts_eval.speed.measures import Arrival

TICK_S = 0.010
LAG_LIMIT_S = 0.020


@dataclass
class RequestRecord:
    index: int
    request: SynthesisRequest
    warmup: bool
    due_s: float  # when it should have gone out (setting clock)
    sent_s: float  # when the harness called the adapter
    end_s: float = 0.0
    arrivals: list[Arrival] = field(default_factory=list)
    sample_rate: int | None = None
    first_byte_t: float | None = None
    prep_s: float | None = None  # client-side time before the request hit the wire (prompt encoding, cloning)
    audio: np.ndarray | None = None
    error: str | None = None

    @property
    def lag_s(self) -> float:
        return max(0.0, self.sent_s - self.due_s)


class LagMonitor:
    """A thread that wakes every TICK_S and records how late each wake-up was."""

    def __init__(self) -> None:
        self.late: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ztts-speed-lag", daemon=True)

    def _run(self) -> None:
        due = time.perf_counter() + TICK_S
        while not self._stop.is_set():
            time.sleep(max(0.0, due - time.perf_counter()))
            now = time.perf_counter()
            self.late.append(now - due)
            due = max(due + TICK_S, now)  # after a long stall, do not count one stall many times

    def __enter__(self) -> LagMonitor:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def consume(adapter: Adapter, rec: RequestRecord, clock0: float) -> RequestRecord:
    """Drain one request's stream into `rec`; any exception is the request's error, never the run's."""
    pieces: list[np.ndarray] = []
    t_call = time.perf_counter()
    try:
        for chunk in adapter.synthesize_stream(rec.request):
            if not pieces:
                rec.prep_s = max(0.0, (time.perf_counter() - t_call) - chunk.t)
                rec.sample_rate, rec.first_byte_t = int(chunk.sample_rate), chunk.first_byte_t
            elif chunk.sample_rate != rec.sample_rate:
                raise ValueError(f"sample rate changed mid-stream ({rec.sample_rate} → {chunk.sample_rate} Hz)")
            pieces.append(chunk.samples)
            rec.arrivals.append(Arrival(float(chunk.t), int(len(chunk.samples))))
        if not pieces:
            raise ValueError("the stream ended without audio")
        rec.audio = np.concatenate(pieces).astype(np.float32, copy=False)
    except Exception as exc:  # per-request failure: a row, never a crashed run
        rec.error = f"{type(exc).__name__}: {exc}"[:500]
    rec.end_s = time.perf_counter() - clock0
    return rec


@dataclass
class SettingRun:
    records: list[RequestRecord]
    wall_s: float
    tick_late_s: list[float]


def run_closed(
    adapter: Adapter,
    source: Callable[[int], SynthesisRequest],
    concurrency: int,
    n: int | None,
    duration_s: float | None,
    first_index: int = 0,
    warmup: bool = False,
) -> SettingRun:
    """C workers; each starts its next request as soon as its previous one ends (until n or duration)."""
    records: list[RequestRecord] = []
    lock, counter = threading.Lock(), iter(range(first_index, 1 << 62))
    clock0 = time.perf_counter()

    def worker() -> None:
        free = time.perf_counter() - clock0
        while True:
            with lock:
                i = next(counter)
            if (n is not None and i - first_index >= n) or (duration_s is not None and free >= duration_s):
                return
            rec = RequestRecord(i, source(i), warmup, due_s=free, sent_s=time.perf_counter() - clock0)
            consume(adapter, rec, clock0)
            with lock:
                records.append(rec)
            free = rec.end_s

    with LagMonitor() as monitor:
        threads = [threading.Thread(target=worker, name=f"ztts-speed-{k}", daemon=True) for k in range(concurrency)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return SettingRun(sorted(records, key=lambda r: r.index), time.perf_counter() - clock0, monitor.late)


def run_open(
    adapter: Adapter, source: Callable[[int], SynthesisRequest], times: np.ndarray, max_in_flight: int, first_index: int = 0
) -> SettingRun:
    """Send request k at times[k] from the start, into at most `max_in_flight` concurrent streams."""
    records: list[RequestRecord] = []
    lock = threading.Lock()
    clock0 = time.perf_counter()

    def one(i: int, due: float) -> None:
        rec = RequestRecord(i, source(i), False, due_s=due, sent_s=time.perf_counter() - clock0)
        consume(adapter, rec, clock0)
        with lock:
            records.append(rec)

    with LagMonitor() as monitor, ThreadPoolExecutor(max_workers=max_in_flight, thread_name_prefix="ztts-speed") as pool:
        for k, due in enumerate(times):
            wait = float(due) - (time.perf_counter() - clock0)
            if wait > 0:
                time.sleep(wait)
            pool.submit(one, first_index + k, float(due))
    return SettingRun(sorted(records, key=lambda r: r.index), time.perf_counter() - clock0, monitor.late)


def run_setting(
    adapter: Adapter, setting: Setting, source: Callable[[int], SynthesisRequest], *, warmup: int, max_in_flight: int, seed: int
) -> tuple[SettingRun, SettingRun | None]:
    """Warm-up requests (same concurrency, excluded from every statistic), then the measured load."""
    width = setting.concurrency or min(max_in_flight, max(1, warmup))
    warm = run_closed(adapter, source, width, warmup, None, 0, warmup=True) if warmup > 0 else None
    if setting.mode == "closed":
        assert setting.concurrency is not None
        n = (
            setting.requests
            if setting.requests is not None or setting.duration_s is not None
            else max(32, 4 * setting.concurrency)
        )
        return run_closed(adapter, source, setting.concurrency, n, setting.duration_s, warmup), warm
    assert setting.rate is not None
    times = schedule(setting.rate, setting.duration_s, setting.requests, seed=seed)
    return run_open(adapter, source, times, max_in_flight, warmup), warm


def client_health(measured: SettingRun, lag_limit_s: float = LAG_LIMIT_S) -> dict[str, object]:
    """The client's own lag: dispatch lag of requests and wake-up lateness of the ticker, with a verdict."""
    lags = np.array([r.lag_s for r in measured.records]) if measured.records else np.zeros(1)
    late = np.array(measured.tick_late_s) if measured.tick_late_s else np.zeros(1)
    out: dict[str, object] = {
        "dispatch_lag_p50_s": float(np.quantile(lags, 0.5)),
        "dispatch_lag_p99_s": float(np.quantile(lags, 0.99)),
        "dispatch_lag_max_s": float(lags.max()),
        "tick_late_p99_s": float(np.quantile(late, 0.99)),
        "tick_late_max_s": float(late.max()),
        "lag_limit_s": lag_limit_s,
    }
    reasons = []
    if out["dispatch_lag_p99_s"] > lag_limit_s:  # type: ignore[operator]
        reasons.append(f"requests left the client late (p99 dispatch lag {1000 * out['dispatch_lag_p99_s']:.0f} ms)")
    if out["tick_late_p99_s"] > lag_limit_s:  # type: ignore[operator]
        reasons.append(f"the client's own threads woke late (p99 {1000 * out['tick_late_p99_s']:.0f} ms): CPU-bound client")
    out["overloaded"], out["reason"] = bool(reasons), "; ".join(reasons)
    return out
