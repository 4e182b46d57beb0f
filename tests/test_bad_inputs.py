"""Every malformed input in the corpus (tests/fakes/bad_inputs.py) gives a clear answer and writes nothing stray.

Clear means: the documented exit code (1 problems found, 2 usage or unreadable input, 0 accepted
with a flag), no traceback, the file/line/field at fault in the message, and for exit 2 exactly one
`ztts-eval: error:` line. Nothing may appear or change outside the results folder (the cache lives
inside it), except what the command was asked to write.
"""

from __future__ import annotations

import re

import pytest

from tests.fakes.bad_inputs import CASES, Case, Workspace
from ztts_eval.cli import main

PROBLEM_LINE = re.compile(r": (line \d+|file)( \[[^\]]*\])?: ")


def test_the_corpus_has_at_least_70_distinct_cases() -> None:
    assert len(CASES) >= 70 and len({c.name for c in CASES}) == len(CASES)


def _snapshot(ws: Workspace) -> dict[str, tuple[int, int]]:
    keep = ws.results.resolve()
    return {
        str(p.relative_to(ws.root)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in ws.root.rglob("*")
        if p.is_file() and not p.resolve().is_relative_to(keep)
    }


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_malformed_input_is_a_clear_answer(case: Case, tmp_path, monkeypatch, capsys) -> None:
    ws = Workspace(tmp_path)
    argv = case.build(ws)
    monkeypatch.chdir(ws.root / "work")  # a default ./results lands in the results folder
    capsys.readouterr()
    before = _snapshot(ws)
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse usage errors
        code = exc.code
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert code == case.code, f"{case.name}: exit {code}\n{out}\n{err}"
    assert case.expect in out + err, f"{case.name}: {case.expect!r} not in\n{out}\n{err}"
    if code == 2 and "manifest" not in err.split("\n")[0]:
        lines = [line for line in err.split("\n") if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("ztts-eval: error: "), err
    if code == 1:
        assert out and all(PROBLEM_LINE.search(line) for line in out.strip().split("\n")), out
    assert _snapshot(ws) == before, "files outside the results folder were written or changed"
    assert not (tmp_path / "x").exists() and not (tmp_path / "evil").exists()
