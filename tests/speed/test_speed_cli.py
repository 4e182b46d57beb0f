"""`ztts-eval speed` end to end on the demo suite with the tone adapter (programmed pacing): results,
quality of the streamed audio, resume, leaderboard and HTML speed sections, the gate and calibration."""

from __future__ import annotations

import json

import pytest

from ztts_eval.cli import main
from ztts_eval.pipeline.results import RunPaths, read_speed, read_speed_rows

TONE = ["--model", "test-tone", "--suite", "demo", "--param", "seconds_per_char=0.008", "--param", "stream_chunk_s=0.05"]


def speed(results, *extra: str) -> int:
    return main(["speed", *TONE, "--requests", "6", "--warmup", "1", "--results", str(results), *extra])


@pytest.mark.slow
def test_speed_run_report_gate_and_calibration(tmp_path, capsys) -> None:
    base, slow = tmp_path / "base", tmp_path / "slow"
    args = ["--concurrency", "1,3", "--param", "stream_start_s=0.05", "--param", "stream_pace=0.5", "--metrics", "f0_pyworld"]
    assert speed(base, *args) == 0
    paths = RunPaths(base, "demo", "test-tone", "lite")
    summary, rows = read_speed(paths.speed), read_speed_rows(paths.speed_requests)
    assert [s["label"] for s in summary["settings"]] == ["c=1", "c=3"]
    assert len(rows) == 2 * (1 + 6) and sum(r["warmup"] for r in rows) == 2
    assert len({r["language"] for r in rows}) == 4  # requests spread over the suite's languages
    for s in summary["settings"]:
        assert s["n_ok"] == 6 and s["stream"]["streaming"] is True and s["n_underruns"] == 0
        assert s["measures"]["ttfa_s"]["p50"] == pytest.approx(0.05, abs=0.03)
        assert s["measures"]["rtf"]["p50"] < 0.75  # paced at 0.5 x real time, plus the 50 ms start
        (q,) = s["quality"]  # the tone streams its one-shot samples: identical scores
        assert q["n"] == 6 and q["streamed"] == pytest.approx(q["one_shot"]) and q["delta"] == 0.0
    assert all((base / r["audio_path"]).exists() for r in rows if r["status"] == "ok")
    assert summary["hardware"]["client"]["cores"] and summary["config"]["warmup"] == 1

    # a re-run with the same configuration keeps the measured settings; --force measures again
    assert speed(base, *args) == 0
    assert "kept from" in capsys.readouterr().err
    assert read_speed(paths.speed)["settings"][0]["setting_wall_s"] == summary["settings"][0]["setting_wall_s"]

    assert main(["report", "--suite", "demo", "--results", str(base)]) == 0
    board = (base / "demo" / "leaderboard-lite.md").read_text()
    assert "Real-time serving" in board and "| test-tone | c=3 |" in board and "f0_mean_pyworld" in board
    assert (base / "demo" / "leaderboard-lite-speed.csv").read_text().count("\n") == 3
    pytest.importorskip("plotly")
    from ztts_eval.report.speed import speed_section

    html = speed_section(base, "demo", "lite")
    assert "Time to first audio (s) vs concurrency" in html and "worst request" in html

    # same configuration measured again: the gate passes against itself, calibration proposes speed tolerances
    assert speed(tmp_path / "again", *args) == 0
    capsys.readouterr()
    run_a, run_b = str(paths.dir), str(RunPaths(tmp_path / "again", "demo", "test-tone", "lite").dir)
    # wide enough for a loaded 2-core machine (TTFA ±100 ms, RTF/throughput ±50 %), far below the 3x slowdown
    tol = tmp_path / "tol.json"
    columns = {"ttfa_p50": {"abs": 0.1}, "ttfa_p95": {"abs": 0.1}, "underrun_rate": {"abs": 0.34}}
    tol.write_text(json.dumps({"speed": {"default": {"rel": 0.5}, "columns": columns}}))
    assert main(["gate", "--candidate", run_b, "--baseline", run_a, "--tolerances", str(tol)]) == 0
    assert "rtf_p95" in capsys.readouterr().out  # the speed checks are in the gate's table
    assert main(["gate", "--calibrate", run_a, run_b]) == 0
    proposal = json.loads(capsys.readouterr().out)
    assert set(proposal["speed"]["columns"]) >= {"ttfa_p50", "rtf_p95", "requests_per_s"}

    # three times slower pacing: RTF regresses and throughput falls, each named
    slow_args = [a.replace("stream_pace=0.5", "stream_pace=1.5") for a in args]
    assert speed(slow, *slow_args, "--no-quality") == 0
    capsys.readouterr()
    slow_dir = str(RunPaths(slow, "demo", "test-tone", "lite").dir)
    assert main(["gate", "--candidate", slow_dir, "--baseline", run_a, "--tolerances", str(tol)]) == 1
    err = capsys.readouterr().err
    assert "REGRESSION rtf_p50 [speed c=1]" in err and "requests_per_s [speed c=3]" in err


def test_non_streaming_adapter_is_labelled_and_bad_specs_are_one_line_errors(tmp_path, capsys) -> None:
    out = tmp_path / "r"
    assert (
        main(
            [
                "speed",
                "--model",
                "ground-truth",
                "--suite",
                "demo",
                "--requests",
                "3",
                "--warmup",
                "0",
                "--no-quality",
                "--results",
                str(out),
            ]
        )
        == 0
    )
    (setting,) = read_speed(RunPaths(out, "demo", "ground-truth", "lite").speed)["settings"]
    assert setting["stream"]["streaming"] is False and "cannot stream" in setting["stream"]["why"]
    assert setting["stream"]["median_chunks"] == 1.0
    capsys.readouterr()
    for bad, message in (
        (["--rate", "poisson:8"], "--rate takes"),
        (["--concurrency", "0,2"], "--concurrency needs"),
        (["--rate", "ramp:1-5/s", "--requests", "4"], "needs --duration"),
    ):
        assert speed(out, *bad) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and message in err[0] and "Traceback" not in err[0]
