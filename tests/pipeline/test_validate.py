"""Manifest format, sidecar and `ztts-eval validate`: every problem listed with its line."""

from __future__ import annotations

import json
import shutil

import numpy as np
import soundfile as sf

from tests.fakes.cli import DEMO, run_cli
from ztts_eval.hashing import sha256_file
from ztts_eval.pipeline.manifest import Item, load_manifest, write_manifest
from ztts_eval.pipeline.validate import validate_manifest


def _item(tmp, id_, **kw):
    base = dict(
        id=id_,
        suite="t",
        subset="t",
        language="en",
        text="hello there",
        prompt_audio="audio/ok.flac",
        prompt_sha256=sha256_file(tmp / "audio" / "ok.flac"),
    )
    base.update(kw)
    return json.dumps(base, ensure_ascii=False)


def test_demo_manifest_is_valid_and_has_real_references():
    assert validate_manifest(DEMO / "manifest.jsonl") == []
    m = load_manifest(DEMO / "manifest.jsonl")
    english = [it for it in m.items if it.language == "en"]
    assert len(english) >= 8
    assert sum(it.reference_audio is not None for it in english) >= 4
    assert {it.language for it in m.items} >= {"en", "de", "fr", "zh"}
    assert len({it.id for it in m.items}) == len(m.items)


def test_write_is_deterministic_and_roundtrips(tmp_path):
    m = load_manifest(DEMO / "manifest.jsonl")
    a = write_manifest(tmp_path / "a.jsonl", m.items).read_bytes()
    b = write_manifest(tmp_path / "b.jsonl", list(m.items)).read_bytes()
    assert a == b
    assert load_manifest(tmp_path / "a.jsonl").items == m.items


def test_broken_manifest_lists_every_problem(tmp_path):
    audio = tmp_path / "audio"
    audio.mkdir()
    sf.write(audio / "ok.flac", 0.1 * np.sin(np.arange(16000) / 10), 16000)
    sf.write(audio / "empty.wav", np.zeros(0), 16000)
    sf.write(audio / "nan.wav", np.array([0.0, np.nan, 0.1] * 100), 16000, subtype="FLOAT")
    (audio / "garbage.wav").write_bytes(b"not audio at all")
    (tmp_path.parent / "outside.flac").write_bytes((audio / "ok.flac").read_bytes())
    lines = [
        _item(tmp_path, "good"),  # 1 fine
        "{not json",  # 2 unparsable
        _item(tmp_path, "good"),  # 3 duplicate id
        _item(tmp_path, "missing", prompt_audio="audio/nope.flac"),  # 4 missing audio
        _item(tmp_path, "unread", prompt_audio="audio/garbage.wav", prompt_sha256="x"),  # 5 unreadable
        _item(tmp_path, "empty-audio", prompt_audio="audio/empty.wav", prompt_sha256=sha256_file(audio / "empty.wav")),  # 6
        _item(tmp_path, "nan-audio", prompt_audio="audio/nan.wav", prompt_sha256=sha256_file(audio / "nan.wav")),  # 7
        _item(tmp_path, "no-text", text="   "),  # 8 empty text
        _item(tmp_path, "bad-lang", language="xx"),  # 9 unknown language
        _item(tmp_path, "escape", prompt_audio="../outside.flac"),  # 10 escapes folder
        _item(tmp_path, "sha", prompt_sha256="0" * 64),  # 11 checksum mismatch
        json.dumps({"id": "fields", "text": "x"}),  # 12 missing fields
    ]
    path = tmp_path / "m.jsonl"
    path.write_text("\n".join(lines) + "\n")
    problems = validate_manifest(path)
    by_line = {}
    for p in problems:
        by_line.setdefault(p.line, []).append(p.message)
    expect = {
        2: "unparsable",
        3: "duplicate id",
        4: "not found",
        5: "unreadable",
        6: "zero-length",
        7: "non-finite",
        8: "empty text",
        9: "unknown language",
        10: "escapes",
        11: "sha256 mismatch",
        12: "missing field",
    }
    for line, needle in expect.items():
        assert any(needle in msg for msg in by_line.get(line, [])), (line, needle, by_line.get(line))
    assert 1 not in by_line
    assert any("sidecar" in msg for msg in by_line[0])  # no sidecar was written

    proc = run_cli("validate", str(path), check=False)
    assert proc.returncode == 1
    for line in expect:
        assert f"line {line}" in proc.stdout


def test_sidecar_checksum_and_row_count_mismatch(tmp_path):
    shutil.copytree(DEMO, tmp_path / "demo")
    path = tmp_path / "demo" / "manifest.jsonl"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:-1]) + "\n")  # drop one item after sealing
    messages = [p.message for p in validate_manifest(path)]
    assert any("checksum mismatch" in m for m in messages)
    assert any("row count mismatch" in m for m in messages)
    assert run_cli("validate", str(path), "--seal").returncode == 0
    assert validate_manifest(path) == []


def test_item_rejects_unknown_fields():
    import pytest

    with pytest.raises(ValueError, match="unknown field"):
        Item.from_json(
            {
                "id": "a",
                "suite": "s",
                "subset": "s",
                "language": "en",
                "text": "t",
                "prompt_audio": "p",
                "prompt_sha256": "x",
                "colour": "red",
            }
        )
