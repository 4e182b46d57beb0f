"""The validation cache: a warm validation decodes and hashes nothing that did not change, a changed
file is checked again (so a stale result can never hide a bad checksum), `--revalidate` redoes all."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import soundfile as sf

import ztts_eval.pipeline.file_checks as file_checks
from tests.fakes.cli import DEMO, run_cli
from ztts_eval.pipeline.file_checks import DB_NAME, FileChecks
from ztts_eval.pipeline.runner import RunConfig, run_evaluation
from ztts_eval.pipeline.validate import validate_manifest


def _demo_copy(tmp_path):
    suite = tmp_path / "suite"
    shutil.copytree(DEMO, suite, ignore=shutil.ignore_patterns("*.py", "*.md"))
    return suite / "manifest.jsonl"


def _n_files(manifest) -> int:
    names = set()
    for line in manifest.read_text().splitlines():
        obj = json.loads(line)
        names |= {obj["prompt_audio"], obj.get("reference_audio")} - {None}
    return len(names)


def test_warm_validation_hashes_nothing_and_a_changed_file_is_rechecked(tmp_path):
    manifest, cache = _demo_copy(tmp_path), tmp_path / "cache"
    n = _n_files(manifest)
    with FileChecks(cache) as cold:
        assert validate_manifest(manifest, checks=cold) == []
        cold.save()
    assert (cold.hashed, cold.reused) == (n, 0)
    with FileChecks(cache) as warm:
        assert validate_manifest(manifest, checks=warm) == []
    assert (warm.hashed, warm.reused) == (0, n)

    # rewrite one prompt with other samples: a new size/mtime/inode, so it is decoded and hashed
    # again and the checksum mismatch is reported, exactly as without any cache
    first = json.loads(manifest.read_text().splitlines()[0])
    target = manifest.parent / first["prompt_audio"]
    tmp = target.with_suffix(".new.flac")
    sf.write(tmp, 0.1 * np.sin(np.arange(24000) / 7.0), 24000, format="FLAC", subtype="PCM_24")
    os.replace(tmp, target)
    with FileChecks(cache) as after:
        problems = validate_manifest(manifest, checks=after)
        after.save()
    assert after.hashed == 1 and after.reused == n - 1
    assert [str(p) for p in problems] == [str(p) for p in validate_manifest(manifest)]
    assert any("sha256 mismatch" in p.message and p.item_id == first["id"] for p in problems)


def test_revalidate_ignores_the_cache(tmp_path):
    manifest, cache = _demo_copy(tmp_path), tmp_path / "cache"
    with FileChecks(cache) as cold:
        validate_manifest(manifest, checks=cold)
        cold.save()
    with FileChecks(cache, revalidate=True) as again:
        assert validate_manifest(manifest, checks=again) == []
    assert again.hashed == _n_files(manifest) and again.reused == 0


def test_unreadable_and_non_finite_files_keep_their_messages_from_the_cache(tmp_path):
    audio = tmp_path / "audio"
    audio.mkdir()
    (audio / "garbage.wav").write_bytes(b"not audio at all")
    sf.write(audio / "nan.wav", np.array([0.0, np.nan, 0.1] * 100), 16000, subtype="FLOAT")
    with FileChecks(tmp_path / "cache") as cold:
        first = [cold.get(audio / "garbage.wav"), cold.get(audio / "nan.wav")]
        cold.save()
    with FileChecks(tmp_path / "cache") as warm:
        second = [warm.get(audio / "garbage.wav"), warm.get(audio / "nan.wav")]
    assert warm.hashed == 0 and first == second
    assert first[0].sha256 is None and "unreadable audio" in first[0].problem
    assert first[1].problem == "non-finite samples (NaN or Inf)" and first[1].sha256 is not None


def test_a_warm_run_decodes_no_manifest_file_and_revalidate_does(tmp_path, monkeypatch):
    calls = []
    real = file_checks.check_file
    monkeypatch.setattr(file_checks, "check_file", lambda p: calls.append(p) or real(p))
    import ztts_eval.pipeline.flags as flags_module

    decoded_for_flags = []  # prompt/reference flags come from the checks, never from a second decode
    real_flags = flags_module.recording_flags
    monkeypatch.setattr(flags_module, "recording_flags", lambda p: decoded_for_flags.append(p) or real_flags(p))
    manifest = _demo_copy(tmp_path)
    cfg = dict(model="test-tone", suite=str(manifest), results_dir=tmp_path / "results", metrics=["f0_pyworld"])
    run_evaluation(RunConfig(**cfg))
    assert len(calls) == _n_files(manifest)
    assert (tmp_path / "results" / ".cache" / DB_NAME).is_file()
    calls.clear()
    run_evaluation(RunConfig(**cfg))
    assert calls == []
    run_evaluation(RunConfig(**cfg, revalidate=True))
    assert len(calls) == _n_files(manifest)
    assert decoded_for_flags == []


def test_recording_flags_are_stored_with_the_check(tmp_path):
    silent = tmp_path / "silent.wav"
    sf.write(silent, np.zeros(16000, dtype=np.int16), 16000, subtype="PCM_16")
    with FileChecks(tmp_path / "cache") as checks:
        assert checks.get(silent).flags == ("silent",)
        checks.save()
    with FileChecks(tmp_path / "cache") as again:
        assert again.get(silent).flags == ("silent",) and (again.hashed, again.reused) == (0, 1)


def test_unsaved_checks_write_nothing(tmp_path):
    manifest = _demo_copy(tmp_path)
    with FileChecks(tmp_path / "cache") as checks:
        validate_manifest(manifest, checks=checks)
    assert checks.hashed == _n_files(manifest) and not (tmp_path / "cache").exists()


def test_cli_validate_reports_its_work_and_writes_no_cache_unless_asked(tmp_path):
    manifest = _demo_copy(tmp_path)
    n = _n_files(manifest)
    proc = run_cli("validate", str(manifest), cwd=tmp_path)
    assert f"{n} file(s) decoded and hashed, 0 unchanged" in proc.stderr
    assert not (tmp_path / "results").exists()
    run_cli("validate", str(manifest), "--cache-dir", str(tmp_path / "c"))
    proc = run_cli("validate", str(manifest), "--cache-dir", str(tmp_path / "c"))
    assert f"0 file(s) decoded and hashed, {n} unchanged" in proc.stderr
    proc = run_cli("validate", str(manifest), "--cache-dir", str(tmp_path / "c"), "--revalidate")
    assert f"{n} file(s) decoded and hashed, 0 unchanged" in proc.stderr


def test_path_resolver_equals_path_resolve(tmp_path):
    from ztts_eval.pipeline.manifest import PathResolver

    root, outside = tmp_path / "suite", tmp_path / "elsewhere"
    (root / "audio" / "deep").mkdir(parents=True)
    outside.mkdir()
    (root / "audio" / "a.flac").write_bytes(b"x")
    (outside / "b.flac").write_bytes(b"y")
    (root / "audio" / "link.flac").symlink_to(outside / "b.flac")  # a file escaping through a link
    (root / "linked_dir").symlink_to(outside, target_is_directory=True)
    rels = ["audio/a.flac", "audio/link.flac", "audio/missing.flac", "audio/deep/../a.flac", "../elsewhere/b.flac"]
    rels += ["linked_dir/b.flac", "audio/..", ".", "audio/./a.flac", "a.flac"]
    resolver = PathResolver(root)
    for _ in range(2):  # second round from the folder cache
        for rel in rels:
            assert resolver(rel) == (root / rel).resolve(), rel
    inside = {rel: resolver.contains(resolver(rel)) for rel in rels}
    assert inside["audio/a.flac"] and inside["."] and inside["audio/.."]
    assert not inside["audio/link.flac"] and not inside["../elsewhere/b.flac"] and not inside["linked_dir/b.flac"]
