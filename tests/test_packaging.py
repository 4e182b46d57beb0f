"""A non-editable install finds the demo suite and the published tables (package data).

The wheel is built from a copy of the tracked files, installed with --no-deps into a fresh
virtualenv whose only view of the heavy dependencies (torch, the lite metrics) is a path to this
environment's site-packages — so nothing is downloaded and this checkout is never imported.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys

import pytest

from tests.fakes.cli import REPO

pytestmark = pytest.mark.slow


def _sh(*argv, cwd=None):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # the checkout must not leak in
    proc = subprocess.run([str(a) for a in argv], capture_output=True, text=True, cwd=cwd, env=env, timeout=600)
    assert proc.returncode == 0, f"{argv}:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    return proc


def test_wheel_installed_without_editable_runs_the_demo(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is needed to list the tracked files")  # never the case in CI
    src = tmp_path / "src"
    files = _sh("git", "-C", REPO, "ls-files", "--cached", "--others", "--exclude-standard").stdout.split()
    for rel in files:
        if (REPO / rel).is_file():
            (src / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / rel, src / rel)
    _sh(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", tmp_path / "dist", src)
    (wheel,) = (tmp_path / "dist").glob("ztts_eval-*.whl")
    venv = tmp_path / "venv"
    _sh(sys.executable, "-m", "venv", "--without-pip", venv)
    py = venv / "bin" / "python"
    _sh(sys.executable, "-m", "pip", "--python", py, "install", "-q", "--no-deps", "--no-index", wheel)
    purelib = _sh(py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip()
    # dependencies from this environment, after the wheel on sys.path (its .pth files, incl. an editable
    # install of this checkout, are not processed from a path added this way)
    (venv / purelib.split(str(venv) + "/")[-1] / "deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    run = tmp_path / "elsewhere"
    run.mkdir()
    where = _sh(py, "-c", "import ztts_eval, model_adapters; print(ztts_eval.__file__, model_adapters.__file__)", cwd=run).stdout
    assert where.startswith(purelib) and str(REPO) not in where
    ztts = venv / "bin" / "ztts-eval"
    assert "ztts-eval 0.1.0" in _sh(ztts, "--version", cwd=run).stdout
    _sh(ztts, "validate", "demo", cwd=run)
    _sh(ztts, "run", "--model", "espeak-ng" if shutil.which("espeak-ng") else "test-tone", "--suite", "demo", "--limit", "2",
        "--results", run / "results", "--no-report", cwd=run)  # fmt: skip
    (summary_file,) = (run / "results" / "demo").glob("*/lite/summary.json")
    summary = json.loads(summary_file.read_text())
    assert summary["limit"] == {"n": 2, "items": 2, "of": 14} and summary["metrics"]
    published = _sh(
        py, "-c", "from ztts_eval.report.published import load_published; print(len(load_published('ztts1-clean')))", cwd=run
    )
    assert int(published.stdout) > 5
