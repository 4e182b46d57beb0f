"""Synthetic stand-ins for the builders' sources, each laid out exactly as the public release ships it.

No real dataset is downloaded in tests: these write short PCM16 tones plus the release's own list
files, with the real file names, field counts, folder nesting and archive members. Where each
layout was read is cited beside its maker. Each also seeds the broken rows a real download has
(missing, unreadable, malformed), so the drop reports are exercised.
"""

from __future__ import annotations

import fnmatch
import shutil
import tarfile
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from tests.fakes.cli import REPO
from ztts_eval.suites import load_recipe

SR = 16000
FLEURS_R_COMMIT = "c621c0b7b569dcebcd50273a187a35d1a1fc895f"


def tone(path: Path, seconds: float, freq: float = 220.0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(round(seconds * SR))) / SR
    sf.write(str(path), (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32), SR, subtype="PCM_16")
    return path


# ---------------------------------------------------------------- FLEURS-R
# google/fleurs-r at c621c0b (hub file listing): data/<locale>/{train,dev,test}.tsv and
# data/<locale>/audio/{train,dev,test}.tar.gz, no loading script. TSV rows have FLEURS' 7 tab-separated
# columns (id = FLoRes sentence id, file name, raw transcription, normalized transcription,
# '|'-joined characters, num_samples, gender), as FLEURS' `fleurs.py` `_get_data` unpacks them;
# archive members are `<split>/<file name>` and are matched by base name (`_generate_examples`).
FLEURS_TEXT = {
    "en_us": {"3": "In 2019, 45% of NASA's $1.2 billion budget went to the ISS & the JWST."},
    "cmn_hans_cn": {"3": "2019年，NASA把45%的预算（约12亿美元）用于ISS。"},
}


def fleurs_text(locale: str, sid: str) -> str:
    if sid in FLEURS_TEXT.get(locale, {}):
        return FLEURS_TEXT[locale][sid]
    return f"这是第{sid}个句子。" if locale.startswith("cmn") else f"This is sentence number {sid} of the set."


def fleurs_file(split: str, sid: str, k: int) -> str:
    """FLEURS audio names are long decimal numbers (e.g. 10004088536354799741.wav)."""
    return f"{(1 if split == 'test' else 2) * 10**19 + int(sid) * 1000 + k}.wav"


def fleurs_rows(split: str) -> list[tuple[str, str, float]]:
    """(sentence id, file name, seconds): test has 4 sentences × 2 in-bounds recordings, one long one."""
    if split == "test":
        rows = [(sid, fleurs_file(split, sid, k), 1.5 + 0.25 * k) for sid in ("1", "2", "3", "4") for k in (0, 1)]
        return rows + [("5", fleurs_file(split, "5", 0), 4.0)]
    return [(sid, fleurs_file(split, sid, 0), 1.2) for sid in ("11", "12", "13")]


def make_fleurs_r(root: Path, locales: tuple[str, ...] = ("en_us", "cmn_hans_cn"), unpacked: bool = False) -> Path:
    """The repo's data/ tree: clean rows plus a missing file, an unreadable file, an empty text and a bad line.
    `unpacked=True` leaves each archive extracted as audio/<split>/ (a local copy a user unpacked)."""
    for locale in locales:
        for split in ("test", "dev"):
            audio = root / "data" / locale / "audio" / split
            lines = []
            for i, (sid, name, secs) in enumerate(fleurs_rows(split)):
                tone(audio / name, secs, 180.0 + 10 * i)
                text = fleurs_text(locale, sid)
                chars = "|".join(text.lower().replace(" ", "|"))
                lines.append([sid, name, text, text.lower(), chars, str(int(secs * SR)), "FEMALE" if i % 2 else "MALE"])
            if split == "test":
                (audio / fleurs_file(split, "7", 0)).write_bytes(b"definitely not audio")
                tone(audio / fleurs_file(split, "8", 0), 1.5)
                lines += [
                    ["6", fleurs_file(split, "6", 0), "A sentence whose audio is missing.", "x", "x", "1", "MALE"],
                    ["7", fleurs_file(split, "7", 0), "A sentence whose audio is broken.", "x", "x", "1", "MALE"],
                    ["8", fleurs_file(split, "8", 0), "", "", "", "1", "MALE"],
                ]
            text = "".join("\t".join(cols) + "\n" for cols in lines) + "not a fleurs row\n"
            (root / "data" / locale / f"{split}.tsv").write_text(text, encoding="utf-8")
            if not unpacked:
                with tarfile.open(audio.parent / f"{split}.tar.gz", "w:gz") as tar:
                    for f in sorted(audio.iterdir()):
                        tar.add(f, arcname=f"{split}/{f.name}")
                shutil.rmtree(audio)
    return root


