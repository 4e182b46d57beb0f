"""Command line: `ztts-eval run | speed | report | validate | gate | ls | manifests | env | listen | doctor | models`.

Only argparse and the registry are imported at start-up; each command imports what it needs,
so `--help` and `ls` stay fast and never import torch.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _seeds(text: str) -> list[int]:
    try:
        seeds = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"seeds must be comma-separated integers, got {text!r}") from None
    if not seeds or len(set(seeds)) != len(seeds):
        raise argparse.ArgumentTypeError(f"seeds must be a non-empty list without repeats, got {text!r}")
    return seeds


def _param(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"--param takes KEY=VALUE, got {text!r}")
    return key, value


def _metric_param(text: str) -> tuple[str, str, str]:
    target, sep, value = text.partition("=")
    metric, dot, key = target.partition(".")
    if not sep or not dot or not metric or not key:
        raise argparse.ArgumentTypeError(
            f"--metric-param takes METRIC.KEY=VALUE (e.g. wer.model=/models/qwen3-asr), got {text!r}"
        )
    return metric, key, value


def _add_include(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--include",
        action="append",
        default=[],
        metavar="PATH",
        help="load adapters/metrics from a Python file or a folder of *.py files, without packaging (repeatable)",
    )


def _load_includes(args: argparse.Namespace) -> None:
    from ztts_eval import registry

    for path in getattr(args, "include", None) or []:
        added = registry.include(path)
        print(f"included {path}: adapters {added['adapters'] or '-'}, metrics {added['metrics'] or '-'}", file=sys.stderr)


def _metrics(text: str) -> list[str]:
    """`--metrics a,b`, or `none` for generation only; an empty value is a mistake, never "all"."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise argparse.ArgumentTypeError("--metrics is empty: name metrics (a,b), or none to only generate")
    return [] if names == ["none"] else names


