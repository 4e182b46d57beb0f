"""Shared caches, full disks, line separators, hostile names and suspicious recordings.

Concurrency is tested with real processes on one cache folder started at one barrier (the case
that failed with `database is locked` at the WAL switch and with a shared noise-set temp name);
a full disk is an injected ENOSPC on the final writes, the one place a run's results appear.
"""

from __future__ import annotations

import errno
import multiprocessing as mp
import os
import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.fakes.cli import DEMO
from tests.fakes.synthetic_results import make_rows, write_run
from ztts_eval.pipeline import results
from ztts_eval.pipeline.flags import full_scale, recording_flags
from ztts_eval.pipeline.manifest import Item, load_manifest, write_manifest
from ztts_eval.pipeline.validate import validate_manifest
from ztts_eval.report.leaderboard import md_escape, to_markdown
from ztts_eval.report.table import Cell, Line
from ztts_eval.store import Store


def _open_and_write(root: str, n: int, barrier, out) -> None:  # a child process
    try:
        barrier.wait(timeout=30)
        store = Store(root)
        store.put_many("generations", {f"k{n}-{i}": {"status": "ok", "i": i} for i in range(50)})
        store.put_array(f"{'ab' * 32}", np.arange(1000, dtype=np.float32))  # the same key from every process
        from ztts_eval.metrics.ttsds.noise_sets import write_noise_sets

        write_noise_sets(Path(root) / "ttsds")
        store.close()
        out.put((n, "ok"))
    except BaseException as exc:  # reported to the parent, which fails the test with it
        out.put((n, f"{type(exc).__name__}: {exc}"))


@pytest.mark.slow
def test_concurrent_runs_share_one_cache(tmp_path) -> None:
    ctx = mp.get_context("spawn")
    barrier, out = ctx.Barrier(4), ctx.Queue()
    procs = [ctx.Process(target=_open_and_write, args=(str(tmp_path), n, barrier, out)) for n in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    outcomes = sorted(out.get(timeout=5) for _ in procs)
    assert outcomes == [(n, "ok") for n in range(4)]
    store = Store(tmp_path)
    assert len(store.get_many("generations", [f"k{n}-{i}" for n in range(4) for i in range(50)])) == 200
    assert np.array_equal(store.get_array("ab" * 32), np.arange(1000, dtype=np.float32))
    leftovers = [p for p in tmp_path.rglob("*") if ".tmp" in p.name or p.name.startswith(".")]
    assert leftovers == [] and len(list((tmp_path / "ttsds").rglob("*.flac"))) == 80


def test_a_full_disk_on_the_final_writes_leaves_no_partial_result_files(tmp_path, monkeypatch) -> None:
    rows = make_rows("sys", {"en": (4.0, 65.0, 3.6)}, n=4)
    folder = write_run(tmp_path, "s", "sys", rows)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    real_fsync = os.fsync
    calls = {"n": 0}

    def full(fd):  # the second temp file hits ENOSPC where delayed allocation reports it: at fsync
        calls["n"] += 1
        if calls["n"] >= 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_fsync(fd)

    monkeypatch.setattr(results.os, "fsync", full)
    with pytest.raises(OSError, match="No space left"):
        write_run(tmp_path, "s", "sys", make_rows("sys", {"en": (9.0, 65.0, 3.6)}, n=4))
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before  # old files intact, no temp left


@pytest.mark.slow
@pytest.mark.parametrize("err", [errno.ENOSPC, errno.EACCES])
def test_disk_full_or_permission_denied_is_one_line_and_no_result_files(err, tmp_path, monkeypatch, capsys) -> None:
    pytest.importorskip("pyworld")
    from tests.fakes.bad_inputs import Workspace
    from ztts_eval.cli import main

    ws = Workspace(tmp_path)

    def refuse(fd):
        raise OSError(err, os.strerror(err))

    monkeypatch.setattr(results.os, "fsync", refuse)  # every final write fails, as on a full or read-only disk
    argv = ["run", "--model", "test-tone", "--suite", ws.item()[1], "--metrics", "f0_pyworld", "--results", str(ws.results)]
    capsys.readouterr()
    code = main(argv)
    lines = [line for line in capsys.readouterr().err.split("\n") if line.startswith("ztts-eval")]
    assert code == 2 and len(lines) == 1 and os.strerror(err) in lines[0] and "Traceback" not in lines[0]
    run_dir = ws.results / "demo" / "test-tone" / "lite"
    assert sorted(p.name for p in run_dir.iterdir()) == ["run.log"]  # no results, no temp files


def test_seal_round_trips_line_separators_inside_text(tmp_path) -> None:
    demo = load_manifest(DEMO / "manifest.jsonl")
    odd = "one\u2028two\u2029three\u0085four\x1cfive"
    items = [Item(**{**demo.items[0].__dict__, "text": odd, "prompt_audio": str(demo.prompt_path(demo.items[0]))})]
    items[0] = Item(**{**items[0].__dict__, "reference_audio": None, "reference_sha256": None})
    path = write_manifest(tmp_path / "m.jsonl", items)
    raw = path.read_text(encoding="utf-8")
    assert raw.count("\n") == 1 and "\\u2028" in raw and "\u2028" not in raw
    assert load_manifest(path).items[0].text == odd
    problems = [str(p) for p in validate_manifest(path)]
    assert not any("line 2" in p or "unparsable" in p for p in problems), problems


def test_a_suite_name_cannot_leave_the_results_folder(tmp_path) -> None:
    for bad in ("../x", "a/b", "..", ".cache", "", "a\x00b"):
        with pytest.raises(results.ResultsError, match="name"):
            results.RunPaths(tmp_path, bad, "sys", "lite")
    (tmp_path / "out").mkdir()
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "linked").symlink_to(tmp_path / "out")  # a suite folder that is a symlink out
    with pytest.raises(results.ResultsError, match="outside the results folder"):
        _ = results.RunPaths(tmp_path / "r", "linked", "sys", "lite").dir


