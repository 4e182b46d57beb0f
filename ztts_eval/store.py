"""Content-addressed cache for generations and scores: what makes re-running a command resume.

Records live in SQLite (each commit is atomic, so SIGKILL never leaves half a row); audio lives in
`audio/<sha[:2]>/<sha>.flac`, written via temp file + rename. Keys are SHA-256 hashes of everything
that determines the value, so a changed adapter, metric, text, prompt or seed is a cache miss.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np

from ztts_eval.audio import write_flac_atomic
from ztts_eval.hashing import sha256_file, sha256_json

SCHEMA = """
CREATE TABLE IF NOT EXISTS generations (key TEXT PRIMARY KEY, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS scores (key TEXT PRIMARY KEY, record TEXT NOT NULL);
"""


def generation_key(
    adapter_fp: dict, item_id: str, text: str, language: str, prompt_sha: str | None, reference_sha: str | None, seed: int
) -> str:
    """The reference recording is part of the key because the ground-truth "system" returns it."""
    return sha256_json(
        {
            "adapter": adapter_fp,
            "item": item_id,
            "text": text,
            "language": language,
            "prompt": prompt_sha,
            "reference": reference_sha,
            "seed": seed,
        }
    )


def audio_relpath(sha: str) -> str:
    """Where a stored audio file lives inside the store's folder."""
    return f"audio/{sha[:2]}/{sha}.flac"


def score_key(metric_fp: dict, audio_sha: str, inputs: dict[str, Any]) -> str:
    return sha256_json({"metric": metric_fp, "audio": audio_sha, "inputs": inputs})


BUSY_TIMEOUT_S = 60.0  # how long a run waits for another run holding the same cache


class StoreBusy(RuntimeError):
    """Another run held the cache for longer than BUSY_TIMEOUT_S."""


class Store:
    """One connection per run. Several runs may share a cache: every connection waits up to
    BUSY_TIMEOUT_S for the others (busy timeout), including for the one-time switch to WAL, which
    SQLite answers with "database is locked" without consulting the busy handler."""

    def __init__(self, root: str | Path, busy_timeout_s: float = BUSY_TIMEOUT_S, records: str = "rw") -> None:
        """`records`: "rw" for a run's writer, "ro" for a reader beside it on the same disk, "none"
        for audio and arrays only (a Ray actor: it never opens the SQLite file, which must not be
        shared over a network filesystem; docs/decisions.md §16)."""
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._db = None
        if records == "ro":
            uri = f"file:{self.root / 'store.sqlite'}?mode=ro"
            self._db = sqlite3.connect(uri, uri=True, timeout=busy_timeout_s, isolation_level=None)
        if records != "rw":
            return
        self._db = sqlite3.connect(self.root / "store.sqlite", timeout=busy_timeout_s, isolation_level=None)
        self._db.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
        deadline = time.monotonic() + busy_timeout_s
        while True:
            try:
                if self._db.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                    self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
                self._db.executescript(SCHEMA)
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    self._db.close()
                    raise
                if time.monotonic() > deadline:
                    self._db.close()
                    raise StoreBusy(
                        f"cache {self.root} is locked by another run for more than {busy_timeout_s:g} s; "
                        "wait for it or pass a different --cache-dir"
                    ) from None
                time.sleep(0.05)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()

    # -- records -----------------------------------------------------------------------------
    def get_many(self, table: str, keys: list[str]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for key, rec in self._db.execute(f"SELECT key, record FROM {table} WHERE key IN ({marks})", chunk):
                out[key] = json.loads(rec)
        return out

    def put_many(self, table: str, records: dict[str, dict[str, Any]]) -> None:
        """One transaction per batch: either all of the batch's rows land or none do."""
        rows = [(k, json.dumps(v, sort_keys=True, allow_nan=False)) for k, v in records.items()]
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany(f"INSERT OR REPLACE INTO {table} (key, record) VALUES (?, ?)", rows)

    # -- audio --------------------------------------------------------------------------------
    def put_audio(self, samples: np.ndarray, sample_rate: int) -> tuple[str, Path]:
        """Store audio; its key is the SHA-256 of the stored file (what every metric reads)."""
        tmp = self.root / "audio" / "incoming" / f"{uuid.uuid4().hex}.flac"
        write_flac_atomic(tmp, samples, sample_rate)
        sha = sha256_file(tmp)
        final = self.audio_path(sha)
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp.replace(final)
        return sha, final

    def audio_path(self, sha: str) -> Path:
        return Path(f"{self.root}/{audio_relpath(sha)}")  # one Path, not three joins: warm runs build 10,000s

    # -- array features (frame-level embeddings too large for a JSON record) --------------
    def put_array(self, key: str, array: np.ndarray) -> str:
        """Store an array under a content key (temp file + rename); returns its key for records."""
        path = self.root / "arrays" / key[:2] / f"{key}.npy"
        path.parent.mkdir(parents=True, exist_ok=True)
        with unique_temp(path) as tmp:  # two runs may store the same array at once
            with open(tmp, "wb") as fh:
                np.save(fh, np.ascontiguousarray(array))
            os.replace(tmp, path)
        return key

    def get_array(self, key: str) -> np.ndarray:
        return np.load(self.root / "arrays" / key[:2] / f"{key}.npy", allow_pickle=False)


class unique_temp:
    """A temp file name beside `path`, unique per writer, removed if the rename did not happen.

    Shared assets (arrays, noise sets) may be written by two runs at once; a fixed temp name lets
    one run rename the other's half-written file away (FileNotFoundError, or a torn file)."""

    def __init__(self, path: Path, suffix: str = ".tmp") -> None:
        self.path, self.suffix = Path(path), suffix

    def __enter__(self) -> Path:
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=self.suffix)
        os.close(fd)
        self.tmp = Path(tmp)
        return self.tmp

    def __exit__(self, *exc: object) -> None:
        self.tmp.unlink(missing_ok=True)
