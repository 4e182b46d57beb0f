"""CLI habits: --version, help on every option, one-line errors for unknown suites, --metrics none,
an empty --metrics refused, --limit recorded, several suites in one run."""

from __future__ import annotations

import argparse
import json
import shutil

import pytest

from tests.fakes.cli import DEMO, run_cli
from ztts_eval.cli import build_parser


def test_version():
    from ztts_eval import __version__

    assert run_cli("--version").stdout.strip() == f"ztts-eval {__version__}"


def _parsers(parser: argparse.ArgumentParser, path: str = "ztts-eval"):
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _parsers(sub, f"{path} {name}")


def test_every_option_of_every_subcommand_has_help():
    missing = [
        f"{path} {'/'.join(a.option_strings) or a.dest}"
        for path, parser in _parsers(build_parser())
        for a in parser._actions
        if not isinstance(a, argparse._SubParsersAction) and not a.help
    ]
    assert missing == []


@pytest.mark.parametrize(
    "argv",
    [
        ("validate", "dmeo"),
        ("run", "--model", "test-tone", "--suite", "dmeo"),
        ("run", "--model", "test-tone", "--suite", "demo,dmeo"),
        ("run", "--model", "test-tone", "--suite", "missing/manifest.jsonl"),
    ],
)
def test_unknown_suite_is_one_line(argv, tmp_path):
    proc = run_cli(*argv, "--results", str(tmp_path), check=False) if argv[0] == "run" else run_cli(*argv, check=False)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ztts-eval: error: "), proc.stderr
    assert "did you mean demo" in lines[0] or "no such manifest file" in lines[0]
    if argv[0] == "run":
        assert list(tmp_path.iterdir()) == []  # demo,dmeo: the second name is checked before the first runs


def test_empty_metrics_is_an_error_and_none_only_generates(tmp_path):
    proc = run_cli("run", "--model", "test-tone", "--suite", "demo", "--metrics", "", check=False)
    assert proc.returncode == 2 and "--metrics is empty" in proc.stderr
    run_cli("run", "--model", "test-tone", "--suite", "demo", "--metrics", "none", "--results", str(tmp_path), "--no-report")
    summary = json.loads((tmp_path / "demo" / "test-tone" / "lite" / "summary.json").read_text())
    assert summary["metrics"] == [] and summary["limit"] is None
    assert sum(g["n_ok"] for g in summary["groups"]) == 14


def test_limit_is_stratified_recorded_and_several_suites_run(tmp_path):
    other = tmp_path / "demo2"
    shutil.copytree(DEMO, other)
    manifest = other / "manifest.jsonl"
    rows = [json.loads(l) for l in manifest.read_text().splitlines() if l.strip()]
    manifest.write_text("".join(json.dumps({**r, "suite": "demo2"}) + "\n" for r in rows))
    run_cli("validate", str(manifest), "--seal")
    out = tmp_path / "results"
    run_cli("run", "--model", "test-tone", "--suite", f"demo,{manifest}", "--metrics", "none", "--limit", "4",
            "--results", str(out), "--no-report")  # fmt: skip
    for suite in ("demo", "demo2"):
        summary = json.loads((out / suite / "test-tone" / "lite" / "summary.json").read_text())
        assert summary["limit"] == {"n": 4, "items": 4, "of": 14}
        assert {g["language"]: g["n"] for g in summary["groups"]} == {"en": 1, "de": 1, "fr": 1, "zh": 1}
        meta = json.loads((out / suite / "test-tone" / "lite" / "run.json").read_text())
        assert meta["limit"] == summary["limit"] and "--limit" in meta["argv"]