@pytest.mark.parametrize("subtype", ["PCM_16", "PCM_24", "FLOAT"])
def test_recording_flags_at_each_formats_full_scale(tmp_path, subtype) -> None:
    t = np.arange(16000) / 16000
    loud = np.clip(3.0 * np.sin(2 * np.pi * 220 * t), -1.0, 1.0)  # hard-clipped: long runs at full scale
    peak_normalised = 0.5 * np.sin(2 * np.pi * 220 * t)
    peak_normalised[100] = 1.0  # one sample at 0 dBFS is normal, not clipping
    for name, x, want in [("loud", loud, ["clipped"]), ("fine", peak_normalised, []), ("quiet", 0 * t, ["silent"])]:
        sf.write(tmp_path / f"{name}.wav", x, 16000, subtype=subtype)
        assert recording_flags(tmp_path / f"{name}.wav") == want, (name, subtype)
    assert full_scale("PCM_16") == 32767 / 32768 and full_scale("FLOAT") == 1.0


def test_markdown_names_are_data_not_markup() -> None:
    assert md_escape("a|b <img src=x> **c** [d](e)\nf") == "a\\|b &lt;img src=x&gt; \\*\\*c\\*\\* \\[d\\](e) f"
    line = Line("evil|<b>sys</b>\n| x |", "open", "measured", "wer", "wer ↓", cells={"en": Cell("1.00", 1.0)})
    md = to_markdown(["en"], [line], "t")
    row = next(r for r in md.split("\n") if "evil" in r)
    assert len(re.findall(r"(?<!\\)\|", row)) == 4 and "<b>" not in md and "\n| x |" not in md  # 3 cells


@pytest.mark.slow
def test_a_silent_prompt_flags_every_row_of_its_item(tmp_path, monkeypatch, capsys) -> None:
    pytest.importorskip("pyworld")
    from tests.fakes.bad_inputs import Workspace
    from ztts_eval.cli import main

    ws = Workspace(tmp_path)
    manifest = ws.audio("silent.wav", np.zeros(16000, np.float32))[1]
    argv = ["run", "--model", "test-tone", "--suite", manifest, "--seeds", "0,1", "--metrics", "f0_pyworld"]
    assert main([*argv, "--results", str(ws.results), "--no-report"]) == 0
    rows = results.read_samples(results.RunPaths(ws.results, "demo", "test-tone", "lite").samples)
    flagged = {(r["item_id"], r["seed"]): "prompt_silent" in r["flags"] for r in rows}
    assert flagged == {("demo-en-01", 0): True, ("demo-en-01", 1): True, ("demo-en-02", 0): False, ("demo-en-02", 1): False}
