"""The results module: one layout, versioned files, readers that fail with one line naming the file,
and ground truth found by its role (adapter group), never by the system's name."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from tests.fakes.cli import DEMO, read_jsonl, run_cli
from tests.fakes.synthetic_results import make_rows, write_run
from ztts_eval.pipeline import results


def test_write_then_read_round_trip_with_schema_version(tmp_path):
    folder = write_run(tmp_path, "suite-a", "alpha", make_rows("alpha", {"en": (3.0, 70.0, 3.5)}, n=5))
    paths = results.RunPaths.of_folder(folder)
    assert (paths.suite, paths.system, paths.profile) == ("suite-a", "alpha", "ztts1")
    assert paths.dir == folder
    summary = results.read_summary(paths.summary)
    assert summary["schema_version"] == results.SCHEMA_VERSION
    assert results.read_samples(paths.samples) == read_jsonl(paths.samples)
    assert [s["system"] for s in results.load_summaries(tmp_path, "suite-a", "ztts1")] == ["alpha"]
    board = results.leaderboard_paths(tmp_path, "suite-a", "ztts1")
    assert board["csv"] == tmp_path / "suite-a" / "leaderboard-ztts1.csv"


def test_newer_schema_and_corrupt_files_are_one_line_errors(tmp_path):
    folder = write_run(tmp_path, "s", "alpha", make_rows("alpha", {"en": (3.0, 70.0, 3.5)}, n=5))
    data = json.loads((folder / "summary.json").read_text())
    (folder / "summary.json").write_text(json.dumps({**data, "schema_version": results.SCHEMA_VERSION + 1}))
    with pytest.raises(results.ResultsError, match="newer than this ztts-eval reads"):
        results.read_summary(folder / "summary.json")
    (folder / "summary.json").write_text("{not json")
    with pytest.raises(results.ResultsError, match=r"summary\.json: not valid JSON"):
        results.read_summary(folder / "summary.json")
    first = (folder / "samples.jsonl").read_text().split("\n")[0]
    (folder / "samples.jsonl").write_text(first + "\n{oops\n")
    with pytest.raises(results.ResultsError, match=r"samples\.jsonl:2: not valid JSON"):
        results.read_samples(folder / "samples.jsonl")
    (folder / "samples.jsonl").write_text('{"a": 1}\n')
    with pytest.raises(results.ResultsError, match=r"samples\.jsonl:1: sample row field 'item_id' must be str"):
        results.read_samples(folder / "samples.jsonl")


def test_atomic_write_leaves_no_temp_file_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "x" / "summary.json"
    monkeypatch.setattr(results.os, "replace", lambda *a: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError):
        results.atomic_write_text(target, "{}")
    assert list(target.parent.iterdir()) == []


def test_ground_truth_is_found_by_role_not_name(tmp_path):
    """The same adapter under another --name gives identical rows: a recording whose item has no
    speaker_id keeps no similarity (not a prompt-vs-recording number) whatever the system is called."""
    suite = tmp_path / "suite"
    shutil.copytree(DEMO, suite)
    items = read_jsonl(suite / "manifest.jsonl")
    unpaired = next(it for it in items if it.get("reference_audio") and it.get("speaker_id"))
    del unpaired["speaker_id"]
    (suite / "manifest.jsonl").write_text("".join(json.dumps(it, ensure_ascii=False) + "\n" for it in items))
    run_cli("validate", str(suite / "manifest.jsonl"), "--seal")
    rows = {}
    for name in ("ground-truth", "gt2"):
        run_cli(
            "run",
            "--model",
            "ground-truth",
            "--name",
            name,
            "--suite",
            str(suite / "manifest.jsonl"),
            "--results",
            str(tmp_path / "r"),
            "--metrics",
            "sim_resemblyzer",
            "--no-report",
        )
        rows[name] = read_jsonl(tmp_path / "r" / "demo" / name / "lite" / "samples.jsonl")
    for r in rows["ground-truth"] + rows["gt2"]:
        r.pop("system")
        r.pop("latency_s")
    assert rows["ground-truth"] == rows["gt2"]
    sims = {r["item_id"]: r["scores"]["sim_resemblyzer"]["status"] for r in rows["gt2"] if r["status"] == "ok"}
    assert sims.pop(unpaired["id"]) == "not_covered" and set(sims.values()) == {"ok"}
    summary = json.loads((tmp_path / "r" / "demo" / "gt2" / "lite" / "summary.json").read_text())
    assert results.is_reference(summary)


def test_lite_pitch_metric_imports_neither_torch_nor_the_full_factor():
    code = (
        "import sys, ztts_eval.metrics.ttsds.pitch_ttsds_lite as m; "
        "bad = [k for k in ('torch', 'transformers', 'ztts_eval.metrics.ttsds.ttsds_prosody', "
        "'ztts_eval.metrics.common.ssl_frames') if k in sys.modules]; print(bad); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_run_metadata_records_numeric_thread_counts(monkeypatch):
    """The last digits of a score depend on the threads a reduction was split over: recorded."""
    torch = pytest.importorskip("torch")
    from ztts_eval.pipeline.run_metadata import numeric_threads

    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    threads = numeric_threads()
    assert threads["OMP_NUM_THREADS"] == "3" and threads["torch"] == torch.get_num_threads() and threads["cpus"] >= 1