def _limit(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"--limit takes a positive number of items, got {text!r}")
    return n


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ztts-eval")
    except PackageNotFoundError:  # a source checkout without an install
        from ztts_eval import __version__

        return __version__


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ztts-eval", description="Reproducible TTS evaluation (ZTTS1-Eval and more).")
    p.add_argument("--version", action="version", version=f"ztts-eval {_version()}", help="print the version and exit")
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("run", help="generate audio with a model on a suite and score it (resumable)")
    r.add_argument("--model", required=True, help="adapter name (see `ztts-eval ls`)")
    r.add_argument("--suite", required=True, help="suite name (e.g. demo) or manifest .jsonl path; several: a,b")
    r.add_argument("--profile", default="lite", help="metric profile: lite (offline) or ztts1")
    r.add_argument("--seeds", type=_seeds, default=[0], help="comma-separated seeds, e.g. 0,1 (default 0)")
    r.add_argument("--param", type=_param, action="append", default=[], help="adapter parameter KEY=VALUE (repeatable)")
    r.add_argument("--name", help="system name in results (default: the model name)")
    r.add_argument(
        "--metrics", type=_metrics, help="comma-separated metric names overriding the profile's list; none: generate only"
    )
    r.add_argument(
        "--limit", type=_limit, help="run a deterministic subset of N items per suite, spread over languages (recorded)"
    )
    r.add_argument(
        "--metric-param",
        type=_metric_param,
        action="append",
        default=[],
        help="metric parameter METRIC.KEY=VALUE, e.g. wer.model=/models/Qwen3-ASR-1.7B (repeatable)",
    )
    r.add_argument("--results", type=Path, default=Path("results"), help="results folder (default ./results)")
    r.add_argument("--cache-dir", type=Path, help="cache folder (default <results>/.cache)")
    r.add_argument("--force", action="append", default=[], help="recompute a stage: generate, score, or a metric name")
    r.add_argument("--retry-failed", action="store_true", help="re-attempt items whose generation failed")
    r.add_argument(
        "--revalidate", action="store_true", help="decode and hash every manifest file again (ignore the file-check cache)"
    )
    r.add_argument("--no-report", action="store_true", help="do not print the leaderboard at the end")
    r.add_argument(
        "--executor", choices=("local", "ray"), default="local", help="where stages run: this process (default) or a Ray cluster"
    )
    r.add_argument("--address", help="ray: cluster to join, auto or HOST:PORT (default: start a local one)")
    r.add_argument("--gen-actors", type=int, help="ray: generation actors (default: one per GPU, else 1)")
    r.add_argument("--score-gpus", type=float, help="ray: GPU share of each scoring actor that uses a GPU (default 0.25)")
    _add_include(r)

    from ztts_eval.speed import cli as cli_speed

    cli_speed.add_parser(sub, _param, _metric_param)

    rep = sub.add_parser("report", help="print and write the leaderboard (Markdown + CSV) for a suite")
    rep.add_argument("--suite", default="demo", help="suite name as recorded in results (default demo)")
    rep.add_argument("--profile", default="lite", help="metric profile whose runs to tabulate (default lite)")
    rep.add_argument("--results", type=Path, default=Path("results"), help="results folder (default ./results)")
    rep.add_argument("--html", action="store_true", help="also write a self-contained HTML report (needs the 'report' extra)")
    _add_include(rep)
    rep.add_argument("--bundle", action="store_true", help="HTML report as a folder with its audio beside it (implies --html)")
    rep.add_argument("--manifest", type=Path, help="the suite's manifest for prompt/reference players, if run.json's path moved")

    v = sub.add_parser("validate", help="list every problem in a manifest (exit 1 if any)")
    v.add_argument("manifest", help="suite name or manifest path")
    v.add_argument("--seal", action="store_true", help="(re)write the sidecar when the items have no problems")
    v.add_argument(
        "--cache-dir", type=Path, help="reuse and update the file-check cache of this folder (e.g. results/.cache; default: none)"
    )
    v.add_argument("--revalidate", action="store_true", help="with --cache-dir: decode and hash every file again")

    g = sub.add_parser("gate", help="fail (exit 1) when a candidate run regresses against a baseline")
    g.add_argument("--candidate", type=Path, help="run folder (results/<suite>/<system>/<profile>) or summary.json")
    g.add_argument("--baseline", type=Path, help="run folder, summary.json or baseline bundle (--write-baseline)")
    g.add_argument("--tolerances", type=Path, help="JSON tolerances (defaults: WER +1.0 pt, others 2 %%, counts +0)")
    g.add_argument(
        "--mode",
        choices=("absolute", "paired"),
        default="absolute",
        help="paired: fail only when the paired-bootstrap 95%% CI lies wholly beyond tolerance",
    )
    g.add_argument("--markdown", type=Path, help="also write the diff as Markdown (for a PR comment)")
    g.add_argument("--calibrate", type=Path, nargs="+", metavar="RUN", help="propose tolerances from repeated runs")
    g.add_argument("--slack", type=float, default=1.25, help="calibration: multiply the worst spread by this")
    g.add_argument("--write-baseline", type=Path, metavar="RUN", help="bundle a run folder as a baseline file")
    g.add_argument("--output", type=Path, help="where --calibrate / --write-baseline write (default: stdout / required)")
    g.add_argument(
        "--allow-mismatch",
        action="store_true",
        help="gate even when suite, manifest, subset, metric versions, scorers or group sizes differ (listed in the report)",
    )

    ls = sub.add_parser("ls", help="list adapters, metrics, profiles and suites")
    ls.add_argument("--params", metavar="NAME", help="list the typed parameters of one model or metric")
    _add_include(ls)
    e = sub.add_parser("env", help="create isolated environments for adapters with conflicting pins")
    e.add_argument("action", choices=("create", "ls"), help="create an environment, or list them")
    e.add_argument("name", nargs="?", help="environment name (see `ztts-eval env ls`)")
    e.add_argument("--source", help="local clone to pip install -e into the environment (zonos-v0.1)")
    from ztts_eval.setup import cli as cli_setup
    from ztts_eval.suites import cli as cli_manifests

    cli_manifests.add_parser(sub, _metric_param)
    from ztts_eval.listen import cli as cli_listen

    cli_listen.add_parser(sub)
    cli_setup.add_parsers(sub, {"metrics": _metrics, "param": _param, "metric_param": _metric_param})
    r.add_argument("--models", type=Path, help="offline models folder from `ztts-eval models download` (sets ZTTS_EVAL_MODELS)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from ztts_eval import commands

    if args.command == "env":
        return commands.cmd_env(args)
    if args.command == "manifests":
        from ztts_eval.suites import cli as cli_manifests

        return cli_manifests.run(args)
    if args.command == "listen":
        from ztts_eval.listen import cli as cli_listen

        return cli_listen.run(args)
    if args.command == "speed":
        from ztts_eval.speed import cli as cli_speed

        return cli_speed.run(args)
    if args.command in ("doctor", "models"):
        from ztts_eval.setup import cli as cli_setup

        return cli_setup.run(args)
    handler = {
        "run": commands.cmd_run,
        "report": commands.cmd_report,
        "validate": commands.cmd_validate,
        "gate": commands.cmd_gate,
        "ls": commands.cmd_ls,
    }[args.command]
    from ztts_eval.registry import RegistryError

    try:
        _load_includes(args)
    except RegistryError as exc:
        print(f"ztts-eval: error: {exc}", file=sys.stderr)
        return 2
    return handler(args)


if __name__ == "__main__":
    raise SystemExit(main())
