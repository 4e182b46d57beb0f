"""The Ray executor on a local Ray instance started here (2 CPUs, loopback only, no GPU).

Truths checked: the same rows, summary and cache keys as the local executor; actors SIGKILLed
mid-batch (on cue, by the fakes in tests/fakes/ray_faults.py) lose and duplicate nothing; a
driver SIGKILLed mid-run resumes on re-run with nothing recomputed that had been recorded.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fakes.cli import REPO, run_cli
from ztts_eval import registry
from ztts_eval.pipeline.executors import ray_driver
from ztts_eval.pipeline.progress import StagesProgress
from ztts_eval.pipeline.results import read_run_meta, read_samples, read_summary
from ztts_eval.pipeline.runner import RunConfig, run_evaluation

FAULTS = Path(__file__).resolve().parents[1] / "fakes" / "ray_faults.py"
DEMO_ROWS = 14


@pytest.fixture(scope="module")
def ray_address():
    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"  # read when ray is imported: bind 127.0.0.1 only
    import ray

    ctx = ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    address = ctx.address_info["gcs_address"]
    assert address.startswith("127.0.0.1:"), address
    registry.include(FAULTS)
    yield address
    ray.shutdown()


def _run(tmp: Path, name: str, executor: str, **kw) -> Path:
    cfg = RunConfig(suite="demo", results_dir=tmp / name, executor=executor, **kw)
    return run_evaluation(cfg).out_dir


def _comparable(rows: list[dict]) -> list[dict]:
    """latency_s is a stopwatch reading: it differs between any two runs, local ones too."""
    return [{k: v for k, v in r.items() if k != "latency_s"} for r in rows]


def _store(out: Path) -> dict[str, dict[str, dict]]:
    db = sqlite3.connect(out.parents[2] / ".cache" / "store.sqlite")
    try:
        tables = {t: dict(db.execute(f"SELECT key, record FROM {t}")) for t in ("generations", "scores")}
    finally:
        db.close()
    return {t: {k: json.loads(v) for k, v in rows.items()} for t, rows in tables.items()}


def _without_latency(records: dict[str, dict]) -> dict[str, dict]:
    return {k: {**v, "diagnostics": {**v.get("diagnostics", {}), "latency_s": None}} for k, v in records.items()}


@pytest.mark.slow
def test_demo_lite_same_rows_summary_and_cache_keys_as_local(tmp_path, ray_address):
    # the local reference runs in a fresh process, as a user's would (and as each actor is): torch
    # models in this test process may have been run with other thread settings by earlier tests
    run_cli("run", "--model", "test-tone", "--suite", "demo", "--results", str(tmp_path / "local"), "--no-report")
    local = tmp_path / "local" / "demo" / "test-tone" / "lite"
    on_ray = _run(tmp_path, "ray", "ray", model="test-tone")
    assert _comparable(read_samples(on_ray / "samples.jsonl")) == _comparable(read_samples(local / "samples.jsonl"))
    assert read_summary(on_ray / "summary.json") == read_summary(local / "summary.json")
    a, b = _store(local), _store(on_ray)
    assert set(a["generations"]) == set(b["generations"]) and len(a["generations"]) == DEMO_ROWS
    assert _without_latency(a["generations"]) == _without_latency(b["generations"])
    assert a["scores"] == b["scores"]  # same keys, same values: the cache is one source of truth
    meta = read_run_meta(on_ray / "run.json")
    assert meta["executor"]["name"] == "ray" and meta["executor"]["address"] == "local"
    stages = meta["executor"]["stages"]
    assert set(stages) == {"generate", *(f"score:{m}" for m in registry.PROFILES["lite"])}
    for st in stages.values():
        assert st["busy_s"] > 0 and st["cpu_s"] >= 0 and st["gpu_s"] == 0 and 0 < st["utilisation"] <= 1.0
    # the scorers ran at once: their busy seconds add up to more than the time they spanned together
    scoring = [s for k, s in stages.items() if k.startswith("score:")]
    together = max(s["start_s"] + s["span_s"] for s in scoring) - min(s["start_s"] for s in scoring)
    assert sum(s["busy_s"] for s in scoring) > together


def test_actor_sigkill_mid_batch_loses_and_duplicates_nothing(tmp_path, ray_address, monkeypatch):
    seen: list[StagesProgress] = []

    class Recorded(StagesProgress):
        def __exit__(self, *exc):
            seen.append(self)
            return super().__exit__(*exc)

    monkeypatch.setattr(ray_driver, "StagesProgress", Recorded)
    marks = tmp_path / "marks"
    marks.mkdir()
    # demo-en-02 is the 2nd request of the first 8-request batch; score demo-en-06 is in the 2nd 4-input batch
    params = {"marks": str(marks), "kill_once": "demo-en-02"}
    mparams = {"probe_duration": {"marks": str(marks), "kill_once": "demo-en-06#0"}}
    common = dict(model="test-tone-killing", params=params, metrics=["probe_duration", "f0_pyworld"], metric_params=mparams)
    on_ray = _run(tmp_path, "ray", "ray", **common)
    assert sorted(p.name for p in marks.iterdir()) == ["killed-demo-en-02", "killed-score-demo-en-06#0", "kills.log"]
    assert sorted((marks / "kills.log").read_text().split()) == ["demo-en-02", "score-demo-en-06#0"]  # both died once
    rows = read_samples(on_ray / "samples.jsonl")
    assert len(rows) == DEMO_ROWS == len({(r["item_id"], r["seed"]) for r in rows})
    assert all(r["status"] == "ok" and set(r["scores"]) == {"probe_duration", "f0_pyworld"} for r in rows)
    store = _store(on_ray)
    assert len(store["generations"]) == DEMO_ROWS and len(store["scores"]) == 2 * DEMO_ROWS
    deaths = read_run_meta(on_ray / "run.json")["executor"]["stages"]
    assert deaths["generate"]["actor_deaths"] == 1 and deaths["score:probe_duration"]["actor_deaths"] == 1
    assert deaths["score:f0_pyworld"]["actor_deaths"] == 0
    # no stage barrier: probe_duration (4 a batch) began while generation still ran
    gen = deaths["generate"]
    assert deaths["score:probe_duration"]["start_s"] < gen["start_s"] + gen["span_s"]
    (progress,) = seen  # one display, every stage counted to its total
    assert progress.done == progress.total == {"generate": 14, "score:probe_duration": 14, "score:f0_pyworld": 14}
    # the same values as the local executor (the markers exist now: nothing dies there)
    local = _run(tmp_path, "local", "local", **common)
    assert _comparable(read_samples(local / "samples.jsonl")) == _comparable(rows)
    assert read_summary(local / "summary.json") == read_summary(on_ray / "summary.json")


def test_item_that_kills_every_time_becomes_a_failed_row(tmp_path, ray_address):
    params = {"marks": str(tmp_path), "kill_always": "demo-en-03"}
    out = _run(tmp_path, "ray", "ray", model="test-tone-killing", params=params, metrics=["f0_pyworld"])
    rows = {r["item_id"]: r for r in read_samples(out / "samples.jsonl")}
    assert len(rows) == DEMO_ROWS
    bad = rows.pop("demo-en-03")
    assert bad["status"] == "failed" and bad["error"].startswith("generation actor died 3 times on this item")
    assert all(r["status"] == "ok" for r in rows.values())
    assert (tmp_path / "kills.log").read_text().split() == ["demo-en-03"] * 3  # max_attempts deaths, then given up
    assert read_run_meta(out / "run.json")["executor"]["stages"]["generate"]["actor_deaths"] == 3


def _count(db_path: Path, table: str) -> int:
    if not db_path.exists():
        return 0
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        return db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    except sqlite3.OperationalError:  # schema not created yet
        return 0
    finally:
        db.close()


def test_driver_sigkill_then_rerun_recomputes_nothing_recorded(tmp_path, ray_address):
    results = tmp_path / "ray"
    db = results / ".cache" / "store.sqlite"
    argv = [sys.executable, "-m", "ztts_eval", "run", "--model", "test-tone", "--suite", "demo", "--metrics", "f0_pyworld"]
    argv += ["--results", str(results), "--no-report", "--executor", "ray", "--address", ray_address]
    # 8 requests a batch at 1 s each: the first batch lands after ~8 s, the second ~6 s later
    proc = subprocess.Popen([*argv, "--param", "delay_s=1.0"], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    while _count(db, "generations") == 0 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL, err.decode()[-2000:]
    done_gen, done_scores = _count(db, "generations"), _count(db, "scores")
    assert 0 < done_gen < DEMO_ROWS, "the driver was killed between the two generation batches"
    rerun = run_evaluation(
        RunConfig(model="test-tone", suite="demo", metrics=["f0_pyworld"], results_dir=results, executor="ray")
    )
    assert (rerun.stages["generate"].cached, rerun.stages["generate"].computed) == (done_gen, DEMO_ROWS - done_gen)
    score = rerun.stages["score:f0_pyworld"]
    assert (score.cached, score.computed) == (done_scores, DEMO_ROWS - done_scores)
    local = _run(tmp_path, "local", "local", model="test-tone", metrics=["f0_pyworld"])
    assert _comparable(read_samples(rerun.out_dir / "samples.jsonl")) == _comparable(read_samples(local / "samples.jsonl"))
    assert read_summary(rerun.out_dir / "summary.json") == read_summary(local / "summary.json")


def test_actor_shares_fit_the_cluster_in_hundredths():
    from model_adapters.base import AdapterError
    from ztts_eval.pipeline.executors.ray_driver import _cpu_shares

    for cpus, gens, metrics in ((2, 1, 6), (1, 1, 6), (2, 2, 6), (16, 8, 5), (2, 1, 9)):
        gen, score = _cpu_shares(cpus, gens, metrics)
        assert gens * gen + metrics * score <= cpus and score == round(score, 2) >= 0.01
    assert _cpu_shares(2, 1, 6) == (1.0, 0.16)  # 0.17 would ask for 2.02 CPUs: the sixth scorer never starts
    with pytest.raises(AdapterError, match="too few"):
        _cpu_shares(0.5, 4, 200)


def test_ray_options_without_ray_executor_are_one_line_errors(tmp_path):
    from tests.fakes.cli import run_cli

    proc = run_cli("run", "--model", "test-tone", "--suite", "demo", "--results", str(tmp_path), "--address", "auto", check=False)
    assert proc.returncode == 2 and proc.stderr.strip() == "ztts-eval: error: --address: only with --executor ray"
    assert not (tmp_path / "demo").exists()
