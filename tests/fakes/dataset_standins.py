"""Synthetic stand-ins for the builders' sources, each in the real dataset's on-disk schema.

No real dataset is downloaded in tests: these write short PCM16 tones plus metadata laid out like
FLEURS-R (`data/{locale}/{split}.tsv` with the 7 FLEURS columns, audio folder or tar.gz), the
documented VoxBlink2 `utterances.jsonl` layout, a Seed-TTS-Eval folder (`meta.lst`/`hardcase.lst`)
and a CV3-Eval checkout (`data/zero_shot/{lang}/` Kaldi files, scp paths relative to its root).
Each also seeds the broken rows a real download has (missing, unreadable, malformed), so the
drop reports are exercised.
"""

from __future__ import annotations

import json
import tarfile
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from tests.fakes.cli import REPO
from ztts_eval.suites import load_recipe

SR = 16000


def tone(path: Path, seconds: float, freq: float = 220.0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(round(seconds * SR))) / SR
    sf.write(str(path), (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32), SR, subtype="PCM_16")
    return path


# ---------------------------------------------------------------- FLEURS-R
FLEURS_TEXT = {
    "en_us": {"3": "In 2019, 45% of NASA's $1.2 billion budget went to the ISS & the JWST."},
    "cmn_hans_cn": {"3": "2019年，NASA把45%的预算（约12亿美元）用于ISS。"},
}


def fleurs_text(locale: str, sid: str) -> str:
    if sid in FLEURS_TEXT.get(locale, {}):
        return FLEURS_TEXT[locale][sid]
    return f"这是第{sid}个句子。" if locale.startswith("cmn") else f"This is sentence number {sid} of the set."


def fleurs_rows(split: str) -> list[tuple[str, str, float]]:
    """(sentence id, file name, seconds): test has 4 sentences × 2 in-bounds recordings, one long one."""
    if split == "test":
        rows = [(sid, f"test_{sid}_{k}.wav", 1.5 + 0.25 * k) for sid in ("1", "2", "3", "4") for k in (0, 1)]
        return rows + [("5", "test_5_0.wav", 4.0)]
    return [(sid, f"dev_{sid}_0.wav", 1.2) for sid in ("11", "12", "13")]


def make_fleurs_r(root: Path, locales: tuple[str, ...] = ("en_us", "cmn_hans_cn"), archive: bool = False) -> Path:
    """A FLEURS-R download: clean rows plus a missing file, an unreadable file, an empty text and a bad line."""
    for locale in locales:
        for split in ("test", "dev"):
            audio = root / "data" / locale / "audio" / split
            lines = []
            for i, (sid, name, secs) in enumerate(fleurs_rows(split)):
                tone(audio / name, secs, 180.0 + 10 * i)
                text = fleurs_text(locale, sid)
                lines.append(
                    [
                        sid,
                        name,
                        text,
                        text.lower(),
                        "|".join(text.lower().split()),
                        str(int(secs * SR)),
                        "FEMALE" if i % 2 else "MALE",
                    ]
                )
            if split == "test":
                (audio / "test_7_0.wav").write_bytes(b"definitely not audio")
                tone(audio / "test_8_0.wav", 1.5)
                lines += [
                    ["6", "test_6_0.wav", "A sentence whose audio is missing.", "x", "x", "1", "MALE"],
                    ["7", "test_7_0.wav", "A sentence whose audio is broken.", "x", "x", "1", "MALE"],
                    ["8", "test_8_0.wav", "", "", "", "1", "MALE"],
                ]
            text = "".join("\t".join(cols) + "\n" for cols in lines) + "not a fleurs row\n"
            (root / "data" / locale / f"{split}.tsv").write_text(text, encoding="utf-8")
            if archive:
                with tarfile.open(audio.parent / f"{split}.tar.gz", "w:gz") as tar:
                    for f in sorted(audio.iterdir()):
                        tar.add(f, arcname=f"{split}/{f.name}")
                for f in audio.iterdir():
                    f.unlink()
                audio.rmdir()
    return root


