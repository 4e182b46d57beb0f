"""`ztts-eval doctor` and `ztts-eval models download`: what a run needs, and fetching it once."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _selection_args(p: argparse.ArgumentParser, parsers: dict[str, Callable[[str], Any]]) -> None:
    p.add_argument("--profile", default="lite", help="metric profile the run would use: lite or ztts1 (default lite)")
    p.add_argument("--model", help="adapter the run would use (see `ztts-eval ls`)")
    p.add_argument(
        "--metrics", type=parsers["metrics"], help="comma-separated metrics overriding the profile's list; none: no metrics"
    )
    p.add_argument("--param", type=parsers["param"], action="append", default=[], help="adapter parameter KEY=VALUE, as for run")
    p.add_argument(
        "--metric-param", type=parsers["metric_param"], action="append", default=[], help="METRIC.KEY=VALUE, as for run"
    )


def add_parsers(sub: argparse._SubParsersAction, parsers: dict[str, Callable[[str], Any]]) -> None:
    d = sub.add_parser("doctor", help="check every package, binary, environment and model a run needs (exit 1 if any is missing)")
    _selection_args(d, parsers)
    d.add_argument("--models", type=Path, help="offline models folder to check (default $ZTTS_EVAL_MODELS)")
    m = sub.add_parser("models", help="fetch every pinned model piece into one folder, for offline machines")
    msub = m.add_subparsers(dest="models_command", required=True)
    dl = msub.add_parser("download", help="download hub repos, torch.hub code and release files with a lock file")
    _selection_args(dl, parsers)
    dl.add_argument("--dest", type=Path, help="the models folder (default $ZTTS_EVAL_MODELS)")


def selected_pieces(args: argparse.Namespace) -> list:
    """The pieces of the selected model and metrics, with parameters checked as `run` checks them."""
    from ztts_eval import registry
    from ztts_eval.setup.params import by_metric, check_params
    from ztts_eval.setup.pieces import pieces_for

    metric_params = by_metric(args.metric_param)
    if args.metrics is not None:
        names = registry.resolve_quality(args.metrics, metric_params)
    else:
        names = registry.profile_metrics(args.profile, metric_params)
    unknown = set(metric_params) - set(names)
    if unknown:
        raise registry.RegistryError(f"--metric-param names metric(s) not selected: {', '.join(sorted(unknown))}")
    typed = {n: check_params("metric", n, registry.metric_class(n), p) for n, p in metric_params.items()}
    params = check_params("model", args.model, registry.adapter_class(args.model), dict(args.param)) if args.model else {}
    return pieces_for(args.model, names, params, typed)


def run(args: argparse.Namespace) -> int:
    from ztts_eval.registry import RegistryError
    from ztts_eval.setup import models_dir as md

    folder = getattr(args, "models", None) or getattr(args, "dest", None)
    if folder:
        os.environ[md.ENV] = str(folder)
    try:
        pieces = selected_pieces(args)
        if args.command == "doctor":
            return _doctor(pieces)
        return _download(pieces)
    except (RegistryError, ValueError, md.ModelsDirError) as exc:
        print(f"ztts-eval: error: {exc}", file=sys.stderr)
        return 2


def _doctor(pieces: list) -> int:
    from ztts_eval.setup.doctor import check, device_line, table
    from ztts_eval.setup.models_dir import models_dir

    statuses = [check(p) for p in pieces]
    print(table(statuses))
    print(device_line())
    print(f"models folder: {models_dir() or 'not set (ZTTS_EVAL_MODELS or --models)'}")
    missing = [s for s in statuses if not s.ok]
    print(
        f"{len(missing)} of {len(statuses)} piece(s) missing" if missing else f"all {len(statuses)} piece(s) present",
        file=sys.stderr,
    )
    return 1 if missing else 0


def _download(pieces: list) -> int:
    from ztts_eval.setup.doctor import check, missing_lines
    from ztts_eval.setup.download import download
    from ztts_eval.setup.models_dir import LOCK_NAME, models_dir
    from ztts_eval.setup.pieces import DOWNLOADABLE

    root = models_dir()
    if root is None:
        raise ValueError("models download needs a folder: --dest DIR (or ZTTS_EVAL_MODELS=DIR)")
    _, errors = download(root, pieces)
    rest = missing_lines([check(p) for p in pieces if p.kind not in DOWNLOADABLE])
    for line in rest:
        print(f"not downloadable: {line}", file=sys.stderr)
    print(f"lock: {root / LOCK_NAME}; use it offline with ZTTS_EVAL_MODELS={root}", file=sys.stderr)
    return 1 if errors else 0
