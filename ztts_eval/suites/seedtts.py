"""Import a Seed-TTS-Eval test set (`meta.lst` lists) as a ztts-eval manifest.

Seed-TTS-Eval (BytedanceSpeech/seed-tts-eval) is the set most zero-shot TTS papers report on, so
running it through the same harness makes our numbers comparable with theirs. The released folder
(`seedtts_testset/`) holds `en/meta.lst`, `zh/meta.lst` and `zh/hardcase.lst`; each line is
`utt|prompt_text|prompt_wav|target_text` with paths relative to the list file, and the real
recording of the target is `<lang>/wavs/<utt>.wav` (the upstream README; F5-TTS's
`get_seedtts_testset_metainfo` reads 4-field lines exactly so; seed-tts-eval issue #2 quotes a
released line and names `seedtts_testset/en/wavs/`). A fifth field, where present, names that
recording explicitly. The recording is the prompt speaker's own reading of the target (the set's
construction), so it becomes the reference and the item gets a per-item `speaker_id`; pass
`gt_is_prompt_speaker=False` to withhold that claim. Item ids keep the upstream utterance id
(`<suite>-<column>-<utt>`), so per-item results line up with published Seed-TTS-Eval outputs, which
are named `<utt>.wav`. Every line is accounted for: imported (with or without a reference) or
dropped with its reason (`build_report.json`: `lines`, `dropped`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ztts_eval.languages import LANGUAGES
from ztts_eval.pipeline.manifest import Item
from ztts_eval.suites.common import (
    AudioWriter,
    BuildError,
    BuildResult,
    DropLog,
    audio_stem,
    file_fingerprint,
    finish,
    prepare_out_dir,
    probe_audio,
    source_label,
)

# (list file relative to the set's root, language, subset)
DEFAULT_LISTS = (("en/meta.lst", "en", "seedtts"), ("zh/meta.lst", "zh", "seedtts"), ("zh/hardcase.lst", "zh", "hard_zh"))


def import_seedtts(
    source: Path,
    out_dir: Path,
    *,
    suite: str = "seedtts-eval",
    lists: list[tuple[str, str, str]] | None = None,
    audio_format: str = "flac16",
    gt_is_prompt_speaker: bool = True,
    license: str | None = None,
) -> BuildResult:
    """Import the lists under `source` (default: the three released lists that exist) into `out_dir`."""
    source, out_dir = Path(source), Path(out_dir)
    if not source.is_dir():
        raise BuildError(f"{source}: Seed-TTS-Eval folder not found (expected en/meta.lst, zh/meta.lst, zh/hardcase.lst)")
    specs = list(lists) if lists is not None else list(DEFAULT_LISTS)
    found, missing = [], []
    for rel, lang, subset in specs:
        if lang not in LANGUAGES:
            raise BuildError(f"list {rel}: unknown language {lang!r}")
        (found if (source / rel).is_file() else missing).append((rel, lang, subset))
    if lists is not None and missing:
        raise BuildError(f"{source / missing[0][0]}: Seed-TTS-Eval list not found")
    if not found:
        raise BuildError(f"{source}: no Seed-TTS-Eval list found (looked for {', '.join(r for r, _, _ in specs)})")
    prepare_out_dir(out_dir)
    drops, writer = DropLog(), AudioWriter(out_dir, audio_format)
    items: list[Item] = []
    seen: set[str] = set()
    inputs, lines = {}, {}
    for rel, lang, subset in found:
        inputs[rel] = source / rel
        got, lines[rel] = _read_list(source, rel, lang, subset, suite, writer, drops, seen, gt_is_prompt_speaker, license)
        items += got
    info: dict[str, Any] = {
        "kind": "local",
        "dataset_id": "seed-tts-eval",
        "name": source.resolve().name,
        "metadata": file_fingerprint(inputs),
    }
    details = {"lists_read": [r for r, _, _ in found], "lists_missing": [r for r, _, _ in missing], "lines": lines}
    recipe = {
        "suite": suite,
        "manifest_version": f"{suite}-import-1",
        "audio_format": audio_format,
        "lists": [list(s) for s in found],
        "gt_is_prompt_speaker": gt_is_prompt_speaker,
    }
    return finish(
        out_dir,
        items,
        builder="ztts_eval.suites.seedtts",
        recipe=recipe,
        source=info,
        writer=writer,
        drops=drops,
        shortfall={},
        details=details,
    )


def _reference(list_dir: Path, utt: str, fields: list[str]) -> tuple[Path, str]:
    """The target's real recording: the 5th field when given, else `<list dir>/wavs/<utt>.wav`."""
    if len(fields) == 5 and fields[4]:
        return list_dir / fields[4], fields[4]
    return list_dir / "wavs" / f"{utt}.wav", f"wavs/{utt}.wav"


