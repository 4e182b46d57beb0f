"""One setting's statistics: percentiles with bootstrap intervals, throughput, continuity, the streaming verdict.

Percentiles p50/p90/p95/p99 of each per-request measure carry a seeded bootstrap 95 % interval
(docs/decisions.md §13: a p95 from 40 requests is a rough number and should say so). Throughput is
counted over the measured window only (first measured send to last measured end), so warm-up and
idle tails never inflate it. The streaming verdict follows the Hugging Face open TTS leaderboard's
rule: a system streams when the median over requests of TTFA ÷ total generation time is below
0.95, so a buffered answer sent in pieces at the end cannot pass; an adapter that cannot stream is
measured as one chunk and labelled non-streaming whatever its numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ztts_eval.pipeline.stats import bootstrap_quantiles

QUANTILES = (0.5, 0.9, 0.95, 0.99)
MEASURES = ("ttfa_s", "ttfb_s", "latency_s", "rtf", "max_gap_s", "worst_stall_s")
STREAMING_RATIO = 0.95


def percentiles(values: list[float], seed: int = 0) -> dict[str, Any]:
    """{"p50": v, …, "ci95": {"p50": [lo, hi], …}, "mean": m, "n": n}; empty values give {"n": 0}."""
    vals = [v for v in values if v is not None]
    if not vals:
        return {"n": 0}
    table = bootstrap_quantiles(vals, QUANTILES, seed=seed)
    out: dict[str, Any] = {"n": len(vals), "mean": float(np.mean(vals))}
    out.update({f"p{round(q * 100)}": table[q][0] for q in QUANTILES})
    out["ci95"] = {f"p{round(q * 100)}": [table[q][1], table[q][2]] for q in QUANTILES}
    return out


def streaming_verdict(rows: list[dict[str, Any]], adapter_streams: bool) -> dict[str, Any]:
    ratios = [r["ttfa_s"] / r["latency_s"] for r in rows if r.get("ttfa_s") is not None and r.get("latency_s")]
    ratio = float(np.median(ratios)) if ratios else None
    chunks = float(np.median([r["n_chunks"] for r in rows])) if rows else None
    if not adapter_streams:
        verdict, why = False, "the adapter cannot stream: measured as one chunk"
    elif ratio is None:
        verdict, why = False, "no audible audio to time"
    else:
        verdict = ratio < STREAMING_RATIO
        why = f"median TTFA / generation time = {ratio:.2f} ({'<' if verdict else '>='} {STREAMING_RATIO})"
    return {"streaming": verdict, "ratio": ratio, "median_chunks": chunks, "adapter_streams": adapter_streams, "why": why}


def summarize_setting(rows: list[dict[str, Any]], adapter_streams: bool, seed: int = 0) -> dict[str, Any]:
    """Statistics over a setting's measured (non-warm-up) rows."""
    measured = [r for r in rows if not r["warmup"]]
    ok = [r for r in measured if r["status"] == "ok"]
    start = min((r["sent_s"] for r in measured), default=0.0)
    end = max((r["end_s"] for r in measured), default=0.0)
    window = max(end - start, 1e-9)
    audio = float(sum(r["audio_s"] for r in ok))
    out: dict[str, Any] = {
        "n_requests": len(measured),
        "n_ok": len(ok),
        "n_failed": len(measured) - len(ok),
        "n_warmup": len(rows) - len(measured),
        "window_s": window,
        "requests_per_s": len(ok) / window,
        "audio_s_per_s": audio / window,
        "audio_s": audio,
        "n_underruns": sum(bool(r["underrun"]) for r in ok),
        "underrun_rate": (sum(bool(r["underrun"]) for r in ok) / len(ok)) if ok else None,
        "n_silent": sum(bool(r["silent"]) for r in ok),
        "measures": {m: percentiles([r.get(m) for r in ok], seed=seed) for m in MEASURES},
        "stream": streaming_verdict(ok, adapter_streams),
    }
    errors: dict[str, int] = {}
    for r in measured:
        if r["status"] != "ok":
            key = (r.get("error") or "failed").split(":")[0]
            errors[key] = errors.get(key, 0) + 1
    out["errors"] = errors
    return out


def worst_request(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The measured request with the longest player stall (else the slowest): its chunk timeline for the report."""
    ok = [r for r in rows if not r["warmup"] and r["status"] == "ok"]
    if not ok:
        return None
    worst = max(ok, key=lambda r: (r["worst_stall_s"], r["latency_s"]))
    keys = (
        "index",
        "item_id",
        "language",
        "ttfa_s",
        "latency_s",
        "audio_s",
        "worst_stall_s",
        "underrun",
        "sample_rate",
        "chunks",
    )
    return {k: worst.get(k) for k in keys}
