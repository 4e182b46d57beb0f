"""What every builder shares: seeded RNGs, audio export, the drop log, and the three output files.

A suite is only reproducible if a second build from the same inputs gives the same bytes, and only
trustworthy if nothing disappears silently. So: randomness comes from `rng_for(seed, *keys)` (one
independent stream per language/subset, so adding a language never reshuffles another); audio is
re-encoded to 16-bit FLAC (lossless for the PCM16 sources) or copied byte-for-byte; outputs carry
no timestamps or absolute paths; every skipped row lands in the drop log with a reason; and the
finished manifest must pass `validate_manifest` before a builder returns.
"""

from __future__ import annotations

import json
import platform
import random
import re
import shutil
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from ztts_eval.hashing import sha256_bytes, sha256_file, sha256_json
from ztts_eval.pipeline.aggregate import group_label
from ztts_eval.pipeline.manifest import Item, write_manifest
from ztts_eval.pipeline.validate import validate_manifest

LOCK_VERSION = 1
MANIFEST_NAME = "manifest.jsonl"
LOCK_NAME = "manifest.lock.json"
REPORT_NAME = "build_report.json"
MARKER_NAME = ".ztts_eval_build"  # marks a folder as a builder's output, so a rebuild may clear it
AUDIO_FORMATS = ("flac16", "copy")
T = TypeVar("T")
U = TypeVar("U")


class BuildError(ValueError):
    """Missing or invalid input; the message names the file (or recipe key) and the problem."""


@dataclass(frozen=True)
class Drop:
    id: str  # source-level id: file name, utterance id, or "file:line"
    reason: str  # short machine-readable reason, e.g. "audio_missing"
    detail: str = ""
    language: str | None = None

    def to_json(self) -> dict[str, str]:
        return {k: v for k, v in asdict(self).items() if v not in (None, "")}


@dataclass(frozen=True)
class BuildResult:
    manifest: Path
    lock: Path
    report: Path
    counts: dict[str, int]  # items per table column: the language, or the subset for hard_*
    dropped: list[Drop]
    shortfall: dict[str, int]  # column -> items the recipe asked for but the data could not supply


def need(recipe: dict[str, Any], key: str) -> Any:
    if key not in recipe:
        raise BuildError(f"recipe: missing key {key!r}")
    return recipe[key]


def bounds(recipe: dict[str, Any], key: str, default: tuple[float, float]) -> tuple[float, float]:
    value = recipe.get(key, default)
    if not (isinstance(value, (list, tuple)) and len(value) == 2 and 0 <= float(value[0]) < float(value[1])):
        raise BuildError(f"recipe: {key!r} must be [min, max] with 0 <= min < max, got {value!r}")
    return float(value[0]), float(value[1])


def rng_for(seed: int | str, *keys: object) -> random.Random:
    """An independent, platform-stable stream per (seed, keys); str seeding hashes with SHA-512."""
    return random.Random(":".join(str(k) for k in (seed, *keys)))


def safe_name(text: str) -> str:
    """A file-system-safe name; a changed name gets a digest of the original so names never collide."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._")
    return safe if safe == text else f"{safe or 'x'}_{sha256_bytes(text.encode())[:8]}"


def source_label(path: Path, root: Path) -> str:
    """A file's path relative to the source root (POSIX), or a flattened name for one outside it."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:  # outside the root: a digest of the path keeps names unique but not revealing
        return f"external/{sha256_bytes(str(path.resolve()).encode())[:12]}/{path.name}"


def audio_stem(label: str) -> str:
    """Destination (without extension) under audio/ for a source label, every part made file-safe."""
    parts = [safe_name(p) for p in Path(label).with_suffix("").parts if p not in ("", ".", "/")]
    return "audio/" + "/".join(parts)


def probe_audio(path: Path) -> tuple[float | None, str | None]:
    """(duration in seconds, None), or (None, drop reason) for a missing/unreadable/empty file."""
    import soundfile as sf

    if not path.is_file():
        return None, "audio_missing"
    try:
        info = sf.info(str(path))
    except Exception:  # soundfile raises several types for unreadable files
        return None, "audio_unreadable"
    if info.frames <= 0 or info.samplerate <= 0:
        return None, "audio_empty"
    return info.frames / info.samplerate, None


