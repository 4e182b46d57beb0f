"""The handlers of `ztts-eval run | report | validate | gate | env | ls`: each turns parsed arguments
into a call of the package and an exit code (0 ok, 1 problems or a regression, 2 usage or
unreadable input). Heavy modules are imported inside each handler, so `--help` stays light.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from pathlib import Path


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
    from ztts_eval.setup.params import by_metric

    if args.models:
        from ztts_eval.setup.models_dir import ENV

        os.environ[ENV] = str(args.models)  # every loader, and every worker process, reads it
    metric_params = by_metric(args.metric_param)
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
        executor=args.executor,
        executor_options={"address": args.address, "gen_actors": args.gen_actors, "score_gpus": args.score_gpus},
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