class FakeHub:
    """`datasets.load_dataset` stand-in serving a stand-in folder as hub rows (Audio(decode=False) schema)."""

    def __init__(self, root: Path, split_names: dict[str, str]) -> None:
        self.root, self.local = root / "data", {v: k for k, v in split_names.items()}
        self.calls: list[dict[str, Any]] = []

    def __call__(self, dataset_id: str, locale: str, split: str, revision: str, **kwargs: Any) -> HubRows:
        self.calls.append({"id": dataset_id, "locale": locale, "split": split, "revision": revision, **kwargs})
        local = self.local.get(split, split)
        rows = []
        for line in (self.root / locale / f"{local}.tsv").read_text(encoding="utf-8").splitlines():
            cols = line.split("\t")
            if len(cols) < 7:
                continue
            path = self.root / locale / "audio" / local / cols[1]
            data = path.read_bytes() if path.is_file() else None
            rows.append(
                {
                    "id": int(cols[0]),
                    "path": cols[1],
                    "audio": {"bytes": data, "path": cols[1]},
                    "raw_transcription": cols[2],
                    "transcription": cols[3],
                    "num_samples": int(cols[5]),
                    "gender": 1 if cols[6] == "FEMALE" else 0,
                }
            )
        return HubRows(rows)


class ClassLabel:
    """The slice of `datasets.ClassLabel` the builder uses: FLEURS stores gender as a label id."""

    names = ["male", "female", "other"]

    def int2str(self, value: int) -> str:
        return self.names[value]


class HubRows(list):
    """Rows plus `features`, like a `datasets.Dataset` after `cast_column(..., Audio(decode=False))`."""

    features = {"gender": ClassLabel()}


# ---------------------------------------------------------------- VoxBlink2
def bin_center(b: int) -> float:
    return round(1.0 + 0.3 * b + 0.15, 4)


