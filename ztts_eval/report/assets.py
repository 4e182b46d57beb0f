"""Audio on a page: linked where it lies (the results cache, the suite), or copied beside the page.

A linked page plays only where it was written; a bundled page (`report --bundle`, every listening
test) copies each file once into `audio/` next to the page, named by content hash, so the folder
can be moved, zipped or kept as a CI artifact and still plays. Content-hash names also keep a
blind listening test blind: no file name says which system made it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ztts_eval.hashing import sha256_file
from ztts_eval.pipeline.results import atomic_write_text


def write_page(path: Path, text: str) -> None:
    """Atomically, readable by others (a page is served, zipped, uploaded as an artifact)."""
    atomic_write_text(path, text)
    path.chmod(0o644)


class AudioLinks:
    """Turns audio files into URLs relative to a page folder."""

    def __init__(self, page_dir: Path, bundle: bool, strict: bool = True) -> None:
        self.page_dir = Path(page_dir)
        self.bundle = bundle
        self.strict = strict  # False: a missing file gets no player and is listed in `missing`
        self.missing: list[Path] = []
        self._urls: dict[Path, str] = {}
        self.copied_bytes = 0

    def url(self, path: Path | None) -> str | None:
        if path is None:
            return None
        path = Path(path).resolve()
        if path in self._urls:
            return self._urls[path]
        if not path.is_file():
            if self.strict:
                raise FileNotFoundError(f"audio file {path} is missing (was the results cache or the suite moved?)")
            self.missing.append(path)
            return None
        if self.bundle:
            name = f"{sha256_file(path)[:20]}{path.suffix.lower()}"
            target = self.page_dir / "audio" / name
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                tmp = target.with_name(f".{name}.tmp")
                shutil.copyfile(path, tmp)
                os.replace(tmp, target)
                self.copied_bytes += target.stat().st_size
            url = f"audio/{name}"
        else:
            url = Path(os.path.relpath(path, self.page_dir)).as_posix()
        self._urls[path] = url
        return url
