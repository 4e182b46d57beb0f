"""Import CV3-Eval (FunAudioLLM/CV3-Eval) Kaldi-style task folders as a ztts-eval manifest.

ZTTS1-Clean's columns are exactly CV3-Eval's `data/zero_shot/{lang}` set (manifests/README.md), so
importing CV3-Eval lets a model be compared on both. Every task folder ("leaf") holds three files
keyed by utterance id, `<uttid> <value>` split on the first space and joined on the id, never on
line order: `text` (what to say), `prompt_text`, `prompt_wav.scp`; continuation tasks add
`gt_wav.scp`. scp paths are relative to the CV3-Eval checkout's root (`data/zero_shot/zh/...`),
so each path is tried against `cv3_root` (if given), then the leaf and each of its parents.
Parent folders that concatenate their children's files (e.g. `emotion_zeroshot/en`) are skipped;
only leaves are read. `wav.scp`, where CV3's scripts list *synthesized* outputs, is never an input.
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

NEEDED = ("text", "prompt_text", "prompt_wav.scp")


def _leaves(source: Path) -> list[Path]:
    tasks = sorted({p.parent for p in source.rglob("prompt_wav.scp")})  # rglob includes `source` itself
    return [t for t in tasks if not any(o != t and o.is_relative_to(t) for o in tasks)]


def _language(leaf: Path) -> str | None:
    """The language from the leaf's name or its parent's (`en`, `hard_en`, `to_en`, `en_rhyme`)."""
    for name in (leaf.name, leaf.parent.name):
        code = name.removeprefix("to_").removeprefix("hard_").removesuffix("_rhyme")
        if code in LANGUAGES:
            return code
    return None


def _kaldi(path: Path, task: str, drops: DropLog, lang: str) -> dict[str, str]:
    table: dict[str, str] = {}
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.strip().split(maxsplit=1)
        where = f"{task}/{path.name}:{lineno}"
        if len(parts) != 2:
            drops.add(where, "malformed_line", "expected '<uttid> <value>'", lang)
        elif parts[0] in table:
            drops.add(where, "duplicate_id", f"utt {parts[0]} listed twice; the first is kept", lang)
        else:
            table[parts[0]] = parts[1].strip()
    return table


def _resolve(rel: str, leaf: Path, anchor: Path) -> Path | None:
    """The file an scp path names, tried against the anchor (cv3_root), the leaf and its parents."""
    path = Path(rel)
    if path.is_absolute():
        return path if path.is_file() else None
    return next((base / path for base in (anchor, leaf, *leaf.parents) if (base / path).is_file()), None)


def import_cv3(
    source: Path,
    out_dir: Path,
    *,
    suite: str = "cv3-eval",
    cv3_root: Path | None = None,
    subset: str = "cv3",
    audio_format: str = "flac16",
    license: str | None = None,
) -> BuildResult:
    """Import every task leaf under `source` (e.g. CV3-Eval/data/zero_shot) into `out_dir`."""
    source, out_dir = Path(source), Path(out_dir)
    if not source.is_dir():
        raise BuildError(f"{source}: CV3-Eval folder not found")
    leaves = _leaves(source)
    if not leaves:
        raise BuildError(f"{source}: no CV3-Eval task folder (one holding {', '.join(NEEDED)}) found")
    for leaf in leaves:
        for name in NEEDED:
            if not (leaf / name).is_file():
                raise BuildError(f"{leaf / name}: missing (a CV3-Eval task folder needs {', '.join(NEEDED)})")
    prepare_out_dir(out_dir)
    drops, writer, items, inputs, ignored = DropLog(), AudioWriter(out_dir, audio_format), [], {}, []
    for leaf in leaves:
        task = leaf.relative_to(source).as_posix() if leaf != source else leaf.name
        lang = _language(leaf)
        if lang is None:
            drops.add(task, "unknown_language", f"no language code in folder name {leaf.name!r} or its parent's")
            continue
        for name in NEEDED + ("gt_wav.scp",):
            if (leaf / name).is_file():
                inputs[f"{task}/{name}"] = leaf / name
        if (leaf / "wav.scp").is_file():
            ignored.append(f"{task}/wav.scp")
        text, prompt_text, prompt_wav = (_kaldi(leaf / n, task, drops, lang) for n in NEEDED)
        gt = _kaldi(leaf / "gt_wav.scp", task, drops, lang) if (leaf / "gt_wav.scp").is_file() else {}
        sub = leaf.name if leaf.name.startswith("hard_") else subset
        for utt in sorted(set(prompt_wav) - set(text)):
            drops.add(f"{task}/{utt}", "missing_text", "listed in prompt_wav.scp but not in text", lang)
        for utt, target in text.items():
            items += _item(
                suite, sub, lang, task, utt, target, prompt_text, prompt_wav, gt, leaf, cv3_root or source, writer, drops, license
            )
    info: dict[str, Any] = {
        "kind": "local",
        "dataset_id": "FunAudioLLM/CV3-Eval",
        "name": source.resolve().name,
        "metadata": file_fingerprint(inputs),
    }
    recipe = {"suite": suite, "manifest_version": f"{suite}-import-1", "audio_format": audio_format, "subset": subset}
    details = {
        "tasks": [leaf.relative_to(source).as_posix() if leaf != source else leaf.name for leaf in leaves],
        "ignored_files": ignored,
    }
    return finish(
        out_dir,
        items,
        builder="ztts_eval.suites.cv3",
        recipe=recipe,
        source=info,
        writer=writer,
        drops=drops,
        shortfall={},
        details=details,
    )


def _item(
    suite: str,
    subset: str,
    lang: str,
    task: str,
    utt: str,
    target: str,
    prompt_text: dict[str, str],
    prompt_wav: dict[str, str],
    gt: dict[str, str],
    leaf: Path,
    anchor: Path,
    writer: AudioWriter,
    drops: DropLog,
    lic: str | None,
) -> list[Item]:
    where = f"{task}/{utt}"
    if utt not in prompt_wav or utt not in prompt_text:
        drops.add(where, "missing_prompt_wav" if utt not in prompt_wav else "missing_prompt_text", "", lang)
        return []
    found = _resolve(prompt_wav[utt], leaf, anchor)
    reason = probe_audio(found)[1] if found else "audio_missing"
    if reason:
        drops.add(where, reason, f"prompt {prompt_wav[utt]}", lang)
        return []
    label = source_label(found, anchor)
    p_rel, p_sha = writer.put(found, audio_stem(label), label)
    r_rel = r_sha = None
    if utt in gt:
        ref = _resolve(gt[utt], leaf, anchor)
        reason = probe_audio(ref)[1] if ref else "audio_missing"
        if reason:
            drops.add(where, "reference_" + reason, f"gt {gt[utt]}; the item is kept without a reference", lang)
        else:
            r_label = source_label(ref, anchor)
            r_rel, r_sha = writer.put(ref, audio_stem(r_label), r_label)
    item_id = f"{suite}-{task.replace('/', '-')}-{utt}"
    return [
        Item(
            id=item_id,
            suite=suite,
            subset=subset,
            language=lang,
            text=target,
            prompt_audio=p_rel,
            prompt_sha256=p_sha,
            prompt_text=prompt_text[utt] or None,
            speaker_id=f"cv3:{task}:{utt}" if r_rel else None,
            reference_audio=r_rel,
            reference_sha256=r_sha,
            source=f"CV3-Eval {task} {utt}",
            license=lic,
            extra={"cv3_task": task, "cv3_utt": utt},
        )
    ]
