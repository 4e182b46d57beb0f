"""ZTTS1-Clean from FLEURS-R: read speech prompts paired with a *different* FLoRes sentence.

ZTTS1's own manifest is unpublished (manifests/README.md), so this rebuilds it by the documented rule:
per language, prompts are sampled (seeded) from `test` recordings inside the duration bounds,
topped up from `dev` when `test` runs short; each prompt's target is another sentence id (FLEURS
is n-way parallel over FLoRes ids, and the same id would let a model copy the prompt), and a real
recording of that sentence becomes the reference. FLEURS has no speaker ids, so the reference is
*not* known to be the prompt's speaker: `speaker_id` stays unset and ground-truth similarity is
"–" (docs/decisions.md §1). The hard_en/hard_zh subsets come from a documented text rule
(`hardness`) or a user-supplied list; see manifests/README.md.

Sources, through one reader: a local copy of the dataset repo, or the hub id at the recipe's pinned
commit fetched with `huggingface_hub.snapshot_download` (only the needed locales and splits).
The repo `google/fleurs-r` holds only `data/` (no loading script, no configs): per locale
`data/<locale>/{train,dev,test}.tsv` (the 7 FLEURS columns: id, file name, raw transcription,
normalized transcription, characters, num_samples, gender) and `data/<locale>/audio/<split>.tar.gz`
whose members are matched to the TSV by base name, as FLEURS' own loader does (hub file listing at
c621c0b7b569dcebcd50273a187a35d1a1fc895f; FLEURS `fleurs.py` `_get_data`/`_generate_examples`).
A local copy may also hold the archives unpacked as `audio/<split>/`.
"""

from __future__ import annotations

import re
import shutil
import tarfile
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ztts_eval.languages import LANGUAGES
from ztts_eval.pipeline.manifest import Item
from ztts_eval.suites.common import (
    AudioWriter,
    BuildError,
    BuildResult,
    DropLog,
    assign,
    bounds,
    file_fingerprint,
    finish,
    need,
    pick_with_fallback,
    prepare_out_dir,
    probe_audio,
    rng_for,
    safe_name,
)

HARD_RULE = "fleurs-hard-v1"


@dataclass(frozen=True)
class Rec:
    """One FLEURS-R recording (a row of `{split}.tsv` whose audio file was found and readable)."""

    locale: str
    split: str
    sid: str  # FLoRes sentence id, shared by every recording of the sentence in every language
    file: str
    raw: str
    norm: str
    gender: str
    path: Path
    duration: float


@dataclass(frozen=True)
class Target:
    """A text to say: a FLEURS sentence (with the recording used as reference) or a list line."""

    sid: str | None
    text: str
    ref: Rec | None
    extra: dict[str, Any]


def hardness(text: str, language: str) -> float:
    """fleurs-hard-v1: 3·digit runs + 2·symbols + 2·(acronyms, or Latin runs in CJK) + length/20.

    It ranks text-normalization load (numbers, %, $, °, acronyms, code-switching) and length;
    it says nothing about phonetic difficulty (tongue twisters, repetitions are not in FLEURS).
    """
    digits = len(re.findall(r"\d+", text))
    symbols = sum(unicodedata.category(c).startswith("S") or c in "%&@#/§" for c in text)
    if language in ("zh", "ja", "ko"):
        mixed, length = len(re.findall(r"[A-Za-z]+", text)), len(re.sub(r"\s", "", text)) / 2
    else:
        mixed, length = len(re.findall(r"\b[A-Z]{2,}\b", text)), len(text.split())
    return 3 * digits + 2 * symbols + 2 * mixed + length / 20


def _extract(tar_path: Path, dest: Path) -> None:
    """Unpack the audio files of a split archive flat into `dest` (names only: no path escapes)."""
    dest.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(tar_path, "r:*") as tar:
            for member in tar:
                name = Path(member.name).name
                if member.isfile() and name.lower().endswith((".wav", ".flac")):
                    if (dest / name).exists():
                        raise BuildError(f"{tar_path}: two members are named {name}")
                    with tar.extractfile(member) as f, open(dest / name, "wb") as out:
                        shutil.copyfileobj(f, out)
    except (tarfile.TarError, OSError) as exc:
        raise BuildError(f"{tar_path}: unreadable archive ({exc})") from None