class DropLog:
    def __init__(self) -> None:
        self.items: list[Drop] = []

    def add(self, id_: str, reason: str, detail: str = "", language: str | None = None) -> None:
        self.items.append(Drop(id_, reason, detail, language))

    def to_json(self, max_per_reason: int) -> dict[str, Any]:
        by_language: dict[str, Counter] = defaultdict(Counter)
        listed, not_listed, seen = [], Counter(), Counter()
        for d in self.items:
            by_language[d.language or "-"][d.reason] += 1
            seen[d.reason] += 1
            if seen[d.reason] <= max_per_reason:
                listed.append(d.to_json())
            else:
                not_listed[d.reason] += 1
        return {
            "dropped_total": len(self.items),
            "dropped_by_reason": dict(sorted(seen.items())),
            "dropped_by_language": {k: dict(sorted(v.items())) for k, v in sorted(by_language.items())},
            "dropped": listed,
            "dropped_not_listed": dict(sorted(not_listed.items())),
        }


class AudioWriter:
    """Exports source audio under the output folder once per destination, recording provenance."""

    def __init__(self, out_dir: Path, audio_format: str = "flac16") -> None:
        if audio_format not in AUDIO_FORMATS:
            raise BuildError(f"recipe: audio_format must be one of {AUDIO_FORMATS}, got {audio_format!r}")
        self.out_dir, self.audio_format = out_dir, audio_format
        self.written: dict[str, dict[str, str]] = {}  # relative path -> source label and checksums
        self._paths: dict[str, Path] = {}

    def put(self, src: Path, rel_stem: str, label: str) -> tuple[str, str]:
        """Write `src` as <out>/<rel_stem>.<ext>; return (relative path, SHA-256 of the written file)."""
        rel = rel_stem + (".flac" if self.audio_format == "flac16" else src.suffix.lower())
        if rel in self.written:
            if self.written[rel]["source"] != label or self._paths[rel] != src.resolve():
                raise BuildError(f"two sources map to {rel}: {self.written[rel]['source']} and {label} ({src})")
            return rel, self.written[rel]["sha256"]
        dst = self.out_dir / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if self.audio_format == "copy":
            shutil.copyfile(src, dst)
        else:
            _write_flac16(src, dst)
        sha = sha256_file(dst)
        self.written[rel] = {"source": label, "source_sha256": sha256_file(src), "sha256": sha}
        self._paths[rel] = src.resolve()
        return rel, sha


def _write_flac16(src: Path, dst: Path) -> None:
    import soundfile as sf

    try:
        info = sf.info(str(src))
        if info.subtype == "PCM_16" and info.channels == 1:
            data, sr = sf.read(str(src), dtype="int16")  # bit-exact path for FLEURS-R's PCM16 WAVs
        else:
            data, sr = sf.read(str(src), dtype="float64", always_2d=True)
            data = data.mean(axis=1)
    except Exception as exc:
        raise BuildError(f"{src}: unreadable audio ({exc})") from None
    if len(data) == 0 or not np.all(np.isfinite(data)):
        raise BuildError(f"{src}: zero-length audio or non-finite samples (NaN or Inf)")
    if data.dtype != np.int16:
        data = np.clip(data, -1.0, 1.0)
    sf.write(str(dst), data, sr, format="FLAC", subtype="PCM_16")