class FakeSnapshot:
    """`huggingface_hub.snapshot_download` stand-in serving a stand-in repo at one known commit.

    Copies the files matching `allow_patterns` (fnmatch, as huggingface_hub filters) into a
    snapshot folder and returns it; records every call; an unknown revision fails like the hub."""

    def __init__(self, repo_root: Path, cache: Path, commit: str = FLEURS_R_COMMIT) -> None:
        self.repo_root, self.cache, self.commit = repo_root, cache, commit
        self.calls: list[dict[str, Any]] = []
        self.copied: list[str] = []

    def __call__(self, repo_id: str, *, repo_type: str, revision: str, allow_patterns: list[str]) -> str:
        self.calls.append({"repo_id": repo_id, "repo_type": repo_type, "revision": revision, "allow_patterns": allow_patterns})
        if revision != self.commit:
            raise RuntimeError(f"404 Client Error: Revision Not Found for url: .../{repo_id}/revision/{revision}")
        snap = self.cache / "snapshots" / revision
        for f in sorted(self.repo_root.rglob("*")):
            rel = f.relative_to(self.repo_root).as_posix()
            if f.is_file() and any(fnmatch.fnmatch(rel, p) for p in allow_patterns):
                (snap / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(f, snap / rel)
                self.copied.append(rel)
        return str(snap)


# ---------------------------------------------------------------- VoxBlink2
# VoxBlink2/ScriptsForVoxBlink2 (README "File structure"; cropper_audio.py): the release's
# meta/<spk>/<video>/<utt>.txt timestamp files, whose line 8 and last line start with the first and
# last frame (tab-separated, 25 frames/s; the 7 header lines are VoxCeleb-style), and the cropper's
# output <save_dir>/<spk>/<video>/<utt>.wav. Speaker ids are id + 6 digits, videos YouTube ids.
def write_timestamps(path: Path, first: int, last: int, spk: str, video: str) -> None:
    header = [
        f"Identity  : \t{spk}",
        f"Reference : \t{video}",
        "Offset    : \t1",
        "FV Conf   : \t16.6",
        "ASD Conf  : \t4.4",
        "",
        "FRAME \tX \tY \tW \tH ",
    ]
    frames = [f"{f:06d} \t0.392 \t0.223 \t0.253 \t0.451 " for f in range(first, last + 1, max(1, (last - first) // 4))]
    if not frames[-1].startswith(f"{last:06d}"):
        frames.append(f"{last:06d} \t0.392 \t0.223 \t0.253 \t0.451 ")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(header + frames) + "\n", encoding="utf-8")


def bin_center(b: int) -> float:
    return round(1.0 + 0.3 * b + 0.15, 4)


def make_voxblink2(root: Path, bins_by_lang: dict[str, list[int]]) -> tuple[dict[str, float], dict[str, str]]:
    """root/meta, root/audio (cropper output) and root/transcripts.tsv. Speakers per (language, bin):
    each has one prompt-length clip scored in that bin and one short clip (reference only). Plus: a
    single-utterance speaker, a missing audio file, a missing timestamp file, a malformed row, an
    out-of-scope language and a clip whose scoring fails. Returns (score by utt id, role -> speaker)."""
    scores: dict[str, float] = {}
    roles: dict[str, str] = {}
    rows = ["utt\tlanguage\ttext"]
    counter = iter(range(1, 10**6))

    def speaker(role: str) -> str:
        roles[role] = f"id{next(counter):06d}"
        return roles[role]

    def utt(
        lang: str, spk: str, idx: int, secs: float, score: float, video: str, text: str, audio: bool = True, meta: bool = True
    ) -> None:
        uid = f"{spk}/{video}/{idx:05d}"
        if audio:
            tone(root / "audio" / f"{uid}.wav", secs, 150.0 + 7 * (idx + int(spk[2:]) % 50))
        if meta:
            first = 250 * idx
            write_timestamps(root / "meta" / f"{uid}.txt", first, first + int(secs * 25), spk, video)
        scores[uid] = score
        rows.append(f"{uid}\t{lang}\t{text}")

    for lang, capacities in bins_by_lang.items():
        for b, n in enumerate(capacities):
            for s in range(n):
                spk = speaker(f"{lang}_b{b}_s{s}")
                utt(lang, spk, 1, 1.6, bin_center(b), "DwgYRqnQZHM", f"{lang} prompt words of {spk}")
                utt(lang, spk, 2, 0.8, 3.9, "x5Pk3bH8aQs", f"{lang} reference words of {spk}")
        utt(lang, speaker(f"{lang}_lonely"), 1, 1.6, 2.0, "DwgYRqnQZHM", "only one clip")
        ghost = speaker(f"{lang}_ghost")
        utt(lang, ghost, 1, 1.6, 2.0, "DwgYRqnQZHM", "file never downloaded", audio=False)
        utt(lang, ghost, 2, 0.8, 2.0, "DwgYRqnQZHM", "second clip of the ghost")
        utt(lang, ghost, 3, 1.6, 2.0, "DwgYRqnQZHM", "timestamps not in meta", meta=False)
        noscore = speaker(f"{lang}_noscore")
        utt(lang, noscore, 1, 1.6, float("nan"), "DwgYRqnQZHM", "the scorer fails on this one")
        utt(lang, noscore, 2, 0.8, 2.0, "x5Pk3bH8aQs", "reference of the unscorable speaker")
    if "fr" in bins_by_lang:  # one talkative speaker with four prompt-length clips in four bins
        talk = speaker("fr_talkative")
        for idx, b in enumerate((2, 4, 6, 8), start=3):
            utt("fr", talk, idx, 1.6, bin_center(b), f"vid{idx:08d}", f"talkative clip {idx}")
    utt("vi", speaker("vi_speaker"), 1, 1.6, 2.0, "DwgYRqnQZHM", "xin chào")
    rows.append("not a transcript row")
    (root / "transcripts.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return scores, roles


def score_fn(scores: dict[str, float]):
    """Deterministic stand-in for a MOS predictor: looks the clip up; raises for the NaN-marked one."""

    def score(path: Path) -> float:
        key = "/".join(Path(path).with_suffix("").parts[-3:])
        if scores[key] != scores[key]:
            raise RuntimeError("scorer failed")
        return scores[key]

    return score


# ---------------------------------------------------------------- Seed-TTS-Eval
# BytedanceSpeech/seed-tts-eval README ("Dataset"): seedtts_testset/{en,zh}/meta.lst and zh/hardcase.lst,
# lines `utt|prompt_text|prompt_wav|target_text`; issue #2 quotes a released en line
# (`common_voice_en_167249-common_voice_en_167247|…|prompt-wavs/common_voice_en_167249.wav|…`) and names
# seedtts_testset/en/wavs/<utt>.wav; zh lines look like `10002287-00000095|…|prompt-wavs/10002287-00000094.wav|…`.
EN_UTTS = [("common_voice_en_10119832", "common_voice_en_10119840"), ("common_voice_en_103675", "common_voice_en_103676")]
ZH_UTTS = [("10002287", "00000094", "00000095"), ("10002288", "00000011", "00000012")]


def make_seedtts(root: Path) -> Path:
    """seedtts_testset/: 2 good en lines, one whose wavs/ recording is missing (kept, no reference), one
    whose prompt is missing (dropped), one malformed line; zh/meta.lst with 2 lines; zh/hardcase.lst with 2."""
    en, zh = root / "en", root / "zh"
    lines = []
    for i, (p, t) in enumerate(EN_UTTS + [("common_voice_en_2000", "common_voice_en_2001")]):
        tone(en / "prompt-wavs" / f"{p}.wav", 1.5, 200 + i)
        if i < 2:
            tone(en / "wavs" / f"{p}-{t}.wav", 1.2, 210 + i)
        lines.append(f"{p}-{t}|prompt text {i}|prompt-wavs/{p}.wav|target text {i}")
    lines.append("common_voice_en_9-common_voice_en_8|prompt text 9|prompt-wavs/common_voice_en_9.wav|target text 9")
    lines.append("too|few")
    (en / "meta.lst").parent.mkdir(parents=True, exist_ok=True)
    (en / "meta.lst").write_text("\n".join(lines) + "\n", encoding="utf-8")
    zh_lines, hard_lines = [], []
    for i, (spk, p, t) in enumerate(ZH_UTTS):
        tone(zh / "prompt-wavs" / f"{spk}-{p}.wav", 1.5, 230 + i)
        tone(zh / "wavs" / f"{spk}-{t}.wav", 1.3, 240 + i)
        zh_lines.append(f"{spk}-{t}|提示文本{i}|prompt-wavs/{spk}-{p}.wav|目标文本{i}")
        hard_lines.append(f"{spk}-9{i:07d}|提示文本{i}|prompt-wavs/{spk}-{p}.wav|八百标兵奔北坡{i}")
    (zh / "meta.lst").write_text("\n".join(zh_lines) + "\n", encoding="utf-8")
    (zh / "hardcase.lst").write_text("\n".join(hard_lines) + "\n", encoding="utf-8")
    return root


# ---------------------------------------------------------------- CV3-Eval
# FunAudioLLM/CV3-Eval at f3b7ed5 (files read from the repository): data/zero_shot/<lang>/ and
# data/emotion_zeroshot/<lang>/<emotion>/ hold prompt_wav.scp, prompt_text, text (`<uttid> <value>`,
# prompt paths relative to the checkout, zero_shot's with a double slash `data/zero_shot//en/...`);
# data/emotion_zeroshot/<lang>/ concatenates its emotions with ids `<emotion>_<high|low>_uttid_N`;
# data/subjective_continue/<style>/<lang>/ adds gt_wav.scp (groundtruth_audio_N.wav), and its scp
# paths name data/subjective_zeroshot_continue/..., a folder the release does not have.
def _kaldi(path: Path, rows: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def make_cv3(root: Path) -> Path:
    data = root / "data"
    for lang in ("en", "zh", "hard_en"):
        leaf = data / "zero_shot" / lang
        for i in range(1, 4):
            tone(leaf / "waveform" / f"prompt_audio_{i}.wav", 1.4, 240 + i)
        scp = [f"uttid_{i} data/zero_shot//{lang}/waveform/prompt_audio_{i}.wav" for i in (1, 2, 3, 5)]
        _kaldi(leaf / "prompt_wav.scp", scp)
        _kaldi(leaf / "prompt_text", [f"uttid_{i} {lang} prompt {i}" for i in range(1, 4)])
        _kaldi(leaf / "text", [f"uttid_{i} {lang} target {i}" for i in (3, 2, 1)] + [f"uttid_4 {lang} target without prompt"])
    parent = {"prompt_wav.scp": [], "prompt_text": [], "text": []}
    for emotion in ("angry", "happy"):
        leaf = data / "emotion_zeroshot" / "en" / emotion
        for i in (1, 26):
            tone(leaf / "waveform" / f"prompt_audio_{i}.wav", 1.4, 300 + i)
            level = "high" if i <= 25 else "low"
            row = {
                "prompt_wav.scp": f"data/emotion_zeroshot/en/{emotion}/waveform/prompt_audio_{i}.wav",
                "prompt_text": f"{emotion} prompt {i}",
                "text": f"{emotion} target {i}",
            }
            for name, value in row.items():
                _kaldi(
                    leaf / name,
                    ([*(leaf / name).read_text().splitlines()] if (leaf / name).exists() else []) + [f"uttid_{i} {value}"],
                )
                parent[name].append(f"{emotion}_{level}_uttid_{i} {value}")
    for name, rows in parent.items():
        _kaldi(data / "emotion_zeroshot" / "en" / name, rows)
    leaf = data / "subjective_continue" / "emotion" / "en"
    for i in (1, 2):
        tone(leaf / "waveform" / f"prompt_audio_{i}.wav", 1.4, 400 + i)
        tone(leaf / "waveform" / f"groundtruth_audio_{i}.wav", 1.1, 410 + i)
    declared = "data/subjective_zeroshot_continue/emotion/en/waveform"
    _kaldi(leaf / "prompt_wav.scp", [f"en_{i} {declared}/prompt_audio_{i}.wav" for i in (1, 2)])
    _kaldi(leaf / "gt_wav.scp", [f"en_{i} {declared}/groundtruth_audio_{i}.wav" for i in (1, 2)])
    _kaldi(leaf / "prompt_text", [f"en_{i} continue prompt {i}" for i in (1, 2)])
    _kaldi(leaf / "text", [f"en_{i} continue target {i}" for i in (1, 2)])
    for name in ("prompt_wav.scp", "gt_wav.scp", "prompt_text", "text"):  # the style folder concatenates its languages
        _kaldi(leaf.parent / name, (leaf / name).read_text().splitlines())
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