def _load_split(root: Path, locale: str, split: str, lang: str, tmp: Path, drops: DropLog, inputs: dict[str, Path]) -> list[Rec]:
    tsv = root / locale / f"{split}.tsv"
    if not tsv.is_file():
        raise BuildError(f"{tsv}: FLEURS-R metadata not found (expected data/{locale}/{split}.tsv)")
    inputs[f"{locale}/{split}.tsv"] = tsv
    audio_dir, archive = root / locale / "audio" / split, root / locale / "audio" / f"{split}.tar.gz"
    if not audio_dir.is_dir():
        if not archive.is_file():
            raise BuildError(f"{audio_dir}: FLEURS-R audio not found (neither this folder nor {archive.name} exists)")
        inputs[f"{locale}/audio/{split}.tar.gz"] = archive
        audio_dir = tmp / "extracted" / locale / split
        _extract(archive, audio_dir)
    recs, seen = [], set()
    for lineno, line in enumerate(tsv.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        cols, where = line.split("\t"), f"{locale}/{split}.tsv:{lineno}"
        if len(cols) < 4 or Path(cols[1].strip()).name != cols[1].strip() or not cols[1].strip():
            drops.add(
                where,
                "tsv_malformed",
                "expected id, file name, raw transcription, normalized "
                f"transcription[, tokens, num_samples, gender]; got {len(cols)} column(s)",
                lang,
            )
            continue
        sid, fname, raw, norm = (c.strip() for c in cols[:4])
        label = f"{locale}/{split}/{fname}"
        if not raw:
            drops.add(label, "text_empty", where, lang)
        elif fname in seen:
            drops.add(label, "duplicate_file", where, lang)
        else:
            seen.add(fname)
            duration, reason = probe_audio(audio_dir / fname)
            if reason:
                drops.add(label, reason, where, lang)
            else:
                gender = cols[6].strip().upper() if len(cols) > 6 else ""
                recs.append(Rec(locale, split, sid, fname, raw, norm, gender, audio_dir / fname, duration))
    return recs


def hub_patterns(locales: list[str], splits: list[str]) -> list[str]:
    """The files one build needs from the hub repo: each locale's split TSVs and audio archives."""
    return [f"data/{loc}/{name}" for loc in locales for sp in splits for name in (f"{sp}.tsv", f"audio/{sp}.tar.gz")]


def _snapshot(repo: str, revision: str, recipe: dict[str, Any], snapshot_download: Callable[..., Any] | None) -> Path:
    """Download (or reuse from the HF cache) the needed files at `revision`; return the `data/` folder."""
    if snapshot_download is None:
        try:
            from huggingface_hub import snapshot_download
        except ImportError:
            raise BuildError(
                f"the hub route needs huggingface_hub (pip install -e '.[data]'), or download {repo} at {revision} "
                "and pass the folder"
            ) from None
    patterns = hub_patterns(list(need(recipe, "locales")), list(recipe.get("splits", ["test", "dev"])))
    try:
        folder = snapshot_download(repo_id=repo, repo_type="dataset", revision=revision, allow_patterns=patterns)
    except Exception as exc:  # network, auth, offline cache miss: one line with the way out
        raise BuildError(
            f"{repo}@{revision}: download failed ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); "
            "check the network or HF_HUB_OFFLINE, or download the repo and pass its folder"
        ) from None
    return Path(folder) / "data"


def build_ztts1_clean(
    source: Path | str,
    out_dir: Path,
    recipe: dict[str, Any],
    *,
    revision: str | None = None,
    snapshot_download: Callable[..., Any] | None = None,
) -> BuildResult:
    """Build ZTTS1-Clean into `out_dir` from a local FLEURS-R copy or `hf://<id>[@<commit>]`."""
    dataset = recipe.get("dataset", {})
    for locale, lang in need(recipe, "locales").items():
        if lang not in LANGUAGES:
            raise BuildError(f"recipe: locale {locale} maps to unknown language {lang!r}")
    text, out_dir = str(source), Path(out_dir)
    if not text.startswith("hf://") and Path(source).is_dir():
        root = Path(source) / "data" if (Path(source) / "data").is_dir() else Path(source)
        info: dict[str, Any] = {"kind": "local", "dataset_id": dataset.get("id"), "name": Path(source).resolve().name}
    elif text.startswith("hf://") or text == dataset.get("id"):
        repo, _, rev = text.removeprefix("hf://").partition("@")
        rev = revision or rev or dataset.get("revision") or ""
        if not re.fullmatch(r"[0-9a-f]{40}", rev):
            raise BuildError(
                f"{repo}: the hub route needs a pinned 40-hex commit (got {rev!r}); set dataset.revision "
                "in the recipe or pass hf://<id>@<commit>"
            )
        root = _snapshot(repo, rev, recipe, snapshot_download)
        info = {
            "kind": "hub",
            "dataset_id": repo,
            "revision": rev,
            "allow_patterns": hub_patterns(list(recipe["locales"]), list(recipe.get("splits", ["test", "dev"]))),
        }
    else:
        raise BuildError(
            f"{source}: not a FLEURS-R folder (data/<locale>/<split>.tsv) and not the hub id "
            f"{dataset.get('id')!r} / hf://<id>@<commit>"
        )
    prepare_out_dir(out_dir)
    with tempfile.TemporaryDirectory(prefix="ztts-fleurs-r-") as tmp:
        return _build(root, Path(tmp), out_dir, recipe, info)


def _build(root: Path, tmp: Path, out_dir: Path, recipe: dict[str, Any], info: dict[str, Any]) -> BuildResult:
    seed, suite = need(recipe, "seed"), recipe.get("suite", "ztts1-clean")
    splits, lic = list(recipe.get("splits", ["test", "dev"])), recipe.get("dataset", {}).get("license", "CC-BY-4.0")
    lo, hi = bounds(recipe, "prompt_duration_s", (3.0, 15.0))
    drops, writer, inputs = DropLog(), AudioWriter(out_dir, recipe.get("audio_format", "flac16")), {}
    recs_by_lang: dict[str, list[Rec]] = {}
    for locale, lang in recipe["locales"].items():
        if not (root / locale).is_dir():
            raise BuildError(f"{root / locale}: FLEURS-R locale folder not found")
        recs_by_lang[lang] = [r for split in splits for r in _load_split(root, locale, split, lang, tmp, drops, inputs)]
        for r in recs_by_lang[lang]:
            if not lo <= r.duration <= hi:
                drops.add(
                    f"{locale}/{r.split}/{r.file}",
                    "prompt_duration_out_of_bounds",
                    f"{r.duration:.2f} s outside [{lo}, {hi}]; still usable as a reference recording",
                    lang,
                )
    groups = [(lang, "clean", {"source": "fleurs"}, int(recipe.get("count_per_language", 500))) for lang in recs_by_lang]
    for name, spec in recipe.get("hard_subsets", {}).items():
        if spec.get("language") not in recs_by_lang:
            raise BuildError(f"recipe: hard subset {name} needs language {spec.get('language')!r} among the locales")
        groups.append((spec["language"], name, spec, int(spec.get("count", 500))))
    items, shortfall, fallback = [], {}, {}
    for lang, subset, spec, count in groups:
        label = subset if subset != "clean" else lang
        candidates = [r for r in recs_by_lang[lang] if lo <= r.duration <= hi]
        prompts, used = pick_with_fallback(candidates, splits, count, rng_for(seed, suite, label, "prompts"), lambda r: r.split)
        fallback[label] = {s: n for s, n in used.items() if s != splits[0]}
        targets = _targets(recs_by_lang[lang], lang, spec, count, rng_for(seed, suite, label, "references"))
        pairs, unpaired = assign(
            prompts, targets, rng_for(seed, suite, label, "targets"), _same, reuse=spec.get("source") != "list"
        )
        for p in unpaired:
            drops.add(f"{p.locale}/{p.split}/{p.file}", "no_other_sentence", f"no target text for {label}", lang)
        for k, (prompt, target) in enumerate(pairs, start=1):
            items.append(_item(f"{suite}-{label}-{k:04d}", suite, subset, lang, prompt, target, writer, lic))
        if len(pairs) < count:
            shortfall[label] = count - len(pairs)
    info["metadata"] = file_fingerprint(inputs)
    details = {
        "fallback": fallback,
        "prompt_duration_s": [lo, hi],
        "hard_rule": HARD_RULE,
        "recordings_by_language": {lang: len(r) for lang, r in recs_by_lang.items()},
    }
    return finish(
        out_dir,
        items,
        builder="ztts_eval.suites.fleurs_r",
        recipe=recipe,
        source=info,
        writer=writer,
        drops=drops,
        shortfall=shortfall,
        details=details,
    )


def _same(prompt: Rec, target: Target) -> bool:
    """A FLEURS target is "the same" by sentence id; a list text by its casefolded text."""
    return prompt.sid == target.sid if target.sid else prompt.raw.casefold() == target.text.casefold()


def _targets(recs: list[Rec], lang: str, spec: dict[str, Any], count: int, rng: Any) -> list[Target]:
    """The target pool: every sentence ("fleurs"), the top `pool_size` by hardness, or a list file."""
    if spec.get("source") == "list":
        return _list_targets(Path(spec.get("list_file", "")), spec.get("list_format", "lines"), count)
    by_sid: dict[str, list[Rec]] = {}
    for r in recs:
        by_sid.setdefault(r.sid, []).append(r)
    sids = sorted(by_sid, key=lambda s: (len(s), s))
    extra: dict[str, dict[str, Any]] = {s: {} for s in sids}
    if spec.get("source") == "fleurs_rule":
        score = {s: hardness(by_sid[s][0].raw, lang) for s in sids}
        sids = sorted(sids, key=lambda s: -score[s])[: int(spec.get("pool_size", 100))]
        extra = {s: {"hard_rule": HARD_RULE, "hard_score": round(score[s], 3)} for s in sids}
    elif spec.get("source") != "fleurs":
        raise BuildError(f"recipe: hard subset source must be 'fleurs_rule' or 'list', got {spec.get('source')!r}")
    out = []
    for s in sids:
        ref = rng.choice(sorted(by_sid[s], key=lambda r: (r.split, r.file)))
        out.append(Target(s, ref.raw, ref, {"target_sentence_id": s, "target_normalized": ref.norm, **extra[s]}))
    return out


def _list_targets(path: Path, fmt: str, count: int) -> list[Target]:
    """The first `count` texts of a list: one per line, or Seed-TTS `utt|prompt_text|prompt_wav|text`."""
    if fmt not in ("lines", "seedtts"):
        raise BuildError(f"recipe: list_format must be 'lines' or 'seedtts', got {fmt!r}")
    if not path.is_file():
        raise BuildError(f"{path}: hard-text list not found")
    out = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        fields = line.strip().split("|")
        text = line.strip() if fmt == "lines" else (fields[3].strip() if len(fields) >= 4 else "")
        if line.strip() and not text:
            raise BuildError(f"{path}:{lineno}: expected utt|prompt_text|prompt_wav|target_text")
        if text:
            out.append(Target(None, text, None, {"target_source": f"{path.name}:{lineno}"}))
    return out[:count]


def _item(id_: str, suite: str, subset: str, lang: str, prompt: Rec, target: Target, writer: AudioWriter, lic: str) -> Item:
    def put(r: Rec) -> tuple[str, str]:
        return writer.put(r.path, f"audio/{lang}/{r.split}/{safe_name(Path(r.file).stem)}", f"{r.locale}/{r.split}/{r.file}")

    (p_rel, p_sha), ref = put(prompt), target.ref
    r_rel, r_sha = put(ref) if ref else (None, None)
    extra = {
        "locale": prompt.locale,
        "prompt_split": prompt.split,
        "prompt_sentence_id": prompt.sid,
        "prompt_file": prompt.file,
        "prompt_duration_s": round(prompt.duration, 3),
        "prompt_gender": prompt.gender,
        "prompt_normalized": prompt.norm,
        **target.extra,
    }
    if ref:
        extra.update(
            reference_split=ref.split,
            reference_file=ref.file,
            reference_duration_s=round(ref.duration, 3),
            reference_speaker="unknown: FLEURS has no speaker ids",
        )
    src = f"FLEURS-R {prompt.locale} {prompt.split} {prompt.file} (sentence {prompt.sid})"
    src += f"; reference {ref.split} {ref.file} (sentence {ref.sid})" if ref else "; no reference recording"
    return Item(
        id=id_,
        suite=suite,
        subset=subset,
        language=lang,
        text=target.text,
        prompt_audio=p_rel,
        prompt_sha256=p_sha,
        prompt_text=prompt.raw,
        reference_audio=r_rel,
        reference_sha256=r_sha,
        source=src,
        license=lic,
        extra=extra,
    )