def make_voxblink2(meta_dir: Path, audio_dir: Path, bins_by_lang: dict[str, list[int]]) -> dict[str, float]:
    """Speakers per (language, bin): each has one prompt-length clip scored in that bin and one short
    clip (reference only). Plus: a single-utterance speaker, a missing file, a bad JSON line, an
    out-of-scope language and a clip whose scoring fails. Returns score by file name."""
    scores: dict[str, float] = {}
    lines: list[str] = []

    def utt(lang: str, spk: str, idx: int, secs: float, score: float, video: str, text: str, write: bool = True) -> None:
        rel = f"{spk}/{video}/{idx:05d}.wav"
        if write:
            tone(audio_dir / rel, secs, 150.0 + 7 * (idx + len(spk)))
        scores[f"{spk}_{video}_{idx:05d}"] = score
        lines.append(
            json.dumps(
                {
                    "utt_id": f"{spk}/{video}/{idx:05d}",
                    "speaker": spk,
                    "video": video,
                    "start": 10.0 * idx,
                    "end": 10.0 * idx + secs,
                    "language": lang,
                    "text": text,
                    "audio": rel,
                },
                ensure_ascii=False,
            )
        )

    for lang, capacities in bins_by_lang.items():
        for b, n in enumerate(capacities):
            for s in range(n):
                spk = f"{lang}_b{b}_s{s}"
                utt(lang, spk, 1, 1.6, bin_center(b), "vidA", f"{lang} prompt words of {spk}")
                utt(lang, spk, 2, 0.8, 3.9, "vidB", f"{lang} reference words of {spk}")
        utt(lang, f"{lang}_lonely", 1, 1.6, 2.0, "vidA", "only one clip")
        utt(lang, f"{lang}_ghost", 1, 1.6, 2.0, "vidA", "file never downloaded", write=False)
        utt(lang, f"{lang}_ghost", 2, 0.8, 2.0, "vidA", "second clip of the ghost")
        utt(lang, f"{lang}_noscore", 1, 1.6, float("nan"), "vidA", "the scorer fails on this one")
        utt(lang, f"{lang}_noscore", 2, 0.8, 2.0, "vidB", "reference of the unscorable speaker")
    if "fr" in bins_by_lang:  # one talkative speaker with four prompt-length clips in four bins
        for idx, b in enumerate((2, 4, 6, 8), start=3):
            utt("fr", "fr_talkative", idx, 1.6, bin_center(b), f"vid{idx}", f"talkative clip {idx}")
    utt("vi", "vi_speaker", 1, 1.6, 2.0, "vidA", "xin chào")
    lines.append("{this is not json")
    meta_dir.mkdir(parents=True, exist_ok=True)
    (meta_dir / "utterances.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return scores


def score_fn(scores: dict[str, float]):
    """Deterministic stand-in for a MOS predictor: looks the clip up; raises for the NaN-marked one."""

    def score(path: Path) -> float:
        key = f"{path.parent.parent.name}_{path.parent.name}_{path.stem}"
        if scores[key] != scores[key]:
            raise RuntimeError("scorer failed")
        return scores[key]

    return score


# ---------------------------------------------------------------- Seed-TTS-Eval
def make_seedtts(root: Path) -> Path:
    en, zh = root / "en", root / "zh"
    for i in range(3):
        tone(en / "prompt-wavs" / f"common_voice_en_{i}.wav", 1.5, 200 + i)
        tone(en / "wavs" / f"cv_en_{i}-gt.wav", 1.2, 210 + i)
    en_lines = [
        f"cv_en_{i}|prompt text {i}|prompt-wavs/common_voice_en_{i}.wav|target text {i}|wavs/cv_en_{i}-gt.wav" for i in range(3)
    ]
    en_lines.append("cv_en_9|prompt text 9|prompt-wavs/missing.wav|target text 9|wavs/missing-gt.wav")
    en_lines.append("too|few")
    (en / "meta.lst").write_text("\n".join(en_lines) + "\n", encoding="utf-8")
    for i in range(2):
        tone(zh / "prompt-wavs" / f"zh_{i}.wav", 1.5, 230 + i)
    (zh / "meta.lst").write_text(
        "".join(f"zh_{i}|提示文本{i}|prompt-wavs/zh_{i}.wav|目标文本{i}\n" for i in range(2)), encoding="utf-8"
    )
    (zh / "hardcase.lst").write_text(
        "".join(f"hard_{i}|提示文本{i}|prompt-wavs/zh_{i}.wav|八百标兵奔北坡{i}\n" for i in range(2)), encoding="utf-8"
    )
    return root


# ---------------------------------------------------------------- CV3-Eval
def make_cv3(root: Path) -> Path:
    """A CV3-Eval checkout: data/zero_shot/{en,zh,hard_en}; scp paths relative to `root`."""
    for lang in ("en", "zh", "hard_en"):
        leaf = root / "data" / "zero_shot" / lang
        scp, ptext, text = [], [], []
        for i in range(1, 4):
            tone(leaf / "waveform" / f"prompt_audio_{i}.wav", 1.4, 240 + i)
            sep = "//" if i == 2 else "/"
            scp.append(f"uttid_{i} data/zero_shot{sep}{lang}/waveform/prompt_audio_{i}.wav")
            ptext.append(f"uttid_{i} {lang} prompt {i}")
        text = [f"uttid_{i} {lang} target {i}" for i in (3, 2, 1)] + [f"uttid_4 {lang} target without prompt"]
        scp.append(f"uttid_5 data/zero_shot/{lang}/waveform/prompt_audio_5.wav")
        for name, rows in (("prompt_wav.scp", scp), ("prompt_text", ptext), ("text", text)):
            (leaf / name).write_text("\n".join(rows) + "\n", encoding="utf-8")
    return root


# Recipes shrunk to the stand-ins' size (the committed recipes with small counts).
def clean_recipe(count: int = 5, **kw) -> dict:
    recipe = load_recipe(REPO / "manifests" / "ztts1-clean.json")
    recipe.update(
        locales={"en_us": "en", "cmn_hans_cn": "zh"},
        count_per_language=count,
        prompt_duration_s=[1.0, 3.0],
        hard_subsets={"hard_en": {"language": "en", "count": 3, "source": "fleurs_rule", "pool_size": 2}},
    )
    recipe.update(kw)
    return recipe


def itw_recipe(counts: dict[str, int], **kw) -> dict:
    recipe = load_recipe(REPO / "manifests" / "ztts1-itw.json")
    recipe.update(counts=counts, prompt_duration_s=[1.0, 3.0], reference_duration_s=[0.5, 3.0], **kw)
    return recipe
