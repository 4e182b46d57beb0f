"""`ztts-eval validate`: list every problem in a manifest, each with its line number.

A run that silently skips a broken item biases its score (seed-tts-eval's `run_wer.py` did this),
so `run` refuses a manifest with any problem, and this module says exactly what to fix.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from ztts_eval.hashing import sha256_bytes
from ztts_eval.languages import LANGUAGES
from ztts_eval.pipeline.file_checks import FileChecks
from ztts_eval.pipeline.manifest import FORMAT_VERSION, Item, PathResolver, sidecar_path, split_lines
from ztts_eval.pipeline.results_checks import ResultsError, check_name

# Field types (None allowed for optional fields only); checked before any value is used.
FIELD_TYPES: dict[str, type | tuple[type, ...]] = {
    "id": str, "suite": str, "subset": str, "language": str, "text": str, "prompt_audio": str, "prompt_sha256": str,
    "prompt_text": str, "speaker_id": str, "reference_audio": str, "reference_sha256": str, "utmos_bin": int,
    "source": str, "license": str, "extra": dict,
}  # fmt: skip
EXTRA_MAX_DEPTH = 8
EXTRA_MAX_BYTES = 16 * 1024


@dataclass(frozen=True)
class Problem:
    line: int  # 1-based; 0 for whole-file problems (sidecar, checksum)
    item_id: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "file"
        who = f" [{self.item_id}]" if self.item_id else ""
        return f"{where}{who}: {self.message}"


def _audio_problems(paths: PathResolver, field: str, rel: str, expected_sha: str | None, checks: FileChecks) -> list[str]:
    if not isinstance(rel, str) or not rel:
        return [f"{field}: must be a non-empty relative path"]
    if os.path.isabs(rel):
        return [f"{field}: absolute path {rel!r}; paths must be relative to the manifest's folder"]
    resolved = paths(rel)
    if not paths.contains(resolved):
        return [f"{field}: path {rel!r} escapes the manifest's folder"]
    if not resolved.is_file():
        return [f"{field}: file not found: {rel}"]
    problems = []
    check = checks.get(resolved)  # decoded and hashed once per unchanged file (file_checks.py)
    if check.sha256 is None:
        return [f"{field}: {check.problem}"]
    if check.problem:
        problems.append(f"{field}: {check.problem}: {rel}")
    if expected_sha is not None and check.sha256 != expected_sha:
        problems.append(f"{field}: sha256 mismatch for {rel} (file changed since the manifest was built)")
    return problems


def _type_problems(obj: dict) -> list[str]:
    """Wrong JSON types, one message per field; a line with any is not checked further."""
    problems = []
    for name, kind in FIELD_TYPES.items():
        value = obj.get(name)
        if value is None:
            continue  # missing required fields are reported by Item.from_json
        if not isinstance(value, kind) or isinstance(value, bool):
            want = {str: "a string", int: "an integer", dict: "an object"}[kind]  # type: ignore[index]
            problems.append(f"{name}: must be {want}, got {type(value).__name__} {json.dumps(value)[:40]}")
    if isinstance(obj.get("suite"), str):
        try:
            check_name("suite", obj["suite"])
        except ResultsError as exc:
            problems.append(f"suite: {exc}")
    if isinstance(obj.get("extra"), dict):
        depth, size = _depth(obj["extra"]), len(json.dumps(obj["extra"]))
        if depth > EXTRA_MAX_DEPTH or size > EXTRA_MAX_BYTES:
            problems.append(
                f"extra: {depth} levels / {size} bytes; the limit is {EXTRA_MAX_DEPTH} levels and {EXTRA_MAX_BYTES} bytes"
            )
    return problems


def _depth(value: object) -> int:
    """Nesting depth without recursion (a hostile line may nest thousands of levels)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        stack += [(child, level + 1) for child in children if isinstance(child, (dict, list))]
    return deepest


