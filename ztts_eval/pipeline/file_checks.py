"""Audio checks of a manifest's files (decodable, non-empty, finite, SHA-256), cached by file identity.

Decoding and hashing every prompt and reference was ~90 % of a warm re-run. A file's result is
reused while its path, size, modification time, change time and inode are all unchanged (any write,
rename or `touch` changes one of them); anything else is checked again. Results live in
`<cache>/file_checks.sqlite`, beside the run cache, and `--revalidate` ignores them. A cold check
decodes and hashes on two threads (soundfile and hashlib release the GIL); results do not depend
on the order they finish in.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ztts_eval.audio import AudioError, check_signal, read_audio
from ztts_eval.hashing import sha256_file
from ztts_eval.pipeline.flags import recording_flags

# Bump when what a check computes changes: older cached results are then ignored.
CHECKS_VERSION = "2"  # 2: recording flags (silent/clipped) stored with each check
DB_NAME = "file_checks.sqlite"
TABLE = "checks_v2"  # a new table per stored shape: an older cache file is simply not read


@dataclass(frozen=True)
class FileCheck:
    sha256: str | None  # None when the file could not be read
    problem: str | None  # unreadable audio, zero-length or non-finite samples
    flags: tuple[str, ...] = ()  # `silent` / `clipped` at the file's own full scale (pipeline/flags.py)


def check_file(path: Path) -> FileCheck:
    """Decode and hash one file (the expensive part of validation)."""
    try:
        audio = read_audio(path)
    except AudioError as exc:
        return FileCheck(None, str(exc))
    try:
        flags = tuple(recording_flags(path))
    except Exception:  # a file soundfile cannot read at its own rate: decoding problems are reported above
        flags = ()
    return FileCheck(sha256_file(path), check_signal(audio.samples), flags)


def _identity(path: Path) -> str:
    st = os.stat(path)
    return f"{CHECKS_VERSION}|{path}|{st.st_size}|{st.st_mtime_ns}|{st.st_ctime_ns}|{st.st_ino}"


class FileChecks:
    """`get(path)` → FileCheck, computed at most once per unchanged file across runs.

    Fresh results are written to `<cache_dir>/file_checks.sqlite` by `save()` only (a run saves
    once its manifest is clean, so a refused run leaves no folder behind); `cache_dir=None` keeps
    them for this process. Counters `hashed` and `reused` say how much work a validation did."""

    def __init__(self, cache_dir: Path | None = None, *, revalidate: bool = False, workers: int = 2) -> None:
        self.cache_dir, self.revalidate, self.workers = cache_dir, revalidate, max(1, workers)
        self.hashed = self.reused = 0
        self._mem: dict[str, FileCheck] = {}
        self._fresh: dict[str, FileCheck] = {}
        self._db: sqlite3.Connection | None = None

    def _connect(self, create: bool) -> sqlite3.Connection | None:
        if self._db is None and self.cache_dir is not None:
            path = Path(self.cache_dir) / DB_NAME
            if not create and not path.is_file():
                return None
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, timeout=60, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(
                f"CREATE TABLE IF NOT EXISTS {TABLE} (identity TEXT PRIMARY KEY, sha256 TEXT, problem TEXT, flags TEXT)"
            )
        return self._db

    def save(self) -> None:
        """Write the results computed since the last save (nothing without a cache folder)."""
        if self._fresh and self._connect(create=True) is not None:
            rows = [(ident, r.sha256, r.problem, ",".join(r.flags)) for ident, r in self._fresh.items()]
            with self._db:
                self._db.execute("BEGIN")
                self._db.executemany(
                    f"INSERT OR REPLACE INTO {TABLE} (identity, sha256, problem, flags) VALUES (?, ?, ?, ?)", rows
                )
        self._fresh.clear()

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def __enter__(self) -> FileChecks:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _stored(self, identities: list[str]) -> dict[str, FileCheck]:
        db = None if self.revalidate else self._connect(create=False)
        if db is None:
            return {}
        out = {}
        for i in range(0, len(identities), 500):
            chunk = identities[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for ident, sha, problem, flags in db.execute(
                f"SELECT identity, sha256, problem, flags FROM {TABLE} WHERE identity IN ({marks})", chunk
            ):
                out[ident] = FileCheck(sha, problem, tuple(f for f in (flags or "").split(",") if f))
        return out

    def prefetch(self, paths: Iterable[Path]) -> None:
        """Check every listed file that is not already known, in parallel, and remember the results."""
        wanted: dict[str, Path] = {}
        for p in paths:
            try:
                ident = _identity(p)
            except OSError:
                continue  # missing files are reported by the caller's own checks
            if ident not in self._mem:
                wanted.setdefault(ident, p)
        stored = self._stored(list(wanted))
        self._mem.update(stored)
        self.reused += len(stored)
        todo = [(ident, p) for ident, p in wanted.items() if ident not in stored]
        if not todo:
            return
        if self.workers > 1 and len(todo) > 1:
            with ThreadPoolExecutor(max_workers=self.workers) as pool:
                results = list(pool.map(check_file, [p for _, p in todo]))
        else:
            results = [check_file(p) for _, p in todo]
        self.hashed += len(todo)
        fresh = {ident: res for (ident, _), res in zip(todo, results)}
        self._mem.update(fresh)
        self._fresh.update(fresh)

    def get(self, path: Path) -> FileCheck:
        ident = _identity(path)
        if ident not in self._mem:
            self.prefetch([path])
        return self._mem[ident]
