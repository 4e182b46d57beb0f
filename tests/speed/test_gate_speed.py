"""Speed columns in the gate, by hand: regressions per setting, comparisons that are refused, calibration."""

from __future__ import annotations

import copy

import pytest

from ztts_eval.gate import DEFAULT_TOLERANCES, EMPTY_SUMMARY, Check, Run, calibrate, compare
from ztts_eval.pipeline import results
from ztts_eval.speed.gate_checks import calibrate_speed


def setting(label: str, ttfa50: float, rtf95: float, rps: float, overloaded: bool = False) -> dict:
    q = {"p50": ttfa50, "p95": ttfa50 * 2}
    return {
        "label": label,
        "measures": {"ttfa_s": q, "rtf": {"p50": rtf95 / 2, "p95": rtf95}},
        "requests_per_s": rps,
        "underrun_rate": 0.0,
        "client": {"overloaded": overloaded, "reason": "the client's own threads woke late" if overloaded else ""},
    }


def speed(*settings: dict, hw: str = "1x H100 80GB") -> dict:
    return {"kind": "ztts-eval-speed", "hardware": {"model_runs_on": hw}, "settings": list(settings)}


def run(sp: dict) -> Run:
    return Run(EMPTY_SUMMARY, None, "x", sp)


def failing(checks: list[Check]) -> dict[tuple[str, str], Check]:
    return {(c.label, c.column): c for c in checks if c.status in ("regression", "missing")}


def test_speed_regressions_per_setting_in_each_direction() -> None:
    base = speed(setting("c=1", 0.40, 0.70, 2.0), setting("c=16", 0.50, 0.80, 6.0))
    cand = speed(setting("c=1", 0.44, 0.70, 2.0), setting("c=16", 0.70, 0.80, 4.0))  # +10 % ok; +40 %, -33 % not
    bad = failing(compare(run(base), run(cand), DEFAULT_TOLERANCES))
    assert set(bad) == {("speed c=16", "ttfa_p50"), ("speed c=16", "ttfa_p95"), ("speed c=16", "requests_per_s")}
    assert bad[("speed c=16", "requests_per_s")].allowed == pytest.approx(0.15 * 6.0)
    faster = speed(setting("c=1", 0.20, 0.35, 4.0), setting("c=16", 0.25, 0.40, 12.0))
    assert failing(compare(run(base), run(faster), DEFAULT_TOLERANCES)) == {}


def test_overloaded_client_other_hardware_and_missing_loads_are_refused() -> None:
    base = speed(setting("c=1", 0.40, 0.70, 2.0), setting("c=16", 0.50, 0.80, 6.0))
    cand = speed(setting("c=1", 0.40, 0.70, 2.0, overloaded=True), hw="1x A100 40GB")
    bad = failing(compare(run(base), run(cand), DEFAULT_TOLERANCES))
    assert ("speed", "hardware") in bad and "A100" in bad[("speed", "hardware")].detail
    assert ("speed c=1", "client") in bad and ("speed c=16", "setting") in bad
    assert ("speed", "speed.json") in failing(compare(run(base), Run(EMPTY_SUMMARY, None, "y", None), DEFAULT_TOLERANCES))


def test_calibration_is_the_worst_run_times_slack() -> None:
    runs = [speed(setting("c=1", t, 0.7, r)) for t, r in ((0.40, 2.0), (0.44, 1.9), (0.42, 2.0))]
    tol = calibrate_speed(runs, slack=1.5)["columns"]
    assert tol["ttfa_p50"]["rel"] == pytest.approx(round(1.5 * 0.04 / 0.40, 4))
    assert tol["requests_per_s"]["rel"] == pytest.approx(round(1.5 * 0.1 / 2.0, 4))
    assert tol["rtf_p95"]["rel"] == 0.05  # no spread: the floor
    proposal = calibrate([run(r) for r in runs], slack=1.5)
    assert proposal["speed"]["columns"] == tol


def test_speed_files_round_trip_and_are_recognised(tmp_path) -> None:
    paths = results.RunPaths(tmp_path, "demo", "sys", "lite")
    rows = [{"system": "sys", "setting": "c=1", "index": 0, "warmup": False, "status": "ok"}]
    summary = {**speed(setting("c=1", 0.4, 0.7, 2.0)), "system": "sys", "suite": "demo", "profile": "lite"}
    results.write_speed(paths, rows, copy.deepcopy(summary))
    back = results.read_speed(paths.speed)
    assert back["schema_version"] == results.SCHEMA_VERSION and back["settings"] == summary["settings"]
    assert results.read_speed_rows(paths.speed_requests) == rows
    assert [s["system"] for s in results.load_speed(tmp_path, "demo", "lite")] == ["sys"]
    paths.summary.write_text('{"groups": [], "metrics": []}')
    with pytest.raises(results.ResultsError, match="not a ztts-eval speed summary"):
        results.read_speed(paths.summary)
