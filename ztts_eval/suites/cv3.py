"""Import CV3-Eval (FunAudioLLM/CV3-Eval) Kaldi-style task folders as a ztts-eval manifest.

ZTTS1-Clean's columns are exactly CV3-Eval's `data/zero_shot/{lang}` set (manifests/README.md), so
importing CV3-Eval lets a model be compared on both. Layout read from the release (commit f3b7ed5):
every task folder ("leaf") under `data/` holds three files keyed by utterance id, `<uttid> <value>`
split on the first space and joined on the id, never on line order: `text` (what to say),
`prompt_text`, `prompt_wav.scp`; continuation tasks add `gt_wav.scp`. scp paths are relative to the
checkout's root (`data/zero_shot//en/waveform/prompt_audio_1.wav`). Parent folders that concatenate
their children (`emotion_zeroshot/en` lists `angry_high_uttid_1` for `angry/uttid_1`) are not read as
tasks, but they are where the emotion intensity lives, so each emotion item takes its label from
there. The `subjective_continue/*` lists name a folder `data/subjective_zeroshot_continue/` that the
release does not have; such paths are resolved to the task folder that exists and each remap is
reported (`path_remaps`). `wav.scp`, where CV3's scripts list *synthesized* outputs, is never read.

Item ids are `<suite>-<task path with / → ->-<uttid>`, the task path starting at the task family
folder (`zero_shot/en`), so importing `CV3-Eval/`, `data/` or `data/zero_shot`, from wherever the
checkout lives, gives the same ids.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from pathlib import Path, PurePosixPath
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
# Task families under the release's data/ (FunAudioLLM/CV3-Eval at f3b7ed5).
FAMILIES = (
    "zero_shot",
    "cross_lingual_zeroshot",
    "emotion_zeroshot",
    "subjective_continue",
    "subjective_zeroshot",
    "zero_shot_clone_10speak",
)
_SCRIPTS = (("ko", r"[\uac00-\ud7af]"), ("ja", r"[\u3040-\u30ff]"), ("zh", r"[\u4e00-\u9fff]"), ("en", r"[A-Za-z]"))


def _leaves(source: Path) -> list[Path]:
    tasks = sorted({p.parent for p in source.rglob("prompt_wav.scp")})  # rglob includes `source` itself
    return [t for t in tasks if not any(o != t and o.is_relative_to(t) for o in tasks)]


def _task_and_root(leaf: Path, source: Path) -> tuple[str, Path]:
    """(task path inside the release's data/, the checkout root the scp paths are relative to).

    The task starts at the innermost folder named like a CV3-Eval task family, so the same leaf
    gets the same task wherever the checkout lives and whichever folder was passed.
    """
    parts = leaf.resolve().parts
    idx = max((i for i, part in enumerate(parts) if part in FAMILIES), default=None)
    if idx is None:  # an unknown family: relative to the folder passed, named after it
        return (Path(source.resolve().name) / leaf.resolve().relative_to(source.resolve())).as_posix(), source.resolve()
    home = Path(*parts[:idx])
    return "/".join(parts[idx:]), home.parent if home.name == "data" else home


def _language(leaf: Path) -> str | None:
    """The language from the leaf's name or its parent's (`en`, `hard_en`, `to_en`, `en_rhyme`)."""
    for name in (leaf.name, leaf.parent.name):
        code = name.removeprefix("to_").removeprefix("hard_").removesuffix("_rhyme")
        if code in LANGUAGES:
            return code
    return None


def _script_language(text: str) -> str | None:
    """For the one task without a language folder (subjective_zeroshot): the text's script."""
    return next((code for code, pattern in _SCRIPTS if re.search(pattern, text)), None)


def _kaldi(path: Path, task: str, drops: DropLog | None, lang: str | None) -> dict[str, str]:
    table: dict[str, str] = {}
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.strip().split(maxsplit=1)
        where = f"{task}/{path.name}:{lineno}"
        if len(parts) != 2:
            if drops:
                drops.add(where, "malformed_line", "expected '<uttid> <value>'", lang)
        elif parts[0] in table:
            if drops:
                drops.add(where, "duplicate_id", f"utt {parts[0]} listed twice; the first is kept", lang)
        else:
            table[parts[0]] = parts[1].strip()
    return table


def _labels(leaf: Path, task: str) -> dict[str, dict[str, str]]:
    """Per-utt labels: emotion (the leaf's name) and intensity from the parent's `<emotion>_<intensity>_<utt>` ids."""
    family, *rest = task.split("/")
    if family == "emotion_zeroshot":
        parent = leaf.parent / "prompt_wav.scp"
        pattern = re.compile(rf"^{re.escape(leaf.name)}_([A-Za-z]+)_(.+)$")
        found = {m[2]: m[1] for k in (_kaldi(parent, task, None, None) if parent.is_file() else {}) if (m := pattern.match(k))}
        return {utt: {"cv3_emotion": leaf.name, "cv3_intensity": level} for utt, level in found.items()}
    if family == "subjective_continue" and rest:
        return {"*": {"cv3_style": rest[0]}}
    return {}


def _resolve(rel: str, leaf: Path, anchor: Path) -> tuple[Path | None, tuple[str, str] | None]:
    """(file, remap) for an scp path: tried against the checkout root, the leaf and its parents; if
    none exists, the longest tail of the path that exists under the leaf (remap = declared → real folder)."""
    path = Path(rel)
    if path.is_absolute():
        return (path if path.is_file() else None), None
    hit = next((base / path for base in (anchor, leaf, *leaf.parents) if (base / path).is_file()), None)
    if hit is not None:
        return hit, None
    parts = PurePosixPath(rel.replace("//", "/")).parts
    for k in range(1, len(parts)):
        if (leaf / Path(*parts[k:])).is_file():
            return leaf / Path(*parts[k:]), (PurePosixPath(*parts[:k]).as_posix(), source_label(leaf, anchor))
    return None, None


def import_cv3(
    source: Path,
    out_dir: Path,
    *,
    suite: str = "cv3-eval",
    cv3_root: Path | None = None,
    audio_format: str = "flac16",
    license: str | None = None,
) -> BuildResult:
    """Import every task leaf under `source` (the checkout, its `data/`, or one task family) into `out_dir`."""
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
    remaps: Counter = Counter()
    for leaf in leaves:
        task, root = _task_and_root(leaf, source)
        anchor = Path(cv3_root) if cv3_root else root
        lang = _language(leaf)
        for name in NEEDED + ("gt_wav.scp",):
            if (leaf / name).is_file():
                inputs[f"{task}/{name}"] = leaf / name
        if (leaf / "wav.scp").is_file():
            ignored.append(f"{task}/wav.scp")
        text, prompt_text, prompt_wav = (_kaldi(leaf / n, task, drops, lang) for n in NEEDED)
        gt = _kaldi(leaf / "gt_wav.scp", task, drops, lang) if (leaf / "gt_wav.scp").is_file() else {}
        family = task.split("/")[0]
        subset = leaf.name if family == "zero_shot" and leaf.name.startswith("hard_") else family
        labels = _labels(leaf, task)
        for utt in sorted(set(prompt_wav) - set(text)):
            drops.add(f"{task}/{utt}", "missing_text", "listed in prompt_wav.scp but not in text", lang)
        for utt, target in text.items():
            item_lang, rule = (lang, "folder") if lang else (_script_language(target), "script")
            if item_lang is None:
                drops.add(f"{task}/{utt}", "unknown_language", "no language folder and no recognised script in the text")
                continue
            extra = {"cv3_task": task, "cv3_utt": utt, **labels.get("*", {}), **labels.get(utt, {})}
            if rule == "script":
                extra["cv3_language_rule"] = "script of the text (the task has no language folder)"
            refs = (prompt_wav.get(utt), prompt_text.get(utt), gt.get(utt))
            item = _item(suite, subset, item_lang, task, utt, target, refs, extra, leaf, anchor, writer, drops, remaps)
            items += [replace(item, license=license)] if item else []
    info: dict[str, Any] = {"kind": "local", "dataset_id": "FunAudioLLM/CV3-Eval", "metadata": file_fingerprint(inputs)}
    recipe = {"suite": suite, "manifest_version": f"{suite}-import-2", "audio_format": audio_format}
    details = {
        "tasks": [_task_and_root(leaf, source)[0] for leaf in leaves],
        "ignored_files": ignored,
        "path_remaps": [{"declared": d, "found": f, "files": n} for (d, f), n in sorted(remaps.items())],
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


def _put(rel: str, leaf: Path, anchor: Path, writer: AudioWriter, remaps: Counter) -> tuple[str, str] | str:
    """(relative path, sha256) of the exported file, or the drop reason."""
    found, remap = _resolve(rel, leaf, anchor)
    reason = probe_audio(found)[1] if found else "audio_missing"
    if reason:
        return reason
    if remap:
        remaps[remap] += 1
    label = source_label(found, anchor)
    return writer.put(found, audio_stem(label), label)


def _item(
    suite: str,
    subset: str,
    lang: str,
    task: str,
    utt: str,
    target: str,
    refs: tuple[str | None, str | None, str | None],
    extra: dict[str, Any],
    leaf: Path,
    anchor: Path,
    writer: AudioWriter,
    drops: DropLog,
    remaps: Counter,
) -> Item | None:
    where, (prompt_wav, prompt_text, gt_wav) = f"{task}/{utt}", refs
    if prompt_wav is None or prompt_text is None:
        drops.add(where, "missing_prompt_wav" if prompt_wav is None else "missing_prompt_text", "", lang)
        return None
    prompt = _put(prompt_wav, leaf, anchor, writer, remaps)
    if isinstance(prompt, str):
        drops.add(where, prompt, f"prompt {prompt_wav}", lang)
        return None
    reference: tuple[str, str] | str | None = _put(gt_wav, leaf, anchor, writer, remaps) if gt_wav else None
    if isinstance(reference, str):
        drops.add(where, "reference_" + reference, f"gt {gt_wav}; the item is kept without a reference", lang)
        reference = None
    return Item(
        id=f"{suite}-{task.replace('/', '-')}-{utt}",
        suite=suite,
        subset=subset,
        language=lang,
        text=target,
        prompt_audio=prompt[0],
        prompt_sha256=prompt[1],
        prompt_text=prompt_text or None,
        speaker_id=f"cv3:{task}:{utt}" if reference else None,  # continuation: the prompt speaker's own recording
        reference_audio=reference[0] if reference else None,
        reference_sha256=reference[1] if reference else None,
        source=f"CV3-Eval {task} {utt}",
        extra=extra,
    )
