"""ZTTS1-Clean from FLEURS-R (local copy and hub snapshot) on a stand-in in the release's real layout."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.fakes.cli import REPO, read_jsonl
from tests.fakes.dataset_standins import (
    FLEURS_R_COMMIT,
    FLEURS_TEXT,
    FakeSnapshot,
    clean_recipe,
    fleurs_file,
    fleurs_rows,
    fleurs_text,
    make_fleurs_r,
)
from ztts_eval.languages import LANGUAGES
from ztts_eval.pipeline.validate import validate_manifest
from ztts_eval.suites import BuildError, build_ztts1_clean, load_recipe
from ztts_eval.suites.common import assign, rng_for


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


def same_audio(exported: Path, source: Path) -> bool:
    a, sr_a = sf.read(str(exported), dtype="int16")
    b, sr_b = sf.read(str(source), dtype="int16")
    return sr_a == sr_b and np.array_equal(a, b)


def test_clean_counts_pairing_and_validity(fleurs, tmp_path):
    unpacked = make_fleurs_r(tmp_path / "unpacked", unpacked=True)
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
        assert row["reference_audio"].startswith(f"audio/{row['language']}/")
        assert ex["reference_file"] in {name for split in ("test", "dev") for _, name, _ in fleurs_rows(split)}
        assert ex["prompt_split"] == "test" and 1.0 <= ex["prompt_duration_s"] <= 3.0
        assert row["language"] == {"en_us": "en", "cmn_hans_cn": "zh"}[ex["locale"]]
        sources = unpacked / "data" / ex["locale"] / "audio"  # same generator, archives left extracted
        assert same_audio(res.manifest.parent / row["prompt_audio"], sources / "test" / ex["prompt_file"])
        assert same_audio(res.manifest.parent / row["reference_audio"], sources / ex["reference_split"] / ex["reference_file"])
        assert row["prompt_text"] == fleurs_text(ex["locale"], ex["prompt_sentence_id"])
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
    assert (f"en_us/test/{fleurs_file('test', '6', 0)}", "audio_missing") in ids and ("en_us/test.tsv:13", "tsv_malformed") in ids
    assert report["dropped_total"] == len(res.dropped) == 12
    lock = json.loads(res.lock.read_text())
    assert lock["source"]["kind"] == "local" and set(lock["source"]["metadata"]["files"]) == {
        f"{loc}/{name}"
        for loc in ("en_us", "cmn_hans_cn")
        for sp in ("test", "dev")
        for name in (f"{sp}.tsv", f"audio/{sp}.tar.gz")
    }
    assert [i["id"] for i in lock["items"]] == [r["id"] for r in read_jsonl(res.manifest)]


def test_clean_is_deterministic_and_unpacked_layout_matches(fleurs, tmp_path):
    a = build_ztts1_clean(fleurs, tmp_path / "a", clean_recipe())
    b = build_ztts1_clean(fleurs, tmp_path / "b", clean_recipe())
    assert tree_bytes(tmp_path / "a") == tree_bytes(tmp_path / "b")
    build_ztts1_clean(fleurs, tmp_path / "a", clean_recipe())  # rebuilding in place gives the same bytes
    assert tree_bytes(tmp_path / "a") == tree_bytes(tmp_path / "b")
    unpacked = make_fleurs_r(tmp_path / "unpacked-src", unpacked=True)  # archives extracted by the user
    c = build_ztts1_clean(unpacked, tmp_path / "c", clean_recipe())
    assert c.manifest.read_bytes() == a.manifest.read_bytes() == b.manifest.read_bytes()
    other = build_ztts1_clean(fleurs, tmp_path / "d", clean_recipe(seed=7))
    assert other.manifest.read_bytes() != a.manifest.read_bytes()


def test_recipe_pins_the_fleurs_r_commit():
    assert load_recipe(REPO / "manifests" / "ztts1-clean.json")["dataset"]["revision"] == FLEURS_R_COMMIT


def test_hub_route_downloads_only_the_needed_files_at_the_pinned_commit(fleurs, tmp_path):
    recipe = clean_recipe(hard_subsets={})
    hub = FakeSnapshot(fleurs, tmp_path / "hf-cache")
    res = build_ztts1_clean("hf://google/fleurs-r", tmp_path / "o", recipe, snapshot_download=hub)  # recipe's commit
    assert [(c["repo_id"], c["repo_type"], c["revision"]) for c in hub.calls] == [("google/fleurs-r", "dataset", FLEURS_R_COMMIT)]
    assert sorted(hub.copied) == sorted(
        f"data/{loc}/{name}"
        for loc in ("en_us", "cmn_hans_cn")
        for sp in ("test", "dev")
        for name in (f"{sp}.tsv", f"audio/{sp}.tar.gz")
    )
    lock = json.loads(res.lock.read_text())
    assert lock["source"]["kind"] == "hub" and lock["source"]["revision"] == FLEURS_R_COMMIT
    local = build_ztts1_clean(fleurs, tmp_path / "l", recipe)
    assert res.manifest.read_bytes() == local.manifest.read_bytes()  # one reader for both routes
    assert validate_manifest(res.manifest) == []
    with pytest.raises(BuildError, match="pinned 40-hex commit"):
        build_ztts1_clean("hf://google/fleurs-r@main", tmp_path / "x", recipe, snapshot_download=hub)
    with pytest.raises(BuildError, match=r"google/fleurs-r@0{40}: download failed .*Revision Not Found"):
        build_ztts1_clean("hf://google/fleurs-r@" + "0" * 40, tmp_path / "y", recipe, snapshot_download=hub)
    assert not (tmp_path / "y").exists()  # nothing written when the source cannot be fetched


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


def test_assign_never_pairs_a_prompt_with_itself():
    for seed in range(20):
        pairs, unpaired = assign(list("abcd"), list("abcd"), rng_for(seed, "t"), lambda p, t: p == t, reuse=False)
        assert all(p != t for p, t in pairs) and len({t for _, t in pairs}) == len(pairs)
        assert len(pairs) + len(unpaired) == 4 and len(pairs) >= 3
    pairs, unpaired = assign(list("aaaa"), ["a", "b"], rng_for(0, "t"), lambda p, t: p == t, reuse=True)
    assert [t for _, t in pairs] == ["b"] * 4 and unpaired == []
    assert assign(["a"], ["a"], rng_for(0, "t"), lambda p, t: p == t, reuse=True) == ([], ["a"])
