"""The manifest: one JSON object per line, one evaluation item per object.

Paths inside a manifest are relative to the manifest's folder, so a suite can be moved or shipped
as one directory. A sidecar (`<manifest>.meta.json`) pins the format version, the row count and
the SHA-256 of the manifest bytes; every result records that checksum.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ztts_eval.hashing import sha256_bytes

FORMAT_VERSION = 1

REQUIRED_FIELDS = ("id", "suite", "subset", "language", "text", "prompt_audio", "prompt_sha256")
OPTIONAL_FIELDS = (
    "prompt_text",
    "speaker_id",
    "reference_audio",
    "reference_sha256",
    "utmos_bin",
    "source",
    "license",
    "extra",
)


@dataclass(frozen=True)
class Item:
    """One thing to say: text, in a language, in the voice of the prompt recording."""

    id: str
    suite: str
    subset: str
    language: str
    text: str
    prompt_audio: str
    prompt_sha256: str
    prompt_text: str | None = None
    speaker_id: str | None = None
    reference_audio: str | None = None  # real recording of `text` by the prompt's speaker
    reference_sha256: str | None = None
    utmos_bin: int | None = None
    source: str | None = None
    license: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None and v != {}}

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Item:
        known = set(REQUIRED_FIELDS) | set(OPTIONAL_FIELDS)
        unknown = sorted(set(obj) - known)
        if unknown:
            raise ValueError(f"unknown field(s): {', '.join(unknown)}")
        missing = [k for k in REQUIRED_FIELDS if k not in obj]
        if missing:
            raise ValueError(f"missing field(s): {', '.join(missing)}")
        return cls(**obj)


class PathResolver:
    """`(root / rel).resolve()` with each folder resolved once per resolver.

    A warm re-run of a 5,000-item suite spent seconds in realpath's lstat of every path component
    of every file. Here a folder is resolved once; the file itself is still looked at each time, and
    a symlinked file (or a name like `..`) is resolved in full, so the result is always the same as
    `Path.resolve()`'s. Answers are kept for the resolver's life (one validation, one run)."""

    def __init__(self, root: Path) -> None:
        self.root = str(root)
        self._folders: dict[str, str] = {}
        self._files: dict[str, Path] = {}
        self._top: str | None = None

    def contains(self, resolved: Path) -> bool:
        """Whether a resolved path lies inside the (resolved) root folder, or is that folder."""
        if self._top is None:
            self._top = os.path.realpath(self.root)
        text = str(resolved)
        return text == self._top or text.startswith(os.path.join(self._top, ""))

    def __call__(self, rel: str) -> Path:
        known = self._files.get(rel)
        if known is None:
            known = self._files[rel] = self._resolve(rel)
        return known

    def _resolve(self, rel: str) -> Path:
        head, name = os.path.split(rel)
        if name in ("", ".", ".."):
            return Path(os.path.realpath(os.path.join(self.root, rel)))
        folder = self._folders.get(head)
        if folder is None:
            folder = self._folders[head] = os.path.realpath(os.path.join(self.root, head))
        full = os.path.join(folder, name)
        try:
            if stat.S_ISLNK(os.lstat(full).st_mode):
                return Path(os.path.realpath(full))
        except OSError:
            pass  # missing: realpath would return the joined path too
        return Path(full)


@dataclass(frozen=True)
class Manifest:
    path: Path
    items: list[Item]
    sha256: str
    _resolver: PathResolver | None = field(default=None, init=False, compare=False, repr=False)

    @property
    def root(self) -> Path:
        return self.path.parent

    def resolve(self, rel: str) -> Path:
        if self._resolver is None:
            object.__setattr__(self, "_resolver", PathResolver(self.root))
        return self._resolver(rel)

    def prompt_path(self, item: Item) -> Path:
        return self.resolve(item.prompt_audio)

    def reference_path(self, item: Item) -> Path | None:
        return self.resolve(item.reference_audio) if item.reference_audio else None


class ManifestError(ValueError):
    pass


def sidecar_path(manifest_path: Path) -> Path:
    return manifest_path.with_name(manifest_path.name + ".meta.json")


# Characters other line-splitters (Python's str.splitlines, some editors) treat as line breaks; json
# leaves them raw with ensure_ascii=False, so they are escaped here. JSON Lines ends a row at \n only.
LINE_BREAKS = {"\u0085": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def dumps_line(obj: Any) -> str:
    """One JSON Lines row, readable text, with no character any reader could take for a line break."""
    line = json.dumps(obj, ensure_ascii=False, sort_keys=True)
    for raw, escaped in LINE_BREAKS.items():
        line = line.replace(raw, escaped)  # only possible inside strings, where the escape means the same
    return line


def split_lines(text: str) -> list[str]:
    """JSON Lines rows: split at \n only (a U+2028 inside a string is not a row break)."""
    return [line.removesuffix("\r") for line in text.split("\n")]


def dumps_items(items: list[Item]) -> bytes:
    return ("\n".join(dumps_line(it.to_json()) for it in items) + "\n").encode("utf-8")


def write_manifest(path: str | Path, items: list[Item], manifest_version: str = "1") -> Path:
    """Write items and their sidecar; identical items always give identical bytes."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = dumps_items(items)
    path.write_bytes(data)
    meta = {
        "format_version": FORMAT_VERSION,
        "manifest_version": manifest_version,
        "rows": len(items),
        "sha256": sha256_bytes(data),
    }
    sidecar_path(path).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    return path


def load_manifest(path: str | Path) -> Manifest:
    """Parse a manifest that is expected to be valid; the first problem raises ManifestError.

    `ztts-eval validate` is the tool that lists *every* problem; `run` calls it first.
    """
    path = Path(path)
    if not path.is_file():
        raise ManifestError(f"{path}: manifest not found")
    data = path.read_bytes()
    items = []
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ManifestError(f"{path}: not UTF-8 ({exc.reason} at byte {exc.start})") from None
    for lineno, line in enumerate(split_lines(text), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict):
                raise ValueError("line is not a JSON object")
            items.append(Item.from_json(obj))
        except RecursionError:
            raise ManifestError(f"{path}:{lineno}: JSON nested too deeply") from None
        except (ValueError, TypeError) as exc:
            raise ManifestError(f"{path}:{lineno}: {exc}") from None
    return Manifest(path=path, items=items, sha256=sha256_bytes(data))