def _read_list(
    root: Path,
    rel: str,
    lang: str,
    subset: str,
    suite: str,
    writer: AudioWriter,
    drops: DropLog,
    seen: set[str],
    gt_same: bool,
    lic: str | None,
) -> tuple[list[Item], dict[str, int]]:
    """Items of one list plus its line accounting: lines = blank + imported + dropped."""
    path = root / rel
    items: list[Item] = []
    count = {"lines": 0, "blank": 0, "imported": 0, "with_reference": 0, "without_reference": 0, "dropped": 0}
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        count["lines"] += 1
        if not line.strip():
            count["blank"] += 1
            continue
        where = f"{rel}:{lineno}"
        item = _line_item(root, path, rel, where, line, lang, subset, suite, writer, drops, seen, gt_same, lic)
        if item is None:
            count["dropped"] += 1
            continue
        items.append(item)
        count["imported"] += 1
        count["with_reference" if item.reference_audio else "without_reference"] += 1
    return items, count


def _line_item(
    root: Path,
    path: Path,
    rel: str,
    where: str,
    line: str,
    lang: str,
    subset: str,
    suite: str,
    writer: AudioWriter,
    drops: DropLog,
    seen: set[str],
    gt_same: bool,
    lic: str | None,
) -> Item | None:
    fields = [f.strip() for f in line.split("|")]
    if len(fields) not in (4, 5):
        drops.add(
            where, "malformed_line", f"expected utt|prompt_text|prompt_wav|target_text[|gt_wav], got {len(fields)} field(s)", lang
        )
        return None
    utt, prompt_text, prompt_wav, target = fields[:4]
    item_id = f"{suite}-{subset if subset.startswith('hard') else lang}-{utt}"
    if item_id in seen:
        drops.add(where, "duplicate_id", f"utt {utt} already imported", lang)
        return None
    if not target:
        drops.add(where, "text_empty", f"utt {utt}", lang)
        return None
    prompt = path.parent / prompt_wav
    _, reason = probe_audio(prompt)
    if reason:
        drops.add(where, reason, f"prompt {prompt_wav}", lang)
        return None
    seen.add(item_id)
    label = source_label(prompt, root)
    p_rel, p_sha = writer.put(prompt, audio_stem(label), label)
    ref, ref_text = _reference(path.parent, utt, fields)
    r_rel = r_sha = None
    _, reason = probe_audio(ref)
    if reason:  # kept: WER and quality need no reference; only the ground-truth row lacks this item
        drops.add(where, "reference_" + reason, f"{ref_text}; the item is kept without a reference", lang)
    else:
        r_label = source_label(ref, root)
        r_rel, r_sha = writer.put(ref, audio_stem(r_label), r_label)
    return Item(
        id=item_id,
        suite=suite,
        subset=subset,
        language=lang,
        text=target,
        prompt_audio=p_rel,
        prompt_sha256=p_sha,
        prompt_text=prompt_text or None,
        speaker_id=f"seedtts:{lang}:{utt}" if r_rel and gt_same else None,
        reference_audio=r_rel,
        reference_sha256=r_sha,
        source=f"Seed-TTS-Eval {where} ({utt})",
        license=lic,
        extra={"seedtts_utt": utt, "seedtts_list": rel, "seedtts_fields": len(fields)},
    )
