"""Seed-TTS-Eval and CV3-Eval importers on stand-ins laid out exactly as the releases ship them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.fakes.cli import read_jsonl
from tests.fakes.dataset_standins import EN_UTTS, ZH_UTTS, make_cv3, make_seedtts, tone
from ztts_eval.pipeline.validate import validate_manifest
from ztts_eval.suites import BuildError, import_cv3, import_seedtts


def tree_bytes(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def same_audio(exported: Path, source: Path) -> bool:
    a, sr_a = sf.read(str(exported), dtype="int16")
    b, sr_b = sf.read(str(source), dtype="int16")
    return sr_a == sr_b and np.array_equal(a, b)


# ------------------------------------------------------------------ Seed-TTS-Eval
def test_seedtts_real_layout_keeps_every_field_and_the_wavs_reference(tmp_path):
    src = make_seedtts(tmp_path / "seedtts_testset")
    res = import_seedtts(src, tmp_path / "o")
    assert res.counts == {"en": 3, "hard_zh": 2, "zh": 2} and validate_manifest(res.manifest) == []
    rows = {r["id"]: r for r in read_jsonl(res.manifest)}
    out = res.manifest.parent
    expected = {}
    for i, (p, t) in enumerate(EN_UTTS):
        expected[f"seedtts-eval-en-{p}-{t}"] = (
            "en",
            "seedtts",
            f"target text {i}",
            f"prompt text {i}",
            f"en/prompt-wavs/{p}.wav",
            f"en/wavs/{p}-{t}.wav",
        )
    expected["seedtts-eval-en-common_voice_en_2000-common_voice_en_2001"] = (
        "en", "seedtts", "target text 2", "prompt text 2", "en/prompt-wavs/common_voice_en_2000.wav", None,
    )  # fmt: skip
    for i, (spk, p, t) in enumerate(ZH_UTTS):
        prompt = f"zh/prompt-wavs/{spk}-{p}.wav"
        expected[f"seedtts-eval-zh-{spk}-{t}"] = (
            "zh",
            "seedtts",
            f"目标文本{i}",
            f"提示文本{i}",
            prompt,
            f"zh/wavs/{spk}-{t}.wav",
        )
        expected[f"seedtts-eval-hard_zh-{spk}-9{i:07d}"] = ("zh", "hard_zh", f"八百标兵奔北坡{i}", f"提示文本{i}", prompt, None)
    assert set(rows) == set(expected)
    for item_id, (lang, subset, text, prompt_text, prompt, ref) in expected.items():
        row = rows[item_id]
        assert (row["language"], row["subset"], row["text"], row["prompt_text"]) == (lang, subset, text, prompt_text)
        assert row["prompt_audio"] == "audio/" + prompt.replace(".wav", ".flac") and same_audio(
            out / row["prompt_audio"], src / prompt
        )
        if ref is None:
            assert "reference_audio" not in row and "speaker_id" not in row
        else:
            assert row["reference_audio"] == "audio/" + ref.replace(".wav", ".flac") and same_audio(
                out / row["reference_audio"], src / ref
            )
            assert row["speaker_id"] == f"seedtts:{lang}:{row['extra']['seedtts_utt']}"
        assert item_id.endswith("-" + row["extra"]["seedtts_utt"])  # the upstream utterance id is kept
    report = json.loads(res.report.read_text())
    assert report["lines"] == {
        "en/meta.lst": {"lines": 5, "blank": 0, "imported": 3, "with_reference": 2, "without_reference": 1, "dropped": 2},
        "zh/meta.lst": {"lines": 2, "blank": 0, "imported": 2, "with_reference": 2, "without_reference": 0, "dropped": 0},
        "zh/hardcase.lst": {"lines": 2, "blank": 0, "imported": 2, "with_reference": 0, "without_reference": 2, "dropped": 0},
    }
    assert report["dropped_by_reason"] == {"audio_missing": 1, "malformed_line": 1, "reference_audio_missing": 3}
    assert tree_bytes(res.manifest.parent) == tree_bytes(import_seedtts(src, tmp_path / "o2").manifest.parent)
    with pytest.raises(BuildError, match="Seed-TTS-Eval list not found"):
        import_seedtts(src, tmp_path / "o3", lists=[("fr/meta.lst", "fr", "seedtts")])


def test_seedtts_fifth_field_names_the_reference(tmp_path):
    """The README's optional 5th field ("the ground truth counterpart … if exists") wins over wavs/<utt>.wav."""
    src = make_seedtts(tmp_path / "seedtts_testset")
    (p, t) = EN_UTTS[0]
    tone(src / "en" / "gt" / "other.wav", 0.9, 330)
    (src / "en" / "meta.lst").write_text(f"{p}-{t}|prompt text|prompt-wavs/{p}.wav|target text|gt/other.wav\n", encoding="utf-8")
    res = import_seedtts(src, tmp_path / "o", lists=[("en/meta.lst", "en", "seedtts")])
    (row,) = read_jsonl(res.manifest)
    assert row["reference_audio"] == "audio/en/gt/other.flac" and row["extra"]["seedtts_fields"] == 5
    assert same_audio(res.manifest.parent / row["reference_audio"], src / "en" / "gt" / "other.wav")