def _item_problems(paths: PathResolver, item: Item, checks: FileChecks) -> list[str]:
    problems = []
    if not isinstance(item.id, str) or not item.id.strip():
        problems.append("id: must be a non-empty string")
    if not isinstance(item.text, str) or not item.text.strip():
        problems.append("text: empty text")
    if item.language not in LANGUAGES:
        problems.append(f"language: unknown language {item.language!r} (see ztts_eval/languages.py)")
    if item.utmos_bin is not None and not isinstance(item.utmos_bin, int):
        problems.append("utmos_bin: must be an integer")
    if not isinstance(item.extra, dict):
        problems.append("extra: must be an object")
    problems += _audio_problems(paths, "prompt_audio", item.prompt_audio, item.prompt_sha256, checks)
    if item.reference_audio is not None:
        problems += _audio_problems(paths, "reference_audio", item.reference_audio, item.reference_sha256, checks)
    return problems


def _sidecar_problems(path: Path, data: bytes, rows: int) -> list[Problem]:
    side = sidecar_path(path)
    if not side.is_file():
        return [Problem(0, None, f"sidecar {side.name} missing (write it with `ztts-eval validate --seal`)")]
    try:
        meta = json.loads(side.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        return [Problem(0, None, f"sidecar {side.name} is not valid JSON ({exc})")]
    if not isinstance(meta, dict):
        return [Problem(0, None, f"sidecar {side.name} is not a JSON object (rewrite it with `ztts-eval validate --seal`)")]
    problems = []
    if meta.get("format_version") != FORMAT_VERSION:
        problems.append(Problem(0, None, f"sidecar format_version {meta.get('format_version')!r} != {FORMAT_VERSION}"))
    if meta.get("sha256") != sha256_bytes(data):
        problems.append(Problem(0, None, "checksum mismatch: manifest bytes differ from the sidecar's sha256"))
    if meta.get("rows") != rows:
        problems.append(Problem(0, None, f"row count mismatch: sidecar says {meta.get('rows')}, file has {rows}"))
    return problems


def _listed_audio(paths: PathResolver, text: str) -> list[Path]:
    """Every audio path the manifest names inside its folder: decoded and hashed up front on two
    threads. Problems with these paths are still reported by the per-line checks."""
    out = []
    for line in split_lines(text):
        try:
            obj = json.loads(line)
        except (json.JSONDecodeError, RecursionError):
            continue
        for rel in (obj.get("prompt_audio"), obj.get("reference_audio")) if isinstance(obj, dict) else ():
            if isinstance(rel, str) and rel and not os.path.isabs(rel):
                resolved = paths(rel)
                if paths.contains(resolved):
                    out.append(resolved)  # missing files are skipped by prefetch
    return out


def validate_manifest(path: str | Path, check_sidecar: bool = True, checks: FileChecks | None = None) -> list[Problem]:
    """Every problem in the manifest. `checks` carries the file-check cache (a run passes the one
    in its cache folder); without it each file is decoded and hashed once in this call."""
    path = Path(path)
    if not path.is_file():
        return [Problem(0, None, f"manifest not found: {path}")]
    data = path.read_bytes()
    paths = PathResolver(path.parent)
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    rows = 0
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return [Problem(0, None, f"not UTF-8 ({exc})")]
    checks = checks if checks is not None else FileChecks()
    checks.prefetch(_listed_audio(paths, text))
    for lineno, line in enumerate(split_lines(text), start=1):
        if not line.strip():
            continue
        rows += 1
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(Problem(lineno, None, f"unparsable JSON ({exc.msg} at column {exc.colno})"))
            continue
        except RecursionError:
            problems.append(Problem(lineno, None, "JSON nested too deeply"))
            continue
        if not isinstance(obj, dict):
            problems.append(Problem(lineno, None, "line is not a JSON object"))
            continue
        item_id = obj.get("id") if isinstance(obj.get("id"), str) else None
        typed = _type_problems(obj)
        if typed:
            problems += [Problem(lineno, item_id, msg) for msg in typed]
            continue
        try:
            item = Item.from_json(obj)
        except (ValueError, TypeError) as exc:
            problems.append(Problem(lineno, item_id, str(exc)))
            continue
        if item_id is not None:
            if item_id in seen:
                problems.append(Problem(lineno, item_id, f"duplicate id (first on line {seen[item_id]})"))
            else:
                seen[item_id] = lineno
        problems += [Problem(lineno, item_id, msg) for msg in _item_problems(paths, item, checks)]
    if rows == 0:
        problems.append(Problem(0, None, "manifest has no items"))
    if check_sidecar:
        problems += _sidecar_problems(path, data, rows)
    return problems
