"""The CI regression gate: identical runs pass, injected regressions fail with a precise message."""

from __future__ import annotations

import json

import pytest

from tests.fakes.cli import run_cli
from tests.fakes.synthetic_results import make_rows, write_run
from ztts_eval import gate

LANGS = {"en": (4.0, 65.0, 3.6), "zh": (3.0, 70.0, 3.3), "de": (5.0, 60.0, 3.4)}


@pytest.fixture
def runs(tmp_path):
    base = write_run(tmp_path / "base", "ztts1-clean", "sys", make_rows("sys", LANGS))
    same = write_run(tmp_path / "same", "ztts1-clean", "sys", make_rows("sys", LANGS))
    worse = write_run(tmp_path / "worse", "ztts1-clean", "sys", make_rows("sys", LANGS, wer_shift={"de": 2.0}))
    return base, same, worse


def test_identical_run_passes(runs):
    base, same, _ = runs
    proc = run_cli("gate", "--candidate", str(same), "--baseline", str(base), check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "PASS" in proc.stdout


def test_injected_wer_regression_fails_naming_metric_language_and_size(runs, tmp_path):
    base, _, worse = runs
    md = tmp_path / "diff.md"
    proc = run_cli("gate", "--candidate", str(worse), "--baseline", str(base), "--markdown", str(md), check=False)
    assert proc.returncode == 1
    failing = [l for l in proc.stderr.splitlines() if l.startswith("REGRESSION")]
    assert any(l.startswith("REGRESSION wer [de]:") and "(+2." in l for l in failing), failing
    assert not any("[en]" in l or "[zh]" in l for l in failing)  # only the injected language
    assert "FAIL" in md.read_text() and "| de | wer |" in md.read_text()


def test_direction_matters_and_improvements_pass(tmp_path):
    base = write_run(tmp_path / "b", "s", "x", make_rows("x", LANGS))
    better = write_run(tmp_path / "c", "s", "x", make_rows("x", LANGS, wer_shift={"en": -3.0}))
    checks = gate.compare(gate.load_run(base), gate.load_run(better), gate.load_tolerances(None))
    en = next(c for c in checks if c.label == "en" and c.column == "wer")
    assert en.status == "improved"
    assert not [c for c in checks if c.status == "regression"]


def test_paired_mode_tolerates_noise_but_catches_real_shift(tmp_path):
    base = write_run(tmp_path / "b", "s", "x", make_rows("x", LANGS, seed=0))
    noisy = write_run(tmp_path / "n", "s", "x", make_rows("x", LANGS, seed=5))
    shifted = write_run(tmp_path / "w", "s", "x", make_rows("x", LANGS, seed=5, wer_shift={"en": 3.0}))
    tight = {"edits": {"abs": 0.5}, "default": {"abs": 5.0}, "counts": {}, "columns": {}}
    tol_file = tmp_path / "tol.json"
    tol_file.write_text(json.dumps(tight))
    tol = gate.load_tolerances(tol_file)
    # re-drawn noise: the paired interval straddles the tolerance, so nothing fails
    checks = gate.compare(gate.load_run(base), gate.load_run(noisy), tol, mode="paired")
    assert not [c for c in checks if c.status == "regression"], [gate.describe(c) for c in checks if c.status == "regression"]
    checks = gate.compare(gate.load_run(base), gate.load_run(shifted), tol, mode="paired")
    regressions = [c for c in checks if c.status == "regression"]
    assert [(c.label, c.column) for c in regressions] == [("en", "wer")]
    assert "paired 95% CI" in regressions[0].detail


def test_count_gates_fire_on_new_failures(tmp_path):
    rows = make_rows("x", LANGS)
    base = write_run(tmp_path / "b", "s", "x", rows)
    broken = [dict(r) for r in rows]
    for r in broken[:2]:
        r.update(status="failed", error="boom", scores={})
    cand = write_run(tmp_path / "c", "s", "x", broken)
    checks = gate.compare(gate.load_run(base), gate.load_run(cand), gate.load_tolerances(None))
    assert [(c.label, c.column) for c in checks if c.status == "regression"] == [("en", "n_failed")]


def test_baseline_bundle_and_calibration_roundtrip(runs, tmp_path):
    base, same, worse = runs
    bundle = tmp_path / "baseline.json"
    assert run_cli("gate", "--write-baseline", str(base), "--output", str(bundle)).returncode == 0
    assert json.loads(bundle.read_text())["kind"] == gate.BASELINE_KIND
    assert run_cli("gate", "--candidate", str(worse), "--baseline", str(bundle), "--mode", "paired", check=False).returncode == 1
    proposal = tmp_path / "tol.json"
    out = run_cli("gate", "--calibrate", str(base), str(same), "--output", str(proposal)).stdout
    tol = json.loads(out)
    assert set(tol["columns"]) == {"wer", "sim", "utmos"} and all(v["abs"] > 0 for v in tol["columns"].values())
    # the calibrated tolerances are accepted back by the gate
    assert run_cli("gate", "--candidate", str(same), "--baseline", str(base), "--tolerances", str(proposal)).returncode == 0


def test_usage_errors_exit_2(tmp_path):
    assert run_cli("gate", "--candidate", str(tmp_path), check=False).returncode == 2
    bad = tmp_path / "tol.json"
    bad.write_text(json.dumps({"wer": 1}))
    proc = run_cli("gate", "--candidate", str(tmp_path), "--baseline", str(tmp_path), "--tolerances", str(bad), check=False)
    assert proc.returncode == 2
