"""The gate refuses to compare what is not comparable, and the report flags such rows."""

from __future__ import annotations

import json

from tests.fakes.cli import run_cli
from tests.fakes.synthetic_results import make_rows, write_run
from ztts_eval.pipeline.results import read_summary
from ztts_eval.report.comparable import differences, flag_incomparable, notes

LANGS = {"en": (4.0, 65.0, 3.6), "de": (5.0, 60.0, 3.4)}


def _edit_summary(run_dir, **changes):
    path = run_dir / "summary.json"
    data = json.loads(path.read_text())
    data.update(changes)
    path.write_text(json.dumps(data))
    return run_dir


def test_other_suite_and_manifest_refuse_with_exit_2_naming_each_difference(tmp_path):
    base = write_run(tmp_path / "b", "demo", "x", make_rows("x", LANGS))
    cand = write_run(tmp_path / "c", "seedtts-eval", "x", make_rows("x", LANGS))
    _edit_summary(cand, manifest_sha256="f" * 64)
    proc = run_cli("gate", "--candidate", str(cand), "--baseline", str(base), check=False)
    assert proc.returncode == 2, proc.stderr
    mismatches = [l for l in proc.stderr.splitlines() if l.startswith("MISMATCH")]
    assert mismatches == [
        "MISMATCH suite: baseline 'demo', candidate 'seedtts-eval'",
        "MISMATCH manifest checksum: baseline 000000000000, candidate ffffffffffff",
    ]
    assert "REGRESSION" not in proc.stderr and "--allow-mismatch" in proc.stderr
    allowed = run_cli("gate", "--candidate", str(cand), "--baseline", str(base), "--allow-mismatch", check=False)
    assert allowed.returncode == 0
    assert "Not comparable" in allowed.stdout and "- suite: baseline 'demo', candidate 'seedtts-eval'" in allowed.stdout


def test_empty_or_smaller_baseline_does_not_cover_the_candidate(tmp_path):
    base = write_run(tmp_path / "b", "s", "x", make_rows("x", LANGS))
    cand = write_run(tmp_path / "c", "s", "x", make_rows("x", LANGS))
    _edit_summary(base, groups=[])
    proc = run_cli("gate", "--candidate", str(cand), "--baseline", str(base), check=False)
    assert proc.returncode == 2
    assert "MISMATCH group en: 40 candidate item(s), missing from the baseline" in proc.stderr
    assert "MISMATCH group de: 40 candidate item(s), missing from the baseline" in proc.stderr
    small = write_run(tmp_path / "s", "s", "x", make_rows("x", LANGS, n=39))
    assert differences(read_summary(small / "summary.json"), read_summary(cand / "summary.json")) == [
        "group en: 39 item(s) in the baseline, 40 in the candidate",
        "group de: 39 item(s) in the baseline, 40 in the candidate",
    ]


def test_metric_version_scorer_fingerprint_and_limit_are_compared(tmp_path):
    base = read_summary(write_run(tmp_path / "b", "s", "x", make_rows("x", LANGS)) / "summary.json")
    cand = json.loads(json.dumps(base))
    cand["metrics"][0]["version"] = "2"
    cand["limit"] = {"n": 10, "items": 10, "of": 80}
    base["scorers"] = {"sim": {"fingerprint": "a" * 64, "packages": {"torch": "2.13.0"}}}
    cand["scorers"] = {"sim": {"fingerprint": "b" * 64, "packages": {"torch": "2.14.0"}}}
    assert differences(base, cand) == [
        "subset: baseline full suite, candidate limit 10 (10 of 80 items)",
        "metric wer: version '1' in the baseline, '2' in the candidate",
        "metric sim: scorer fingerprint aaaaaaaaaaaa in the baseline, bbbbbbbbbbbb in the candidate",
    ]
    assert notes(base, cand) == ["metric sim: package versions differ (torch 2.13.0 → 2.14.0)"]


def test_report_flags_rows_from_another_manifest_or_a_limited_subset():
    rows = [
        {"system": "a", "manifest_sha256": "1" * 64},
        {"system": "b", "manifest_sha256": "1" * 64},
        {"system": "c", "manifest_sha256": "2" * 64},
        {"system": "d", "manifest_sha256": "1" * 64, "limit": {"n": 2, "items": 2, "of": 14}},
    ]
    warnings = flag_incomparable(rows)
    assert [r["system"] for r in rows] == ["a", "b", "c †", "d †"]
    assert warnings[0] == "c: manifest 222222222222 (most rows: 111111111111) — not comparable with the other rows"
    assert warnings[1] == "d: limit 2 (2 of 14 items) (most rows: full suite) — not comparable with the other rows"


def test_shipped_baseline_refuses_a_demo_run_without_its_hardest_english_item(tmp_path):
    """The issue's case: the demo minus one English item used to print "PASS … WER improved"."""
    from tests.fakes.cli import REPO

    shipped = REPO / "results" / "baselines" / "demo" / "espeak-ng-lite.json"
    bundle = json.loads(shipped.read_text())
    cand = bundle["summary"]
    cand["manifest_sha256"] = "e" * 64  # what the edited manifest's sidecar would say
    next(g for g in cand["groups"] if g["label"] == "en")["n"] = 7
    (tmp_path / "summary.json").write_text(json.dumps(cand))
    proc = run_cli("gate", "--candidate", str(tmp_path / "summary.json"), "--baseline", str(shipped), check=False)
    assert proc.returncode == 2 and "PASS" not in proc.stdout
    assert "MISMATCH group en: 8 item(s) in the baseline, 7 in the candidate" in proc.stderr
    assert "MISMATCH manifest checksum: baseline c998cc5531dc, candidate eeeeeeeeeeee" in proc.stderr


def test_committed_baselines_carry_no_machine_paths():
    from tests.fakes.cli import REPO

    for path in (REPO / "results" / "baselines").rglob("*.json"):
        text = path.read_text()
        for marker in ("/tmp/", "/home/", "/work/", "/Users/", ":\\\\"):
            assert marker not in text, (path, marker)
        source = json.loads(text)["source"]
        assert source.count("/") == 2 and not source.startswith("/"), source  # <suite>/<system>/<profile>