def test_ground_truth_run_on_imported_seedtts_has_its_references(tmp_path):
    from ztts_eval.pipeline.runner import RunConfig, run_evaluation

    res = import_seedtts(make_seedtts(tmp_path / "seedtts_testset"), tmp_path / "suite")
    cfg = RunConfig(
        model="ground-truth", suite=str(res.manifest), metrics=["f0_pyworld", "f0_dist_pyworld"], results_dir=tmp_path / "r"
    )
    outcome = run_evaluation(cfg)
    rows = {r["item_id"]: r for r in read_jsonl(outcome.paths.samples)}
    with_ref = {r["id"] for r in read_jsonl(res.manifest) if "reference_audio" in r}
    assert len(with_ref) == 4 and {i for i, r in rows.items() if r["status"] == "ok"} == with_ref
    assert {r["status"] for i, r in rows.items() if i not in with_ref} == {"unavailable"}
    groups = {g["label"]: g for g in outcome.summary}
    for label in ("en", "zh"):  # the whole-set metric is covered: the suite has real recordings
        assert groups[label]["columns"]["f0_w1_pyworld"]["value"] is not None


def test_bad_audio_never_reaches_a_manifest(tmp_path):
    src = make_seedtts(tmp_path / "s")
    nan = np.array([0.0, np.nan, 0.1] * 4000, dtype=np.float32)
    sf.write(src / "en" / "prompt-wavs" / f"{EN_UTTS[0][0]}.wav", nan, 16000, subtype="FLOAT")
    with pytest.raises(BuildError, match="non-finite"):
        import_seedtts(src, tmp_path / "flac")
    with pytest.raises(BuildError, match="fails validation: .*non-finite"):
        import_seedtts(src, tmp_path / "copy", audio_format="copy")


# ------------------------------------------------------------------ CV3-Eval
@pytest.fixture(scope="module")
def cv3(tmp_path_factory) -> Path:
    return make_cv3(tmp_path_factory.mktemp("cv3") / "CV3-Eval")


def test_cv3_ids_do_not_depend_on_the_folder_passed(cv3, tmp_path):
    a = import_cv3(cv3 / "data" / "zero_shot", tmp_path / "a")
    b = import_cv3(cv3 / "data", tmp_path / "b")
    c = import_cv3(cv3, tmp_path / "c")
    ids_a = [r["id"] for r in read_jsonl(a.manifest)]
    assert ids_a[:3] == ["cv3-eval-zero_shot-en-uttid_3", "cv3-eval-zero_shot-en-uttid_2", "cv3-eval-zero_shot-en-uttid_1"]
    zero_shot = {r["id"]: r for r in read_jsonl(b.manifest) if r["extra"]["cv3_task"].startswith("zero_shot/")}
    assert list(zero_shot) == ids_a and [r["id"] for r in read_jsonl(c.manifest)] == [r["id"] for r in read_jsonl(b.manifest)]
    assert a.manifest.read_text() == "".join(line + "\n" for line in b.manifest.read_text().splitlines() if "zero_shot-" in line)
    shutil.copytree(cv3, tmp_path / "data" / "CV3-Eval")  # a checkout at /data/CV3-Eval: an outer "data" folder
    d = import_cv3(tmp_path / "data" / "CV3-Eval", tmp_path / "d")
    assert d.manifest.read_bytes() == b.manifest.read_bytes()
    shutil.copytree(cv3 / "data" / "zero_shot", tmp_path / "elsewhere" / "zero_shot")  # one family copied out
    e = import_cv3(tmp_path / "elsewhere" / "zero_shot", tmp_path / "e")
    assert [r["id"] for r in read_jsonl(e.manifest)] == ids_a


def cv3_expected() -> dict[str, tuple]:
    """id -> (language, subset, text, prompt_text, prompt file, reference file or None), from make_cv3's rules."""
    out = {}
    for lang in ("en", "zh", "hard_en"):
        for i in (1, 2, 3):
            subset = lang if lang.startswith("hard_") else "zero_shot"
            prompt = f"data/zero_shot/{lang}/waveform/prompt_audio_{i}.wav"
            out[f"cv3-eval-zero_shot-{lang}-uttid_{i}"] = (
                lang.removeprefix("hard_"),
                subset,
                f"{lang} target {i}",
                f"{lang} prompt {i}",
                prompt,
                None,
            )
    for emotion in ("angry", "happy"):
        for i in (1, 26):
            prompt = f"data/emotion_zeroshot/en/{emotion}/waveform/prompt_audio_{i}.wav"
            out[f"cv3-eval-emotion_zeroshot-en-{emotion}-uttid_{i}"] = (
                "en", "emotion_zeroshot", f"{emotion} target {i}", f"{emotion} prompt {i}", prompt, None,
            )  # fmt: skip
    for i in (1, 2):
        wave = "data/subjective_continue/emotion/en/waveform"
        out[f"cv3-eval-subjective_continue-emotion-en-en_{i}"] = (
            "en", "subjective_continue", f"continue target {i}", f"continue prompt {i}", f"{wave}/prompt_audio_{i}.wav",
            f"{wave}/groundtruth_audio_{i}.wav",
        )  # fmt: skip
    return out


