"""Manifest builders and importers on synthetic stand-ins of each dataset's real on-disk layout."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.fakes.cli import REPO, read_jsonl
from tests.fakes.dataset_standins import (
    FLEURS_TEXT,
    FakeHub,
    clean_recipe,
    fleurs_text,
    itw_recipe,
    make_cv3,
    make_fleurs_r,
    make_seedtts,
    make_voxblink2,
    score_fn,
)
from ztts_eval.languages import LANGUAGES
from ztts_eval.pipeline.validate import validate_manifest
from ztts_eval.suites import BuildError, build_ztts1_clean, build_ztts1_itw, import_cv3, import_seedtts, load_recipe
from ztts_eval.suites.common import assign, rng_for
from ztts_eval.suites.voxblink2 import quality_bin

REV = "0123456789abcdef0123456789abcdef01234567"


def tree_bytes(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def fleurs(tmp_path_factory) -> Path:
    return make_fleurs_r(tmp_path_factory.mktemp("fleurs-r"))


# ------------------------------------------------------------------ ZTTS1-Clean (FLEURS-R)
def test_recipes_match_the_report():
    clean = load_recipe(REPO / "manifests" / "ztts1-clean.json")
    assert list(clean["locales"].values()) == ["en", "zh", "de", "es", "fr", "it", "ja", "ko", "ru"]
    assert clean["count_per_language"] == 500 and clean["prompt_duration_s"] == [3.0, 15.0]
    assert {k: v["language"] for k, v in clean["hard_subsets"].items()} == {"hard_en": "en", "hard_zh": "zh"}
    itw = load_recipe(REPO / "manifests" / "ztts1-itw.json")
    assert sum(itw["counts"].values()) == 1618 and len(itw["counts"]) == 17
    assert set(itw["counts"]) <= set(LANGUAGES) and itw["counts"]["en"] == 120 and itw["counts"]["th"] == 93


def test_clean_counts_pairing_and_validity(fleurs, tmp_path):
    recipe = clean_recipe()
    before = copy.deepcopy(recipe)
    res = build_ztts1_clean(fleurs, tmp_path / "out", recipe)
    assert recipe == before  # the builder never edits the caller's recipe
    assert res.counts == {"en": 5, "hard_en": 3, "zh": 5} and res.shortfall == {}
    assert validate_manifest(res.manifest) == []
    rows = read_jsonl(res.manifest)
    for row in rows:
        ex = row["extra"]
        assert ex["target_sentence_id"] != ex["prompt_sentence_id"]  # never the prompt's own sentence
        assert row["text"] == fleurs_text(ex["locale"], ex["target_sentence_id"]) != row["prompt_text"]
        assert "speaker_id" not in row  # FLEURS has no speaker ids: ground-truth similarity is "–"
        assert row["reference_audio"].startswith(f"audio/{row['language']}/") and ex["reference_file"].startswith(
            ("test_", "dev_")
        )
        assert ex["prompt_split"] == "test" and 1.0 <= ex["prompt_duration_s"] <= 3.0
    assert {r["subset"] for r in rows} == {"clean", "hard_en"}
    assert [r["id"] for r in rows][:2] == ["ztts1-clean-en-0001", "ztts1-clean-en-0002"]


def test_hard_rule_picks_digit_and_symbol_heavy_sentences(fleurs, tmp_path):
    rows = [r for r in read_jsonl(build_ztts1_clean(fleurs, tmp_path / "o", clean_recipe()).manifest) if r["subset"] == "hard_en"]
    assert {r["language"] for r in rows} == {"en"} and len(rows) == 3
    hard = [r for r in rows if r["extra"]["target_sentence_id"] == "3"]
    assert hard and hard[0]["text"] == FLEURS_TEXT["en_us"]["3"]
    assert all(r["extra"]["hard_rule"] == "fleurs-hard-v1" for r in rows)
    assert max(r["extra"]["hard_score"] for r in rows) == hard[0]["extra"]["hard_score"]
    assert len({r["extra"]["target_sentence_id"] for r in rows}) <= 2  # pool_size 2


def test_hard_subset_from_a_list_file(fleurs, tmp_path):
    lst = tmp_path / "hardcase.lst"
    lst.write_text("h1|p|p.wav|Peter Piper picked a peck.\nh2|p|p.wav|She sells sea shells.\n", encoding="utf-8")
    spec = {"language": "en", "count": 5, "source": "list", "list_file": str(lst), "list_format": "seedtts"}
    res = build_ztts1_clean(fleurs, tmp_path / "o", clean_recipe(hard_subsets={"hard_en": spec}))
    rows = [r for r in read_jsonl(res.manifest) if r["subset"] == "hard_en"]
    assert sorted(r["text"] for r in rows) == ["Peter Piper picked a peck.", "She sells sea shells."]
    assert all("reference_audio" not in r for r in rows)  # no real recording of a list text exists
    assert res.shortfall == {"hard_en": 3}


def test_dev_fallback_when_test_runs_short(fleurs, tmp_path):
    res = build_ztts1_clean(fleurs, tmp_path / "o", clean_recipe(count=10, hard_subsets={}))
    rows = read_jsonl(res.manifest)
    en = [r for r in rows if r["language"] == "en"]
    assert len(en) == 10 and sum(r["extra"]["prompt_split"] == "dev" for r in en) == 2  # 8 usable test prompts
    report = json.loads(res.report.read_text())
    assert report["fallback"]["en"] == {"dev": 2}
    res = build_ztts1_clean(fleurs, tmp_path / "o2", clean_recipe(count=20, hard_subsets={}))
    assert res.shortfall == {"en": 9, "zh": 9}  # 8 test + 3 dev prompts exist


def test_drop_report_lists_every_problem(fleurs, tmp_path):
    res = build_ztts1_clean(fleurs, tmp_path / "o", clean_recipe())
    report = json.loads(res.report.read_text())
    en = report["dropped_by_language"]["en"]
    assert en == {
        "audio_missing": 1,
        "audio_unreadable": 1,
        "prompt_duration_out_of_bounds": 1,
        "text_empty": 1,
        "tsv_malformed": 2,
    }
    ids = {(d["id"], d["reason"]) for d in report["dropped"]}
    assert ("en_us/test/test_6_0.wav", "audio_missing") in ids and ("en_us/test.tsv:13", "tsv_malformed") in ids
    assert report["dropped_total"] == len(res.dropped) == 12
    lock = json.loads(res.lock.read_text())
    assert lock["source"]["kind"] == "local" and set(lock["source"]["metadata"]["files"]) == {
        "en_us/test.tsv",
        "en_us/dev.tsv",
        "cmn_hans_cn/test.tsv",
        "cmn_hans_cn/dev.tsv",
    }
    assert [i["id"] for i in lock["items"]] == [r["id"] for r in read_jsonl(res.manifest)]


def test_clean_is_deterministic_and_archive_layout_matches(fleurs, tmp_path):
    a = build_ztts1_clean(fleurs, tmp_path / "a", clean_recipe())
    b = build_ztts1_clean(fleurs, tmp_path / "b", clean_recipe())
    assert tree_bytes(tmp_path / "a") == tree_bytes(tmp_path / "b")
    build_ztts1_clean(fleurs, tmp_path / "a", clean_recipe())  # rebuilding in place gives the same bytes
    assert tree_bytes(tmp_path / "a") == tree_bytes(tmp_path / "b")
    tar_src = make_fleurs_r(tmp_path / "tar-src", archive=True)
    c = build_ztts1_clean(tar_src, tmp_path / "c", clean_recipe())
    assert c.manifest.read_bytes() == a.manifest.read_bytes() == b.manifest.read_bytes()
    other = build_ztts1_clean(fleurs, tmp_path / "d", clean_recipe(seed=7))
    assert other.manifest.read_bytes() != a.manifest.read_bytes()


def test_hub_route_pins_revision_and_decodes_with_soundfile(fleurs, tmp_path):
    recipe = clean_recipe(hard_subsets={})
    hub = FakeHub(fleurs, recipe["dataset"]["hub_splits"])
    with pytest.raises(BuildError, match="pinned 40-hex commit"):
        build_ztts1_clean("google/fleurs-r", tmp_path / "x", recipe, load_dataset=hub)
    res = build_ztts1_clean(f"hf://google/fleurs-r@{REV}", tmp_path / "o", recipe, load_dataset=hub)
    assert {c["split"] for c in hub.calls} == {"test", "validation"} and {c["revision"] for c in hub.calls} == {REV}
    lock = json.loads(res.lock.read_text())
    assert lock["source"]["kind"] == "hub" and lock["source"]["revision"] == REV
    local = build_ztts1_clean(fleurs, tmp_path / "l", recipe)
    assert res.manifest.read_bytes() == local.manifest.read_bytes()
    assert validate_manifest(res.manifest) == []


def test_clean_errors_name_the_file(fleurs, tmp_path):
    with pytest.raises(BuildError, match="locale folder not found"):
        build_ztts1_clean(fleurs, tmp_path / "o", clean_recipe(locales={"de_de": "de"}, hard_subsets={}))
    broken = make_fleurs_r(tmp_path / "broken", locales=("en_us",))
    (broken / "data" / "en_us" / "dev.tsv").unlink()
    with pytest.raises(BuildError, match=r"dev\.tsv: FLEURS-R metadata not found"):
        build_ztts1_clean(broken, tmp_path / "o2", clean_recipe(locales={"en_us": "en"}))
    with pytest.raises(BuildError, match="not a FLEURS-R folder"):
        build_ztts1_clean(tmp_path / "nowhere", tmp_path / "o3", clean_recipe())
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "precious.txt").write_text("user data")
    with pytest.raises(BuildError, match="not an earlier build"):
        build_ztts1_clean(fleurs, tmp_path / "taken", clean_recipe())


# ------------------------------------------------------------------ ZTTS1-ITW (VoxBlink2)
@pytest.fixture(scope="module")
def voxblink(tmp_path_factory):
    root = tmp_path_factory.mktemp("voxblink2")
    scores = make_voxblink2(root / "meta", root / "audio", {"en": [1, 0, 5, 5, 5, 5, 5, 5, 5, 5], "de": [2] * 10, "fr": [0] * 10})
    return root, scores


def test_quality_bins_are_equal_width_and_clipped():
    assert [quality_bin(s, 1.0, 4.0, 10)[1] for s in (0.2, 1.0, 1.29, 1.3, 1.9, 2.5, 3.99, 4.0, 4.7)] == [
        0,
        0,
        0,
        1,
        3,
        5,
        9,
        9,
        9,
    ]
    assert quality_bin(0.2, 1.0, 4.0, 10)[0] == 1.0 and quality_bin(4.7, 1.0, 4.0, 10)[0] == 4.0


def test_itw_bins_counts_and_same_speaker_pairs(voxblink, tmp_path):
    root, scores = voxblink
    res = build_ztts1_itw(
        root / "meta",
        root / "audio",
        tmp_path / "o",
        itw_recipe({"en": 20, "de": 10}),
        score_fn(scores),
        score_name="stand-in-mos",
    )
    assert res.counts == {"de": 10, "en": 20} and res.shortfall == {}
    assert validate_manifest(res.manifest) == []
    report = json.loads(res.report.read_text())
    # en: bin 0 has one clip, bin 1 none; the 20 draws spread round-robin over the others
    assert report["bins"]["en"] == {"candidates": [1, 0, 5, 5, 5, 5, 5, 5, 5, 5], "selected": [1, 0, 3, 3, 3, 2, 2, 2, 2, 2]}
    assert report["bins"]["de"]["selected"] == [1] * 10
    rows = read_jsonl(res.manifest)
    for row in rows:
        ex = row["extra"]
        assert row["speaker_id"] == f"voxblink2:{ex['speaker']}" and ex["reference_utt"].startswith(ex["speaker"] + "/")
        assert ex["reference_utt"] != ex["prompt_utt"] and row["text"] != row["prompt_text"]
        assert row["utmos_bin"] == quality_bin(scores[ex["prompt_utt"].replace("/", "_")], 1.0, 4.0, 10)[1]
        assert ex["quality_model"] == "stand-in-mos" and ex["same_video"] is False
    assert len({r["extra"]["speaker"] for r in rows}) == len(rows)  # one prompt per speaker
    assert report["out_of_scope_languages"] == {"fr": 9, "vi": 1}  # languages the recipe did not ask for


def test_itw_redistributes_when_bins_are_sparse(voxblink, tmp_path):
    root, scores = voxblink
    res = build_ztts1_itw(root / "meta", root / "audio", tmp_path / "o", itw_recipe({"en": 60}), score_fn(scores))
    report = json.loads(res.report.read_text())
    assert report["bins"]["en"]["selected"] == [1, 0, 5, 5, 5, 5, 5, 5, 5, 5] and res.shortfall == {"en": 19}


def test_itw_caps_prompts_per_speaker(voxblink, tmp_path):
    root, scores = voxblink
    args = (root / "meta", root / "audio")
    one = build_ztts1_itw(*args, tmp_path / "a", itw_recipe({"fr": 3}), score_fn(scores))
    assert one.counts == {"fr": 1} and one.shortfall == {"fr": 2}
    two = build_ztts1_itw(*args, tmp_path / "b", itw_recipe({"fr": 3}, max_prompts_per_speaker=2), score_fn(scores))
    rows = read_jsonl(two.manifest)
    assert two.counts == {"fr": 2} and [r["utmos_bin"] for r in rows] == [2, 4]  # round-robin: lowest bins first
    assert all(r["extra"]["speaker"] == "fr_talkative" and r["extra"]["same_video"] is False for r in rows)


def test_itw_drop_report_and_determinism(voxblink, tmp_path):
    root, scores = voxblink
    args = (root / "meta", root / "audio")
    a = build_ztts1_itw(*args, tmp_path / "a", itw_recipe({"en": 20}), score_fn(scores))
    build_ztts1_itw(*args, tmp_path / "b", itw_recipe({"en": 20}), score_fn(scores))
    assert tree_bytes(tmp_path / "a") == tree_bytes(tmp_path / "b")
    c = build_ztts1_itw(*args, tmp_path / "c", itw_recipe({"en": 20}, seed=99), score_fn(scores))
    assert c.manifest.read_bytes() != a.manifest.read_bytes()
    report = json.loads(a.report.read_text())
    en = report["dropped_by_language"]["en"]
    assert en["audio_missing"] == 1 and en["no_second_utterance"] == 1 and en["score_failed"] == 1
    assert report["dropped_by_reason"]["metadata_malformed"] == 1
    failed = [d for d in report["dropped"] if d["reason"] == "score_failed"]
    assert failed[0]["id"] == "en_noscore/vidA/00001" and "scorer failed" in failed[0]["detail"]


def test_itw_errors_name_the_file(voxblink, tmp_path):
    root, scores = voxblink
    with pytest.raises(BuildError, match="utterances.jsonl: VoxBlink2 metadata not found"):
        build_ztts1_itw(tmp_path, root / "audio", tmp_path / "o", itw_recipe({"en": 1}), score_fn(scores))
    with pytest.raises(BuildError, match="audio folder not found"):
        build_ztts1_itw(root / "meta", tmp_path / "none", tmp_path / "o", itw_recipe({"en": 1}), score_fn(scores))
    with pytest.raises(BuildError, match="unknown language"):
        build_ztts1_itw(root / "meta", root / "audio", tmp_path / "o", itw_recipe({"xx": 1}), score_fn(scores))


# ------------------------------------------------------------------ importers
def test_seedtts_import(tmp_path):
    src = make_seedtts(tmp_path / "seedtts_testset")
    res = import_seedtts(src, tmp_path / "o")
    assert res.counts == {"en": 3, "hard_zh": 2, "zh": 2}
    assert validate_manifest(res.manifest) == []
    rows = {r["id"]: r for r in read_jsonl(res.manifest)}
    en = rows["seedtts-eval-en-cv_en_1"]
    assert en["text"] == "target text 1" and en["prompt_text"] == "prompt text 1"
    assert en["reference_audio"] == "audio/en/wavs/cv_en_1-gt.flac" and en["speaker_id"] == "seedtts:en:cv_en_1"
    hard = rows["seedtts-eval-hard_zh-hard_0"]
    assert hard["subset"] == "hard_zh" and hard["language"] == "zh" and "reference_audio" not in hard
    assert hard["prompt_audio"] == rows["seedtts-eval-zh-zh_0"]["prompt_audio"]  # shared prompt written once
    reasons = {d.reason for d in res.dropped}
    assert reasons == {"audio_missing", "malformed_line"}
    a, b = tree_bytes(tmp_path / "o"), tree_bytes(import_seedtts(src, tmp_path / "o2").manifest.parent)
    assert a == b
    with pytest.raises(BuildError, match="Seed-TTS-Eval list not found"):
        import_seedtts(src, tmp_path / "o3", lists=[("fr/meta.lst", "fr", "seedtts")])


def test_cv3_import(tmp_path):
    root = make_cv3(tmp_path / "CV3-Eval")
    res = import_cv3(root / "data" / "zero_shot", tmp_path / "o")
    assert res.counts == {"en": 3, "hard_en": 3, "zh": 3}
    assert validate_manifest(res.manifest) == []
    rows = {r["id"]: r for r in read_jsonl(res.manifest)}
    r = rows["cv3-eval-zh-uttid_2"]
    assert r["text"] == "zh target 2" and r["prompt_text"] == "zh prompt 2" and r["language"] == "zh"
    assert rows["cv3-eval-hard_en-uttid_1"]["subset"] == "hard_en" and rows["cv3-eval-en-uttid_1"]["subset"] == "cv3"
    assert [k for k in rows if k.startswith("cv3-eval-en-")] == [
        "cv3-eval-en-uttid_3",
        "cv3-eval-en-uttid_2",
        "cv3-eval-en-uttid_1",
    ]  # `text` order
    reasons = sorted((d.id, d.reason) for d in res.dropped if d.id.startswith("en/"))
    assert reasons == [("en/uttid_4", "missing_prompt_wav"), ("en/uttid_5", "missing_text")]
    (root / "data" / "zero_shot" / "zh" / "text").unlink()
    with pytest.raises(BuildError, match=r"zh/text: missing"):
        import_cv3(root / "data" / "zero_shot", tmp_path / "o2")


def test_assign_never_pairs_a_prompt_with_itself():
    for seed in range(20):
        pairs, unpaired = assign(list("abcd"), list("abcd"), rng_for(seed, "t"), lambda p, t: p == t, reuse=False)
        assert all(p != t for p, t in pairs) and len({t for _, t in pairs}) == len(pairs)
        assert len(pairs) + len(unpaired) == 4 and len(pairs) >= 3
    pairs, unpaired = assign(list("aaaa"), ["a", "b"], rng_for(0, "t"), lambda p, t: p == t, reuse=True)
    assert [t for _, t in pairs] == ["b"] * 4 and unpaired == []
    assert assign(["a"], ["a"], rng_for(0, "t"), lambda p, t: p == t, reuse=True) == ([], ["a"])


def test_bad_audio_never_reaches_a_manifest(tmp_path):
    src = make_seedtts(tmp_path / "s")
    nan = np.array([0.0, np.nan, 0.1] * 4000, dtype=np.float32)
    sf.write(src / "en" / "prompt-wavs" / "common_voice_en_0.wav", nan, 16000, subtype="FLOAT")
    with pytest.raises(BuildError, match="non-finite"):
        import_seedtts(src, tmp_path / "flac")
    with pytest.raises(BuildError, match="fails validation: .*non-finite"):
        import_seedtts(src, tmp_path / "copy", audio_format="copy")
