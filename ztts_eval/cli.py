"""Command line: `ztts-eval run | speed | report | validate | gate | ls | manifests | env | listen`.

Only argparse and the registry are imported at start-up; each command imports what it needs,
so `--help` and `ls` stay fast and never import torch.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
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


def _report_suite(suite: str) -> str:
    """`report --suite` takes what `run --suite` takes: a registered name, or a manifest path whose
    items name the suite (the results folder is keyed by that name, not by the path)."""
    from ztts_eval.registry import SUITES, suite_manifest

    if suite in SUITES or not (suite.endswith(".jsonl") or Path(suite).is_file()):
        return suite
    import json

    path = suite_manifest(suite)
    try:
        with open(path, encoding="utf-8") as f:
            first = next((line for line in f if line.strip()), "")
        return str(json.loads(first)["suite"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise FileNotFoundError(f"--suite {suite}: cannot read the suite name from the manifest ({exc})") from None


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


def _fail(message: object, code: int = 2) -> int:
    """One line on stderr, no traceback: the exit code says what kind (2 usage or unreadable input)."""
    print(f"ztts-eval: error: {' '.join(str(message).split())}", file=sys.stderr)
    return code


def cmd_run(args: argparse.Namespace) -> int:
    import sqlite3

    from model_adapters.base import AdapterError
    from ztts_eval.metrics.base import MetricSetupError
    from ztts_eval.pipeline.runner import RunConfig, RunError, run_evaluation
    from ztts_eval.registry import RegistryError

    if args.models:
        from ztts_eval.setup.models_dir import ENV

        os.environ[ENV] = str(args.models)  # every loader, and every worker process, reads it
    metric_params: dict[str, dict[str, str]] = {}
    for metric, key, value in args.metric_param:
        metric_params.setdefault(metric, {})[key] = value
    cfg = RunConfig(
        model=args.model,
        suite=args.suite,
        profile=args.profile,
        seeds=args.seeds,
        params=dict(args.param),
        name=args.name,
        results_dir=args.results,
        cache_dir=args.cache_dir,
        force=frozenset(args.force),
        retry_failed=args.retry_failed,
        revalidate=args.revalidate,
        metrics=args.metrics,
        limit=args.limit,
        argv=sys.argv[1:],
        metric_params=metric_params,
    )
    valid_force = {"generate", "score"}
    suites = [s.strip() for s in args.suite.split(",") if s.strip()]
    try:
        from ztts_eval.registry import metric_names, suite_manifest

        unknown = set(cfg.force) - valid_force - set(metric_names())
        if unknown:
            raise RegistryError(f"--force takes generate, score or a metric name; got {', '.join(sorted(unknown))}")
        if not suites:
            raise RegistryError("--suite is empty: name a suite (see `ztts-eval ls`) or a manifest path")
        for suite in suites:  # every name checked before the first suite starts
            suite_manifest(suite)
        outcomes = [run_evaluation(dataclasses.replace(cfg, suite=suite)) for suite in suites]
    except (RunError, RegistryError, AdapterError, MetricSetupError, ValueError, TypeError) as exc:
        print(f"ztts-eval: error: {exc}", file=sys.stderr)  # RunError lists manifest problems, one per line
        return 2
    except (OSError, sqlite3.Error, RuntimeError) as exc:  # disk full, permissions, a cache held by another run
        return _fail(f"{type(exc).__name__}: {exc} (nothing partial was written to the results folder)")
    for outcome in outcomes:
        print(f"results: {outcome.out_dir}", file=sys.stderr)
        if not args.no_report:
            from ztts_eval.report.leaderboard import write_report

            try:
                write_report(args.results, outcome.paths.suite, args.profile)
            except (OSError, ValueError) as exc:
                return _fail(f"results written to {outcome.out_dir}, but the leaderboard was not: {exc}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from ztts_eval.registry import RegistryError
    from ztts_eval.report.leaderboard import write_report

    try:
        args.suite = _report_suite(args.suite)
        paths = write_report(args.results, args.suite, args.profile)
    except (OSError, ValueError, RegistryError) as exc:  # no results, a corrupt summary (named), an unwritable folder
        return _fail(exc)
    if args.html or args.bundle:
        try:
            from ztts_eval.report.html import write_html
        except ImportError:
            print("ztts-eval: error: the HTML report needs plotly: pip install -e '.[report]'", file=sys.stderr)
            return 2
        try:
            paths["html"] = write_html(args.results, args.suite, args.profile, bundle=args.bundle, manifest=args.manifest)
        except (OSError, ValueError) as exc:
            return _fail(exc)
    for kind, path in paths.items():
        print(f"{kind}: {path}", file=sys.stderr)
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from ztts_eval.pipeline.file_checks import FileChecks
    from ztts_eval.pipeline.manifest import ManifestError, load_manifest, write_manifest
    from ztts_eval.pipeline.validate import validate_manifest
    from ztts_eval.registry import RegistryError, suite_manifest

    try:
        path = suite_manifest(args.manifest)
        with FileChecks(args.cache_dir, revalidate=args.revalidate) as checks:
            problems = validate_manifest(path, check_sidecar=not args.seal, checks=checks)
            checks.save()  # with --cache-dir: good files stay checked while the rest is fixed
    except (RegistryError, OSError) as exc:
        return _fail(exc)
    print(f"{checks.hashed} file(s) decoded and hashed, {checks.reused} unchanged since their last check", file=sys.stderr)
    for p in problems:
        print(f"{path}: {p}")
    if problems:
        print(f"{len(problems)} problem(s) in {path}", file=sys.stderr)
        return 1
    if args.seal:
        try:
            manifest = load_manifest(path)
            write_manifest(path, manifest.items)
            if validate_manifest(path):  # what was sealed must read back clean
                return _fail(f"{path}: sealed, but it does not validate again; please report this")
        except (ManifestError, OSError) as exc:
            return _fail(exc)
        print(f"sealed {path} ({len(manifest.items)} items)", file=sys.stderr)
    else:
        print(f"{path}: ok", file=sys.stderr)
    from ztts_eval.pipeline.flags import manifest_input_flags

    for item_id, flags in manifest_input_flags(load_manifest(path)).items():  # kept, but every row using them is flagged
        print(f"{path}: [{item_id}] flagged: {', '.join(flags)}")
    return 0


def cmd_gate(args: argparse.Namespace) -> int:
    import json

    from ztts_eval import gate
    from ztts_eval.report import comparable

    try:
        if args.write_baseline:
            if not args.output:
                raise ValueError("--write-baseline needs --output FILE")
            print(f"baseline written: {gate.write_baseline(args.write_baseline, args.output)}", file=sys.stderr)
            return 0
        if args.calibrate:
            proposal = json.dumps(gate.calibrate([gate.load_run(p) for p in args.calibrate], slack=args.slack), indent=2)
            if args.output:
                args.output.write_text(proposal + "\n")
            print(proposal)
            return 0
        if not (args.candidate and args.baseline):
            raise ValueError("gate needs --candidate and --baseline (or --calibrate / --write-baseline)")
        base, cand = gate.load_run(args.baseline), gate.load_run(args.candidate)
        diffs = comparable.differences(base.summary, cand.summary)
        if diffs and not args.allow_mismatch:
            for d in diffs:
                print(f"MISMATCH {d}", file=sys.stderr)
            return _fail(
                f"{cand.source} is not comparable with {base.source} ({len(diffs)} difference(s) above); "
                "gate a run of the same suite, manifest and scorers, or pass --allow-mismatch"
            )
        checks = gate.compare(base, cand, gate.load_tolerances(args.tolerances), mode=args.mode)
        text = gate.markdown(checks, f"ztts-eval gate ({args.mode})") + comparable.markdown_section(
            diffs, comparable.notes(base.summary, cand.summary)
        )
        if args.markdown:
            args.markdown.write_text(text)
    except (OSError, ValueError, KeyError) as exc:  # unreadable or malformed input: 2, never the regression code 1
        return _fail(exc)
    print(text)
    failing = [c for c in checks if c.status in ("regression", "missing")]
    for c in failing:
        print(f"REGRESSION {gate.describe(c)}", file=sys.stderr)
    return 1 if failing else 0


def cmd_env(args: argparse.Namespace) -> int:
    import subprocess

    from model_adapters.workers import environments as envs

    if args.action == "ls":
        for name, spec in envs.ENVS.items():
            state = "ready" if envs.env_python(name).exists() else "not created"
            print(f"  {name:12s} {state:12s} {spec['doc']} ({envs.envs_root() / name})")
        return 0
    try:
        if not args.name:
            raise ValueError("env create needs a name (see `ztts-eval env ls`)")
        root = envs.create(args.name, args.source)
    except (ValueError, subprocess.CalledProcessError) as exc:
        print(f"ztts-eval: error: {exc}", file=sys.stderr)
        return 2
    print(f"environment ready: {root}", file=sys.stderr)
    return 0


def cmd_ls(args: argparse.Namespace) -> int:
    from ztts_eval import registry

    if args.params:
        return _ls_params(args.params)

    print("models:")
    for name in registry.adapter_names():
        cls = registry.adapter_class(name)
        caps = cls().capabilities
        langs = "any" if caps.languages is None else ",".join(sorted(caps.languages))
        clone = "clones" if caps.zero_shot_cloning else "no cloning"
        print(f"  {name:16s} {clone}; languages: {langs}")
    print("metrics:")
    for name in registry.metric_names():
        info = registry.metric_class(name).info
        cols = ", ".join(c.name for c in info.columns)
        print(f"  {name:18s} [{info.family}, extra '{info.extra}'] {info.scorer} -> {cols}")
    print("profiles:")
    for name, metrics in registry.PROFILES.items():
        listed = ", ".join(metrics).replace("quality", "utmos (MSR-UTMOS, when configured) or utmos22")
        print(f"  {name:8s} {listed}")
    print("suites:")
    for name, rel in registry.SUITES.items():
        print(f"  {name:8s} {registry.suites_dir() / rel}")
    return 0


def _ls_params(name: str) -> int:
    """`ztts-eval ls --params NAME`: a model's or a metric's typed parameters."""
    from ztts_eval import registry
    from ztts_eval.setup.params import describe_params

    kinds = [
        ("model", registry.adapter_names(), registry.adapter_class),
        ("metric", registry.metric_names(), registry.metric_class),
    ]
    for kind, table, load in kinds:
        if name in table:
            lines = describe_params(load(name))
            print(
                f"{kind} {name}: {len(lines)} parameter(s)"
                + (" (set with --param KEY=VALUE)" if kind == "model" else f" (set with --metric-param {name}.KEY=VALUE)")
            )
            for line in lines:
                print(f"  {line}")
            return 0
    known = {**registry.adapter_names(), **registry.metric_names()}
    import difflib

    close = difflib.get_close_matches(name, known, n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    print(f"ztts-eval: error: no model or metric named {name!r}{hint}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "env":
        return cmd_env(args)
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
    handler = {"run": cmd_run, "report": cmd_report, "validate": cmd_validate, "gate": cmd_gate, "ls": cmd_ls}[args.command]
    from ztts_eval.registry import RegistryError

    try:
        _load_includes(args)
    except RegistryError as exc:
        print(f"ztts-eval: error: {exc}", file=sys.stderr)
        return 2
    return handler(args)


if __name__ == "__main__":
    raise SystemExit(main())
