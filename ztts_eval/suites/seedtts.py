"""Import a Seed-TTS-Eval test set (`meta.lst` lists) as a ztts-eval manifest.

Seed-TTS-Eval (BytedanceSpeech/seed-tts-eval) is the set most zero-shot TTS papers report on, so
running it through the same harness makes our numbers comparable with theirs. Each list line is
`utt|prompt_text|prompt_wav|target_text[|gt_wav]` with paths relative to the list file
(`get_wav_res_ref_text.py`); the released folder holds `en/meta.lst`, `zh/meta.lst` and
`zh/hardcase.lst` (no ground truth). When a line has `gt_wav`, that recording is the prompt
speaker's own reading of the target (the set's construction), so it becomes the reference and the
item gets a per-item `speaker_id`; pass `gt_is_prompt_speaker=False` to withhold that claim.
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
    inputs = {}
    for rel, lang, subset in found:
        inputs[rel] = source / rel
        items += _read_list(source, rel, lang, subset, suite, writer, drops, seen, gt_is_prompt_speaker, license)
    info: dict[str, Any] = {
        "kind": "local",
        "dataset_id": "seed-tts-eval",
        "name": source.resolve().name,
        "metadata": file_fingerprint(inputs),
    }
    details = {"lists_read": [r for r, _, _ in found], "lists_missing": [r for r, _, _ in missing]}
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
) -> list[Item]:
    path = root / rel
    items = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{rel}:{lineno}"
        fields = [f.strip() for f in line.split("|")]
        if len(fields) not in (4, 5):
            drops.add(
                where,
                "malformed_line",
                f"expected utt|prompt_text|prompt_wav|target_text[|gt_wav], got {len(fields)} field(s)",
                lang,
            )
            continue
        utt, prompt_text, prompt_wav, target = fields[:4]
        item_id = f"{suite}-{subset if subset.startswith('hard') else lang}-{utt}"
        if item_id in seen:
            drops.add(where, "duplicate_id", f"utt {utt} already imported", lang)
            continue
        if not target:
            drops.add(where, "text_empty", f"utt {utt}", lang)
            continue
        prompt = path.parent / prompt_wav
        _, reason = probe_audio(prompt)
        if reason:
            drops.add(where, reason, f"prompt {prompt_wav}", lang)
            continue
        seen.add(item_id)
        label = source_label(prompt, root)
        p_rel, p_sha = writer.put(prompt, audio_stem(label), label)
        ref = r_rel = r_sha = None
        if len(fields) == 5 and fields[4]:
            ref = path.parent / fields[4]
            _, reason = probe_audio(ref)
            if reason:
                drops.add(where, "reference_" + reason, f"gt {fields[4]}; the item is kept without a reference", lang)
                ref = None
            else:
                r_label = source_label(ref, root)
                r_rel, r_sha = writer.put(ref, audio_stem(r_label), r_label)
        items.append(
            Item(
                id=item_id,
                suite=suite,
                subset=subset,
                language=lang,
                text=target,
                prompt_audio=p_rel,
                prompt_sha256=p_sha,
                prompt_text=prompt_text or None,
                speaker_id=f"seedtts:{lang}:{utt}" if ref and gt_same else None,
                reference_audio=r_rel,
                reference_sha256=r_sha,
                source=f"Seed-TTS-Eval {where} ({utt})",
                license=lic,
                extra={"seedtts_utt": utt, "seedtts_list": rel},
            )
        )
    return items
