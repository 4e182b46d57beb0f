"""`ztts-eval manifests build|import` from the command line, and a run on what they build."""

from __future__ import annotations

import json

import pytest

from tests.fakes.cli import read_jsonl, run_cli
from tests.fakes.dataset_standins import clean_recipe, itw_recipe, make_cv3, make_fleurs_r, make_seedtts, make_voxblink2
from tests.fakes.standins import make_speechmos
from ztts_eval.pipeline.validate import validate_manifest

pytestmark = pytest.mark.slow


def test_import_cv3(tmp_path):
    src = make_cv3(tmp_path / "CV3-Eval")
    proc = run_cli("manifests", "import", "cv3", str(src / "data" / "zero_shot"), "--out", str(tmp_path / "out"))
    assert "manifest:" in proc.stderr and validate_manifest(tmp_path / "out" / "manifest.jsonl") == []


def test_import_seedtts_then_ground_truth_fills_its_row_and_report_takes_the_path(tmp_path):
    """The acceptance path: import the release layout, run ground truth, report by manifest path."""
    src = make_seedtts(tmp_path / "seedtts_testset")
    out, results = tmp_path / "suite", tmp_path / "results"
    run_cli("manifests", "import", "seedtts", str(src), "--out", str(out))
    manifest = str(out / "manifest.jsonl")
    common = ("--results", str(results), "--metrics", "f0_pyworld,f0_dist_pyworld", "--no-report")
    run_cli("run", "--model", "ground-truth", "--suite", manifest, *common)
    run_cli("run", "--model", "test-tone", "--suite", manifest, *common)
    summary = json.loads((results / "seedtts-eval" / "ground-truth" / "lite" / "summary.json").read_text())
    groups = {g["label"]: g for g in summary["groups"]}
    assert (groups["en"]["n_ok"], groups["zh"]["n_ok"], groups["hard_zh"]["n_ok"]) == (2, 2, 0)
    assert groups["hard_zh"]["n_unavailable"] == 2  # hardcase.lst ships no recordings: counted, not hidden
    tone = json.loads((results / "seedtts-eval" / "test-tone" / "lite" / "summary.json").read_text())
    assert {g["label"]: g["columns"]["f0_w1_pyworld"]["value"] is not None for g in tone["groups"]} == {
        "en": True, "zh": True, "hard_zh": False,
    }  # fmt: skip
    proc = run_cli("report", "--suite", manifest, "--results", str(results))
    assert (
        "leaderboard-lite.md" in proc.stderr and "ground-truth" in (results / "seedtts-eval" / "leaderboard-lite.md").read_text()
    )
    missing = run_cli("report", "--suite", str(tmp_path / "nowhere.jsonl"), "--results", str(results), check=False)
    assert missing.returncode == 2 and "no such manifest file" in missing.stderr and "Traceback" not in missing.stderr


def test_build_clean_then_run_the_suite(tmp_path):
    fleurs = make_fleurs_r(tmp_path / "fleurs")
    recipe = tmp_path / "clean.json"
    recipe.write_text(json.dumps(clean_recipe(count=4, hard_subsets={})))
    out = tmp_path / "suite"
    run_cli("manifests", "build", "ztts1-clean", "--source", str(fleurs), "--recipe", str(recipe), "--out", str(out))
    assert (out / "manifest.lock.json").exists() and (out / "build_report.json").exists()
    results = tmp_path / "results"
    run_cli(
        "run",
        "--model",
        "ground-truth",
        "--suite",
        str(out / "manifest.jsonl"),
        "--results",
        str(results),
        "--metrics",
        "f0_pyworld",
        "--no-report",
    )
    rows = read_jsonl(results / "ztts1-clean" / "ground-truth" / "lite" / "samples.jsonl")
    assert len(rows) == 8 and all(r["status"] == "ok" for r in rows)


def test_build_itw_bins_with_a_registered_quality_metric(tmp_path):
    make_voxblink2(tmp_path / "vb2", {"en": [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]})
    hub, weights = make_speechmos(tmp_path / "mos")
    recipe = tmp_path / "itw.json"
    recipe.write_text(json.dumps(itw_recipe({"en": 5})))
    out = tmp_path / "itw"
    run_cli(
        "manifests",
        "build",
        "ztts1-itw",
        "--metadata",
        str(tmp_path / "vb2" / "meta"),
        "--audio",
        str(tmp_path / "vb2" / "audio"),
        "--transcripts",
        str(tmp_path / "vb2" / "transcripts.tsv"),
        "--recipe",
        str(recipe),
        "--out",
        str(out),
        "--quality",
        "utmos22",
        "--metric-param",
        f"utmos22.hub_dir={hub}",
        "--metric-param",
        f"utmos22.weights={weights}",
    )
    items = read_jsonl(out / "manifest.jsonl")
    assert len(items) == 5 and all(it["speaker_id"] and it["reference_audio"] for it in items)
    assert all(0 <= it["utmos_bin"] <= 9 for it in items)
    assert "UTMOS22" in json.dumps(items[0]["extra"])  # which predictor binned the prompts is recorded


def test_build_errors_are_one_line(tmp_path):
    proc = run_cli("manifests", "build", "ztts1-clean", "--out", str(tmp_path / "o"), check=False)
    assert proc.returncode == 2 and "--source" in proc.stderr
    proc = run_cli("manifests", "build", "ztts1-itw", "--out", str(tmp_path / "o"), check=False)
    assert proc.returncode == 2 and "--metadata" in proc.stderr and "--transcripts" in proc.stderr
