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

# Bump when what a check computes changes: older cached results are then ignored.
CHECKS_VERSION = "1"
DB_NAME = "file_checks.sqlite"


@dataclass(frozen=True)
class FileCheck:
    sha256: str | None  # None when the file could not be read
    problem: str | None  # unreadable audio, zero-length or non-finite samples


def check_file(path: Path) -> FileCheck:
    """Decode and hash one file (the expensive part of validation)."""
    try:
        audio = read_audio(path)
    except AudioError as exc:
        return FileCheck(None, str(exc))
    return FileCheck(sha256_file(path), check_signal(audio.samples))


def _identity(path: Path) -> str:
    st = os.stat(path)
    return f"{CHECKS_VERSION}|{path}|{st.st_size}|{st.st_mtime_ns}|{st.st_ctime_ns}|{st.st_ino}"


class FileChecks:
    """`get(path)` → FileCheck, computed at most once per unchanged file across runs.

    `cache_dir=None` keeps results for this process only. Counters `hashed` and `reused` say how
    much work a validation did (the tests and the benchmark read them)."""

    def __init__(self, cache_dir: Path | None = None, *, revalidate: bool = False, workers: int = 2) -> None:
        self.revalidate, self.workers = revalidate, max(1, workers)
        self.hashed = self.reused = 0
        self._mem: dict[str, FileCheck] = {}
        self._db = None
        if cache_dir is not None:
            Path(cache_dir).mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(Path(cache_dir) / DB_NAME, timeout=60, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS checks (identity TEXT PRIMARY KEY, sha256 TEXT, problem TEXT)")

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def __enter__(self) -> FileChecks:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _stored(self, identities: list[str]) -> dict[str, FileCheck]:
        if self._db is None or self.revalidate:
            return {}
        out = {}
        for i in range(0, len(identities), 500):
            chunk = identities[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for ident, sha, problem in self._db.execute(
                f"SELECT identity, sha256, problem FROM checks WHERE identity IN ({marks})", chunk
            ):
                out[ident] = FileCheck(sha, problem)
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
        if self._db is not None:
            rows = [(ident, r.sha256, r.problem) for ident, r in fresh.items()]
            with self._db:
                self._db.execute("BEGIN")
                self._db.executemany("INSERT OR REPLACE INTO checks (identity, sha256, problem) VALUES (?, ?, ?)", rows)

    def get(self, path: Path) -> FileCheck:
        ident = _identity(path)
        if ident not in self._mem:
            self.prefetch([path])
        return self._mem[ident]
