"""Run store and resume: SIGKILL mid-run then re-run == uninterrupted run; warm re-runs compute nothing."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.fakes.cli import DEMO, REPO, read_jsonl, run_cli
from ztts_eval.metrics.base import ERROR, OK
from ztts_eval.pipeline.scoring import _guarded

CHEAP = ["--metrics", "f0_pyworld,f0_dist_pyworld", "--no-report"]


def _run(results: Path, *extra: str) -> subprocess.CompletedProcess:
    return run_cli("run", "--model", "test-tone", "--suite", "demo", "--results", str(results), *CHEAP, *extra)


def _stable_rows(path: Path) -> list[dict]:
    rows = read_jsonl(path)
    for r in rows:
        r.pop("latency_s")
    return rows


def _generations(results: Path) -> int:
    db = results / ".cache" / "store.sqlite"
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=5) as con:
            return con.execute("SELECT count(*) FROM generations").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def _stages(results: Path, system: str = "test-tone") -> dict:
    return json.loads((results / "demo" / system / "lite" / "run.json").read_text())["stages"]


def test_sigkill_then_rerun_equals_uninterrupted(tmp_path):
    clean, killed = tmp_path / "clean", tmp_path / "killed"
    _run(clean, "--param", "delay_s=0.3")

    cmd = [
        sys.executable,
        "-m",
        "ztts_eval",
        "run",
        "--model",
        "test-tone",
        "--suite",
        "demo",
        "--results",
        str(killed),
        *CHEAP,
        "--param",
        "delay_s=0.3",
    ]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 120
    while _generations(killed) < 4 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = _generations(killed)
    assert 4 <= done_before < 14, "the kill must land mid-generation"
    assert not (killed / "demo" / "test-tone" / "lite" / "summary.json").exists()

    _run(killed, "--param", "delay_s=0.3")
    gen = _stages(killed)["generate"]
    assert gen["cached"] == done_before and gen["computed"] == 14 - done_before

    a = _stable_rows(clean / "demo" / "test-tone" / "lite" / "samples.jsonl")
    b = _stable_rows(killed / "demo" / "test-tone" / "lite" / "samples.jsonl")
    assert len(b) == 14 and len({(r["item_id"], r["seed"]) for r in b}) == 14
    assert a == b
    sa = json.loads((clean / "demo" / "test-tone" / "lite" / "summary.json").read_text())
    sb = json.loads((killed / "demo" / "test-tone" / "lite" / "summary.json").read_text())
    assert sa == sb


def test_warm_rerun_recomputes_nothing_and_force_recomputes_one_stage(tmp_path):
    _run(tmp_path)
    _run(tmp_path)
    stages = _stages(tmp_path)
    assert all(s["computed"] == 0 for s in stages.values()), stages
    log = (tmp_path / "demo" / "test-tone" / "lite" / "run.log").read_text()
    assert "generate test-tone: 0 computed, 14 cached" in log

    _run(tmp_path, "--force", "f0_pyworld")
    stages = _stages(tmp_path)
    assert stages["generate"]["computed"] == 0
    assert stages["score:f0_pyworld"]["computed"] == 14
    assert stages["score:f0_dist_pyworld"]["computed"] == 0

    _run(tmp_path, "--force", "generate")
    assert _stages(tmp_path)["generate"]["computed"] == 14


def test_multiple_seeds_give_one_row_per_item_and_seed(tmp_path):
    _run(tmp_path, "--seeds", "0,1")
    rows = read_jsonl(tmp_path / "demo" / "test-tone" / "lite" / "samples.jsonl")
    assert len(rows) == 28
    by_item = {}
    for r in rows:
        by_item.setdefault(r["item_id"], set()).add(r["audio_sha256"])
    assert all(len(shas) == 2 for shas in by_item.values())  # seeds change the audio


def test_item_failure_is_a_row_not_a_crash(tmp_path):
    _run(tmp_path, "--param", "fail_ids=demo-en-03")
    out = tmp_path / "demo" / "test-tone" / "lite"
    rows = {r["item_id"]: r for r in read_jsonl(out / "samples.jsonl")}
    assert rows["demo-en-03"]["status"] == "failed" and "fail_ids" in rows["demo-en-03"]["error"]
    assert rows["demo-en-03"]["scores"] == {}
    assert all(r["status"] == "ok" for k, r in rows.items() if k != "demo-en-03")
    summary = json.loads((out / "summary.json").read_text())
    en = next(g for g in summary["groups"] if g["language"] == "en")
    assert en["n_failed"] == 1 and en["n_ok"] == 7 and en["columns"]["f0_mean_pyworld"]["n"] == 7


def test_broken_manifest_stops_before_any_work(tmp_path):
    suite = tmp_path / "suite"
    shutil.copytree(DEMO, suite)
    manifest = suite / "manifest.jsonl"
    manifest.write_text(manifest.read_text().replace('"language": "de"', '"language": "xx"', 1))
    results = tmp_path / "results"
    proc = run_cli("run", "--model", "test-tone", "--suite", str(manifest), "--results", str(results), *CHEAP, check=False)
    assert proc.returncode == 2
    assert "unknown language 'xx'" in proc.stderr and "checksum mismatch" in proc.stderr
    assert not results.exists()


def test_run_metadata_records_what_reproduces_the_numbers(tmp_path):
    _run(tmp_path, "--seeds", "7")
    meta = json.loads((tmp_path / "demo" / "test-tone" / "lite" / "run.json").read_text())
    sidecar = json.loads((DEMO / "manifest.jsonl.meta.json").read_text())
    assert meta["manifest"]["sha256"] == sidecar["sha256"]
    assert meta["seeds"] == [7]
    assert meta["adapter"]["fingerprint"]["adapter"] == "test-tone"
    assert "pyworld" in meta["metrics"]["f0_pyworld"]
    assert meta["environment"]["packages"]["numpy"]
    assert "commit" in meta["environment"]["git"]


def test_metric_exception_isolated_to_the_failing_item():
    def fn(batch):
        if any(x == "boom" for x in batch):
            raise RuntimeError("kaput")
        return [{"status": OK, "v": x} for x in batch]

    rows = _guarded(fn, ["a", "boom", "c"], lambda msg: {"status": ERROR, "error": msg})
    assert [r["status"] for r in rows] == [OK, ERROR, OK]
    assert "kaput" in rows[1]["error"]