def prepare_out_dir(out_dir: Path) -> None:
    """Refuse a non-empty folder that is not an earlier build; clear an earlier build's outputs."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise BuildError(f"{out_dir}: output path exists and is not a folder")
    if out_dir.is_dir() and any(out_dir.iterdir()):
        if not (out_dir / MARKER_NAME).is_file():
            raise BuildError(f"{out_dir}: output folder is not empty and is not an earlier build (no {MARKER_NAME})")
        shutil.rmtree(out_dir / "audio", ignore_errors=True)
        for name in (MANIFEST_NAME, MANIFEST_NAME + ".meta.json", LOCK_NAME, REPORT_NAME):
            (out_dir / name).unlink(missing_ok=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / MARKER_NAME).write_text("built by ztts_eval.suites; a rebuild replaces audio/ and the manifest files\n")


def file_fingerprint(files: dict[str, Path]) -> dict[str, Any]:
    """SHA-256 of each named input file plus one digest over all of them (labels, not paths)."""
    digests = {label: sha256_file(path) for label, path in sorted(files.items())}
    return {"files": digests, "fingerprint": sha256_json(digests)}


def _dump(path: Path, obj: Any) -> None:
    path.write_text(json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


def finish(
    out_dir: Path,
    items: list[Item],
    *,
    builder: str,
    recipe: dict[str, Any],
    source: dict[str, Any],
    writer: AudioWriter,
    drops: DropLog,
    shortfall: dict[str, int],
    details: dict[str, Any],
) -> BuildResult:
    """Write manifest + sidecar, lock file and drop report; refuse to return an invalid manifest."""
    import soundfile as sf

    counts = dict(sorted(Counter(group_label(it.subset, it.language) for it in items).items()))
    _dump(  # written first, so a build where nothing survives still says why
        out_dir / REPORT_NAME,
        {
            "suite": recipe.get("suite"),
            "builder": builder,
            "selected": counts,
            "shortfall": dict(sorted(shortfall.items())),
            **details,
            **drops.to_json(int(recipe.get("max_listed_drops_per_reason", 1000))),
        },
    )
    if not items:
        top = ", ".join(f"{k} {v}" for k, v in sorted(Counter(d.reason for d in drops.items).items()))
        raise BuildError(f"{builder}: no items could be built ({top or 'nothing listed'}; see {out_dir / REPORT_NAME})")
    manifest = write_manifest(out_dir / MANIFEST_NAME, items, str(recipe.get("manifest_version", "1")))
    problems = validate_manifest(manifest)  # also catches duplicate ids
    if problems:
        raise BuildError(f"{manifest}: built manifest fails validation: {'; '.join(map(str, problems[:10]))}")
    _dump(
        out_dir / LOCK_NAME,
        {
            "lock_version": LOCK_VERSION,
            "suite": recipe.get("suite"),
            "builder": builder,
            "manifest": MANIFEST_NAME,
            "manifest_sha256": sha256_file(manifest),
            "rows": len(items),
            "recipe": recipe,
            "recipe_sha256": sha256_json(recipe),
            "seed": recipe.get("seed"),
            "source": source,
            "audio_format": writer.audio_format,
            "audio": dict(sorted(writer.written.items())),
            "environment": {
                "python": platform.python_version(),
                "soundfile": sf.__version__,
                "libsndfile": sf.__libsndfile_version__,
            },
            "items": [{"id": it.id, "prompt_sha256": it.prompt_sha256, "reference_sha256": it.reference_sha256} for it in items],
        },
    )
    return BuildResult(
        manifest, out_dir / LOCK_NAME, out_dir / REPORT_NAME, counts, list(drops.items), dict(sorted(shortfall.items()))
    )


def pick_with_fallback(
    candidates: list[T], splits: list[str], count: int, rng: random.Random, split_of: Callable[[T], str]
) -> tuple[list[T], dict[str, int]]:
    """Up to `count` candidates, seeded, from the first split; later splits only top up a shortfall."""
    chosen: list[T] = []
    used: dict[str, int] = {}
    for split in splits:
        pool = [c for c in candidates if split_of(c) == split]
        rng.shuffle(pool)
        take = pool[: max(0, count - len(chosen))]
        chosen, used[split] = chosen + take, len(take)
    return chosen, {k: v for k, v in used.items() if v}


def assign(
    prompts: list[T], targets: list[U], rng: random.Random, same: Callable[[T, U], bool], reuse: bool
) -> tuple[list[tuple[T, U]], list[T]]:
    """Pair each prompt with the next target of a seeded order that is not `same` as the prompt.

    With `reuse`, the order is walked cyclically (targets repeat evenly once all are used);
    without, each target is used at most once. Returns (pairs, prompts left without a target).
    """
    order = list(targets)
    rng.shuffle(order)
    pairs, unpaired, cursor = [], [], 0
    for prompt in prompts:
        n = len(order)
        hit = next((j for j in range(n) if not same(prompt, order[(cursor + j) % n])), None) if n else None
        if hit is None:
            unpaired.append(prompt)
            continue
        idx = (cursor + hit) % n
        pairs.append((prompt, order[idx]))
        if reuse:
            cursor = idx + 1
        else:
            order.pop(idx)
            cursor = idx
    return pairs, unpaired
