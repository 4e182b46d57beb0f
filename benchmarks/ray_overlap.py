"""Local executor vs Ray executor (stages overlapped) on the demo: wall time and per-stage busy time.

    python benchmarks/ray_overlap.py [--model test-tone] [--seeds 0,1] [--cpus 2] [--delay 0]

Both runs start from an empty cache (each its own temporary folder) with the same model, suite,
profile and seeds. The Ray cluster (`ray.init(num_cpus=--cpus)`, loopback only) is started once
before the timed Ray run; its start-up time is printed apart, because a long evaluation pays it
once. Per stage: the actors, busy seconds (inside adapter/metric calls), CPU seconds of those
processes, the stage's span from its first to its last batch, and utilisation = busy / (actors ×
span). The sum of busy time over the wall time says how much the stages overlapped. `--delay`
adds seconds per item to the tone adapter (a stand-in for a slower model; not in its fingerprint).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ztts_eval.pipeline.results import read_run_meta  # noqa: E402
from ztts_eval.pipeline.runner import RunConfig, run_evaluation  # noqa: E402


def timed(cfg: RunConfig) -> tuple[float, dict]:
    t0 = time.perf_counter()
    out = run_evaluation(cfg)
    return time.perf_counter() - t0, read_run_meta(out.paths.run_meta)


def show(label: str, wall: float, meta: dict) -> None:
    stages = meta["executor"]["stages"]
    busy = sum(s["busy_s"] for s in stages.values())
    cpu = sum(s["cpu_s"] for s in stages.values())
    print(f"\n{label}: wall {wall:.1f}s · busy {busy:.1f}s (Σ stages; busy/wall {busy / wall:.2f}) · CPU {cpu:.1f}s")
    print(f"  {'stage':26s} {'actors':>6s} {'start_s':>8s} {'span_s':>8s} {'busy_s':>8s} {'cpu_s':>8s} {'util':>6s}")
    for name, s in stages.items():
        util = "" if s.get("utilisation") is None else f"{s['utilisation']:.2f}"
        start = s.get("start_s", "")
        start = f"{start:.1f}" if start != "" else "-"
        print(f"  {name:26s} {s['actors']:6d} {start:>8s} {s['span_s']:8.1f} {s['busy_s']:8.1f} {s['cpu_s']:8.1f} {util:>6s}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="test-tone")
    ap.add_argument("--suite", default="demo")
    ap.add_argument("--profile", default="lite")
    ap.add_argument("--seeds", default="0")
    ap.add_argument("--cpus", type=int, default=2, help="logical CPUs of the local Ray instance")
    ap.add_argument("--delay", type=float, default=0.0, help="test-tone only: seconds per item")
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    params = {"delay_s": str(args.delay)} if args.delay else {}
    with tempfile.TemporaryDirectory(prefix="ztts-ray-bench-") as tmp:

        def cfg(name: str, executor: str) -> RunConfig:
            return RunConfig(
                model=args.model, suite=args.suite, profile=args.profile, seeds=seeds, params=params,
                results_dir=Path(tmp) / name, executor=executor,
            )  # fmt: skip

        local_wall, local_meta = timed(cfg("local", "local"))
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # loopback only
        import ray

        t0 = time.perf_counter()
        ray.init(num_cpus=args.cpus, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
        start = time.perf_counter() - t0
        try:
            ray_wall, ray_meta = timed(cfg("ray", "ray"))
        finally:
            ray.shutdown()
    rows = len(seeds) * local_meta["manifest"]["rows"]
    print(f"{args.model} on {args.suite} × seeds {seeds} ({rows} samples), profile {args.profile}, {os.cpu_count()} cores")
    show("local executor", local_wall, local_meta)
    show(f"ray executor (cluster start {start:.1f}s, not included)", ray_wall, ray_meta)
    print(f"\nspeed-up local/ray: {local_wall / ray_wall:.2f}× (with cluster start: {local_wall / (ray_wall + start):.2f}×)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
