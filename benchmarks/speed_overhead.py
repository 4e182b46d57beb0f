"""The speed harness's own cost: 64 concurrent streams against a zero-delay fake.

    python benchmarks/speed_overhead.py [--concurrency 64] [--requests 2000] [--chunks 10]

A server that answers instantly makes every second the load generator spends its own overhead:
threads, chunk bookkeeping, timestamps, the lag monitor, then the per-request measures and the
setting's statistics. Two fakes: an in-process adapter yielding precomputed chunks (the harness
alone), and the loopback streaming server over HTTP (harness + stdlib HTTP client + the fake
server, all in this process, so an upper bound). Target: under 1 ms of harness time per request
at 64 concurrent streams on 2 cores.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from model_adapters.base import Adapter, AudioChunk, Capabilities, SynthesisRequest  # noqa: E402
from ztts_eval.speed.loadgen import client_health, run_closed  # noqa: E402
from ztts_eval.speed.run import row_of  # noqa: E402
from ztts_eval.speed.summary import summarize_setting  # noqa: E402

TARGET_MS = 1.0
REQ = SynthesisRequest(item_id="bench", text="zero delay", language="en", prompt_audio=None)


class ZeroDelay(Adapter):
    """Yields `chunks` precomputed 20 ms chunks immediately: no model, no I/O."""

    name, streams = "zero-delay", True

    def __init__(self, chunks: int) -> None:
        super().__init__(chunks=chunks)
        self.piece = (0.3 * np.sin(np.arange(480) / 5)).astype(np.float32)

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(zero_shot_cloning=False, languages=None, deterministic=True)

    def synthesize(self, requests):  # type: ignore[no-untyped-def]
        raise NotImplementedError

    def synthesize_stream(self, request: SynthesisRequest) -> Iterator[AudioChunk]:
        t0 = time.perf_counter()
        for k in range(self.params["chunks"]):
            t = time.perf_counter() - t0
            yield AudioChunk(self.piece, 24000, t, t if k == 0 else None)


def bench(label: str, adapter: Adapter, concurrency: int, requests: int, gated: bool = True) -> float:
    t0 = time.perf_counter()
    run = run_closed(adapter, lambda i: REQ, concurrency, requests, None)
    t_load = time.perf_counter() - t0
    t1 = time.perf_counter()
    rows = [row_of(r, "bench", f"c={concurrency}") for r in run.records]
    stats = summarize_setting(rows, True)
    t_post = time.perf_counter() - t1
    health = client_health(run)
    per_req = 1000 * (t_load + t_post) / requests
    print(f"\n{label}: {requests} requests at concurrency {concurrency}, {stats['n_ok']} ok")
    print(f"  load phase      {t_load:7.3f} s  ({1000 * t_load / requests:.3f} ms/request, {requests / t_load:,.0f} req/s)")
    print(f"  measures+stats  {t_post:7.3f} s  ({1000 * t_post / requests:.3f} ms/request)")
    verdict = (
        f"target < {TARGET_MS} ms: {'met' if per_req < TARGET_MS else 'NOT met'}" if gated else "upper bound, not the target"
    )
    print(f"  total           {per_req:.3f} ms/request  ({verdict})")
    print(
        f"  client lag p99  dispatch {1000 * health['dispatch_lag_p99_s']:.2f} ms, ticker {1000 * health['tick_late_p99_s']:.2f} ms"
    )
    return per_req


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--chunks", type=int, default=10, help="chunks per request (20 ms of audio each)")
    ap.add_argument("--http-requests", type=int, default=500, help="requests through the loopback HTTP fake (0: skip)")
    args = ap.parse_args()
    harness = bench("in-process zero-delay adapter (the harness alone)", ZeroDelay(args.chunks), args.concurrency, args.requests)
    if args.http_requests:
        from model_adapters.zonos2.server_client import Zonos2ServerAdapter
        from tests.fakes.streaming_server import FakeStreamingServer, Step

        steps = [Step(0.0, 882)] * args.chunks
        with FakeStreamingServer("zonos2", steps, max_requests=args.http_requests + 1) as server:
            adapter = Zonos2ServerAdapter(base_url=server.base_url, timeout_s=30, max_attempts=1)
            bench(
                "loopback HTTP zero-delay fake (harness + HTTP client + server, one process)",
                adapter,
                args.concurrency,
                args.http_requests,
            )
    return 0 if harness < TARGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
