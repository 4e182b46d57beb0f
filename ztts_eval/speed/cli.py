"""`ztts-eval speed`: its arguments and their checks (one-line errors, exit 2), then ztts_eval.speed.run.

Kept beside the package, as `manifests` is, so the top-level CLI stays a list of commands; only
argparse is imported until the command runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction, param: Callable, metric_param: Callable) -> None:
    sp = sub.add_parser(
        "speed", help="real-time serving benchmark: TTFA, RTF, throughput under load, quality of the streamed audio"
    )
    sp.add_argument("--model", required=True, help="adapter name (see `ztts-eval ls`)")
    sp.add_argument("--suite", required=True, help="suite name or manifest path; requests cycle through it by language")
    sp.add_argument("--profile", default="lite", help="metric profile scoring the streamed audio (per-sample metrics)")
    sp.add_argument("--concurrency", default=None, help="closed-loop levels, e.g. 1,4,16,64 (default 1 unless --rate is given)")
    sp.add_argument("--rate", action="append", default=[], help="open-loop arrivals: poisson:R/s, constant:R/s, ramp:R1-R2/s")
    sp.add_argument("--requests", type=int, help="measured requests per setting (default max(32, 4×concurrency))")
    sp.add_argument("--duration", type=float, help="seconds per setting (closed loop: stop starting requests after it)")
    sp.add_argument("--warmup", type=int, default=2, help="warm-up requests per setting, excluded from statistics (default 2)")
    sp.add_argument("--seed", type=int, default=0, help="generation seed and arrival-schedule seed (default 0)")
    sp.add_argument("--param", type=param, action="append", default=[], help="adapter parameter KEY=VALUE (repeatable)")
    sp.add_argument("--metrics", help="comma-separated quality metrics (default: the profile's per-sample metrics)")
    sp.add_argument("--no-quality", action="store_true", help="measure speed only; do not score the streamed audio")
    sp.add_argument("--metric-param", type=metric_param, action="append", default=[], help="METRIC.KEY=VALUE (repeatable)")
    sp.add_argument("--name", help="system name in results (default: the model name)")
    sp.add_argument("--server-hardware", help="where the model runs, e.g. '1x H100 80GB' (recorded and shown)")
    sp.add_argument("--max-in-flight", type=int, default=256, help="open loop: most concurrent streams (default 256)")
    sp.add_argument("--lag-limit-ms", type=float, default=20.0, help="client lag p99 above this marks the client overloaded")
    sp.add_argument("--results", type=Path, default=Path("results"), help="results folder (default ./results)")
    sp.add_argument("--cache-dir", type=Path, help="cache folder (default <results>/.cache)")
    sp.add_argument("--force", action="store_true", help="re-measure settings already in speed.json")


def run(args: argparse.Namespace) -> int:
    from model_adapters.base import AdapterError
    from ztts_eval.metrics.base import MetricSetupError
    from ztts_eval.pipeline.runner import RunError
    from ztts_eval.registry import RegistryError
    from ztts_eval.setup.params import by_metric
    from ztts_eval.speed.arrivals import check_rate, parse_concurrency
    from ztts_eval.speed.run import SpeedConfig, run_speed

    try:
        concurrency = parse_concurrency(args.concurrency) if args.concurrency else ([] if args.rate else [1])
        rates = [check_rate(r) for r in args.rate]
        for name, value in (("--requests", args.requests), ("--warmup", args.warmup), ("--max-in-flight", args.max_in_flight)):
            if value is not None and value < (0 if name == "--warmup" else 1):
                raise ValueError(f"{name} must be {'>= 0' if name == '--warmup' else '>= 1'}, got {value}")
        if args.duration is not None and args.duration <= 0:
            raise ValueError(f"--duration must be > 0, got {args.duration}")
        metric_params = by_metric(args.metric_param)
        cfg = SpeedConfig(
            model=args.model,
            suite=args.suite,
            profile=args.profile,
            concurrency=concurrency,
            rates=rates,
            requests=args.requests,
            duration_s=args.duration,
            warmup=args.warmup,
            seed=args.seed,
            max_in_flight=args.max_in_flight,
            lag_limit_s=args.lag_limit_ms / 1000.0,
            params=dict(args.param),
            metrics=[] if args.no_quality else (args.metrics.split(",") if args.metrics else None),
            metric_params=metric_params,
            name=args.name,
            results_dir=args.results,
            cache_dir=args.cache_dir,
            server_hardware=args.server_hardware,
            force=args.force,
            argv=sys.argv[1:],
        )
        paths, _ = run_speed(cfg)
    except (RunError, RegistryError, AdapterError, MetricSetupError, ValueError, TypeError) as exc:
        print(f"ztts-eval: error: {exc}", file=sys.stderr)
        return 2
    print(f"speed results: {paths.speed}", file=sys.stderr)
    return 0
