"""ZTTS1-ITW from VoxBlink2's release layout (meta/ timestamps + cropper output + transcript table)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.fakes.cli import read_jsonl
from tests.fakes.dataset_standins import itw_recipe, make_voxblink2, score_fn, write_timestamps
from ztts_eval.pipeline.validate import validate_manifest
from ztts_eval.suites import BuildError, build_ztts1_itw
from ztts_eval.suites.voxblink2 import quality_bin, read_timestamps


def tree_bytes(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def voxblink(tmp_path_factory):
    root = tmp_path_factory.mktemp("voxblink2")
    scores, roles = make_voxblink2(root, {"en": [1, 0, 5, 5, 5, 5, 5, 5, 5, 5], "de": [2] * 10, "fr": [0] * 10})
    return root, scores, roles


def args(root: Path) -> tuple[Path, Path, Path]:
    return root / "meta", root / "audio", root / "transcripts.tsv"


def test_timestamps_are_read_as_the_official_cropper_does(tmp_path):
    path = tmp_path / "id000001" / "DwgYRqnQZHM" / "00003.txt"
    write_timestamps(path, 250, 290, "id000001", "DwgYRqnQZHM")
    assert read_timestamps(path) == (10.0, 11.6)  # frames 250..290 at 25 frames/s
    path.write_text("Identity  : \tid000001\n\nFRAME\n", encoding="utf-8")
    with pytest.raises(ValueError, match="frames start on line 8"):
        read_timestamps(path)


def test_quality_bins_are_equal_width_and_clipped():
    scores = (0.2, 1.0, 1.29, 1.3, 1.9, 2.5, 3.99, 4.0, 4.7)
    assert [quality_bin(s, 1.0, 4.0, 10)[1] for s in scores] == [0, 0, 0, 1, 3, 5, 9, 9, 9]
    assert quality_bin(0.2, 1.0, 4.0, 10)[0] == 1.0 and quality_bin(4.7, 1.0, 4.0, 10)[0] == 4.0


def test_itw_bins_counts_and_same_speaker_pairs(voxblink, tmp_path):
    root, scores, _ = voxblink
    recipe = itw_recipe({"en": 20, "de": 10})
    res = build_ztts1_itw(*args(root), tmp_path / "o", recipe, score_fn(scores), score_name="stand-in-mos")
    assert res.counts == {"de": 10, "en": 20} and res.shortfall == {}
    assert validate_manifest(res.manifest) == []
    report = json.loads(res.report.read_text())
    # en: bin 0 has one clip, bin 1 none; the 20 draws spread round-robin over the others
    assert report["bins"]["en"] == {"candidates": [1, 0, 5, 5, 5, 5, 5, 5, 5, 5], "selected": [1, 0, 3, 3, 3, 2, 2, 2, 2, 2]}
    assert report["bins"]["de"]["selected"] == [1] * 10
    languages = dict(line.split("\t")[:2] for line in (root / "transcripts.tsv").read_text().splitlines()[1:] if "\t" in line)
    transcripts = dict(line.split("\t")[::2] for line in (root / "transcripts.tsv").read_text().splitlines()[1:] if "\t" in line)
    for row in read_jsonl(res.manifest):
        ex = row["extra"]
        spk, video, utt = ex["prompt_utt"].split("/")
        assert row["speaker_id"] == f"voxblink2:{spk}" and ex["reference_utt"].startswith(spk + "/") and ex["speaker"] == spk
        assert ex["reference_utt"] != ex["prompt_utt"] and row["text"] == transcripts[ex["reference_utt"]]
        assert row["prompt_text"] == transcripts[ex["prompt_utt"]] and ex["prompt_video"] == video
        assert ex["prompt_start"] == 250 * int(utt) / 25 and ex["prompt_end"] == (250 * int(utt) + 40) / 25  # 1.6 s
        assert row["utmos_bin"] == quality_bin(scores[ex["prompt_utt"]], 1.0, 4.0, 10)[1]
        assert ex["quality_model"] == "stand-in-mos" and ex["same_video"] is False
        assert (row["language"], row["subset"]) == (languages[ex["prompt_utt"]], "itw") == (languages[ex["reference_utt"]], "itw")
        for field, utt_id in (("prompt_audio", ex["prompt_utt"]), ("reference_audio", ex["reference_utt"])):
            a, b = (
                sf.read(str(res.manifest.parent / row[field]), dtype="int16")[0],
                sf.read(str(root / "audio" / f"{utt_id}.wav"), dtype="int16")[0],
            )
            assert np.array_equal(a, b)  # the cropper's file for that utterance, exported losslessly
    assert report["out_of_scope_languages"] == {"fr": 10, "vi": 1}  # languages the recipe did not ask for


def test_itw_redistributes_when_bins_are_sparse(voxblink, tmp_path):
    root, scores, _ = voxblink
    res = build_ztts1_itw(*args(root), tmp_path / "o", itw_recipe({"en": 60}), score_fn(scores))
    report = json.loads(res.report.read_text())
    assert report["bins"]["en"]["selected"] == [1, 0, 5, 5, 5, 5, 5, 5, 5, 5] and res.shortfall == {"en": 19}


def test_itw_caps_prompts_per_speaker(voxblink, tmp_path):
    root, scores, roles = voxblink
    one = build_ztts1_itw(*args(root), tmp_path / "a", itw_recipe({"fr": 3}), score_fn(scores))
    assert one.counts == {"fr": 1} and one.shortfall == {"fr": 2}
    two = build_ztts1_itw(*args(root), tmp_path / "b", itw_recipe({"fr": 3}, max_prompts_per_speaker=2), score_fn(scores))
    rows = read_jsonl(two.manifest)
    assert two.counts == {"fr": 2} and [r["utmos_bin"] for r in rows] == [2, 4]  # round-robin: lowest bins first
    assert all(r["extra"]["speaker"] == roles["fr_talkative"] and r["extra"]["same_video"] is False for r in rows)


def test_itw_drop_report_and_determinism(voxblink, tmp_path):
    root, scores, roles = voxblink
    a = build_ztts1_itw(*args(root), tmp_path / "a", itw_recipe({"en": 20}), score_fn(scores))
    build_ztts1_itw(*args(root), tmp_path / "b", itw_recipe({"en": 20}), score_fn(scores))
    assert tree_bytes(tmp_path / "a") == tree_bytes(tmp_path / "b")
    c = build_ztts1_itw(*args(root), tmp_path / "c", itw_recipe({"en": 20}, seed=99), score_fn(scores))
    assert c.manifest.read_bytes() != a.manifest.read_bytes()
    report = json.loads(a.report.read_text())
    en = report["dropped_by_language"]["en"]
    assert en == {
        "audio_missing": 1,
        "timestamps_missing": 1,
        "no_second_utterance": 1,
        "score_failed": 1,
        "prompt_duration_out_of_bounds": 43,
    }
    assert report["dropped_by_reason"]["transcript_malformed"] == 1
    dropped = {d["reason"]: d for d in report["dropped"]}
    assert dropped["score_failed"]["id"] == f"{roles['en_noscore']}/DwgYRqnQZHM/00001"
    assert "scorer failed" in dropped["score_failed"]["detail"]
    assert dropped["timestamps_missing"]["id"] == f"{roles['en_ghost']}/DwgYRqnQZHM/00003"


def test_itw_errors_name_the_file(voxblink, tmp_path):
    root, scores, _ = voxblink
    meta, audio, table = args(root)
    with pytest.raises(BuildError, match="meta/ folder not found"):
        build_ztts1_itw(tmp_path / "none", audio, table, tmp_path / "o", itw_recipe({"en": 1}), score_fn(scores))
    with pytest.raises(BuildError, match="audio folder not found"):
        build_ztts1_itw(meta, tmp_path / "none", table, tmp_path / "o", itw_recipe({"en": 1}), score_fn(scores))
    with pytest.raises(BuildError, match="transcript table not found"):
        build_ztts1_itw(meta, audio, tmp_path / "none.tsv", tmp_path / "o", itw_recipe({"en": 1}), score_fn(scores))
    headless = tmp_path / "headless.tsv"
    headless.write_text("id000001/DwgYRqnQZHM/00001\ten\thello\n", encoding="utf-8")
    with pytest.raises(BuildError, match="header 'utt\\\\tlanguage\\\\ttext'"):
        build_ztts1_itw(meta, audio, headless, tmp_path / "o", itw_recipe({"en": 1}), score_fn(scores))
    with pytest.raises(BuildError, match="unknown language"):
        build_ztts1_itw(meta, audio, table, tmp_path / "o", itw_recipe({"xx": 1}), score_fn(scores))
