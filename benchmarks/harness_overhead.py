"""Harness overhead on the demo suite: a cold run, then a warm run, per-stage timings.

    python benchmarks/harness_overhead.py [--model espeak-ng] [--profile lite] [--suite demo]

Prints per-stage wall time, the time spent inside adapter/metric calls ("model": generation,
model loading, feature extraction, scoring, and whole-set metrics' reference data such as TTSDS2's
noise clips), the share of wall time spent outside them (harness overhead: manifest validation,
hashing, caching, I/O, aggregation), the warm/cold wall-time ratio, and the process's peak
resident memory after the cold run (models are released after each metric's stage, so the peak
is the largest single stage, not their sum) beside the largest child process's (pool workers of
pyworld and of `process_parallel` metrics, the TTS binaries), and the cold run's CPU time. Runs in a fresh temporary results folder.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ztts_eval.pipeline.runner import RunConfig, run_evaluation  # noqa: E402


def timed_run(cfg: RunConfig) -> tuple[float, dict]:
    t0 = time.perf_counter()
    outcome = run_evaluation(cfg)
    return time.perf_counter() - t0, outcome.stages


def print_stages(label: str, wall: float, stages: dict) -> None:
    model = sum(s.model_s for s in stages.values())
    print(f"\n{label}: wall {wall:.2f}s, inside model/DSP calls {model:.2f}s, overhead {100 * (wall - model) / wall:.1f}%")
    print(f"  {'stage':28s} {'wall_s':>8s} {'model_s':>8s} {'computed':>9s} {'cached':>7s}")
    for name, s in stages.items():
        print(f"  {name:28s} {s.wall_s:8.2f} {s.model_s:8.2f} {s.computed:9d} {s.cached:7d}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="espeak-ng")
    ap.add_argument("--profile", default="lite")
    ap.add_argument("--suite", default="demo")
    ap.add_argument("--metrics", help="comma-separated metrics overriding the profile")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="ztts-bench-") as tmp:
        cfg = RunConfig(
            model=args.model,
            suite=args.suite,
            profile=args.profile,
            results_dir=Path(tmp),
            metrics=args.metrics.split(",") if args.metrics else None,
        )
        cold, cold_stages = timed_run(cfg)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
        # the largest pool worker (pyworld, pooled metrics) and espeak-ng/flite processes
        child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        cpu = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        cold_cpu = sum(r.ru_utime + r.ru_stime for r in cpu)
        warm, warm_stages = timed_run(cfg)
    print_stages("cold", cold, cold_stages)
    print_stages("warm", warm, warm_stages)
    print(f"\nwarm/cold wall-time ratio: {warm / cold:.4f}")
    print(f"cold run CPU time (this process and its children): {cold_cpu:.1f} s over {cold:.1f} s wall")
    print(f"peak resident memory of the cold run: {peak_mb:.0f} MB (largest child process: {child_mb:.0f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