def test_cv3_items_keep_task_language_prompt_and_subset(cv3, tmp_path):
    res = import_cv3(cv3 / "data", tmp_path / "o")
    assert validate_manifest(res.manifest) == []
    rows = {r["id"]: r for r in read_jsonl(res.manifest)}
    out = res.manifest.parent
    assert set(rows) == set(cv3_expected())
    for item_id, (lang, subset, text, prompt_text, prompt, ref) in cv3_expected().items():
        row = rows[item_id]
        assert (row["language"], row["subset"], row["text"], row["prompt_text"]) == (lang, subset, text, prompt_text)
        assert same_audio(out / row["prompt_audio"], cv3 / prompt)
        assert (ref is None and "reference_audio" not in row) or same_audio(out / row["reference_audio"], cv3 / ref)
    r = rows["cv3-eval-zero_shot-zh-uttid_2"]
    assert r["prompt_audio"] == "audio/data/zero_shot/zh/waveform/prompt_audio_2.flac"  # the double slash normalised
    hard = rows["cv3-eval-zero_shot-hard_en-uttid_1"]
    assert (hard["subset"], hard["language"], hard["text"]) == ("hard_en", "en", "hard_en target 1")
    for emotion in ("angry", "happy"):
        for i, level in ((1, "high"), (26, "low")):
            e = rows[f"cv3-eval-emotion_zeroshot-en-{emotion}-uttid_{i}"]
            assert (e["subset"], e["language"], e["text"], e["prompt_text"]) == (
                "emotion_zeroshot",
                "en",
                f"{emotion} target {i}",
                f"{emotion} prompt {i}",
            )
            assert (e["extra"]["cv3_emotion"], e["extra"]["cv3_intensity"]) == (emotion, level)
    assert not any("-emotion_zeroshot-en-angry_high" in k for k in rows)  # the concatenating parent is not a task
    reasons = sorted((d.id, d.reason) for d in res.dropped if d.id.startswith("zero_shot/en/"))
    assert reasons == [("zero_shot/en/uttid_4", "missing_prompt_wav"), ("zero_shot/en/uttid_5", "missing_text")]


def test_cv3_continuation_lists_resolve_to_the_folder_that_exists(cv3, tmp_path):
    res = import_cv3(cv3 / "data" / "subjective_continue", tmp_path / "o")
    rows = read_jsonl(res.manifest)
    assert [r["id"] for r in rows] == [
        "cv3-eval-subjective_continue-emotion-en-en_1",
        "cv3-eval-subjective_continue-emotion-en-en_2",
    ]
    for i, r in enumerate(rows, start=1):
        assert (r["language"], r["subset"], r["text"], r["extra"]["cv3_style"]) == (
            "en",
            "subjective_continue",
            f"continue target {i}",
            "emotion",
        )
        leaf = cv3 / "data/subjective_continue/emotion/en/waveform"
        assert same_audio(res.manifest.parent / r["prompt_audio"], leaf / f"prompt_audio_{i}.wav")
        assert same_audio(res.manifest.parent / r["reference_audio"], leaf / f"groundtruth_audio_{i}.wav")
        assert r["speaker_id"] == f"cv3:subjective_continue/emotion/en:en_{i}"
    report = json.loads(res.report.read_text())
    assert report["path_remaps"] == [
        {"declared": "data/subjective_zeroshot_continue/emotion/en", "found": "data/subjective_continue/emotion/en", "files": 4}
    ]
    assert report["dropped_total"] == 0


def test_cv3_drop_report_is_written_when_nothing_survives(cv3, tmp_path):
    broken = tmp_path / "CV3-Eval"
    leaf = broken / "data" / "zero_shot" / "en"
    leaf.mkdir(parents=True)
    for name in ("prompt_wav.scp", "prompt_text", "text"):
        (leaf / name).write_text((cv3 / "data/zero_shot/en" / name).read_text(), encoding="utf-8")  # lists without audio
    with pytest.raises(
        BuildError, match=r"no items could be built \(audio_missing 3, missing_prompt_wav 1, missing_text 1"
    ) as err:
        import_cv3(broken, tmp_path / "o")
    report = json.loads((tmp_path / "o" / "build_report.json").read_text())
    assert str(tmp_path / "o" / "build_report.json") in str(err.value) and report["dropped_total"] == 5
    (cv3 / "data" / "zero_shot" / "zh" / "text").rename(cv3 / "data" / "zero_shot" / "zh" / "text.bak")
    try:
        with pytest.raises(BuildError, match=r"zh/text: missing"):
            import_cv3(cv3 / "data" / "zero_shot", tmp_path / "o2")
    finally:
        (cv3 / "data" / "zero_shot" / "zh" / "text.bak").rename(cv3 / "data" / "zero_shot" / "zh" / "text")
