"""`ztts-eval models download`: fetch every pinned piece into one folder, with a lock file.

On a machine with a network: Hugging Face repos at their revision (an unpinned one — Qwen3-ASR,
the HuBERTs — is resolved to a commit first and the lock records what was got), torch.hub code at
its pinned ref (the same zip torch.hub fetches), release weight files and archives. Each file's
SHA-256 goes into `ztts-models.lock.json`; copying the folder to an offline machine and setting
ZTTS_EVAL_MODELS there is the whole offline setup. Re-running skips what the lock already holds.
Endpoints: HF_ENDPOINT (huggingface_hub's own variable) and ZTTS_EVAL_GITHUB_ENDPOINT (tests point
both at a loopback server).
"""

from __future__ import annotations

import io
import os
import shutil
import tarfile
import tempfile
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

from ztts_eval.hashing import sha256_bytes, sha256_file
from ztts_eval.setup import models_dir as md
from ztts_eval.setup.pieces import DOWNLOADABLE, Piece

GITHUB = "https://github.com"


class DownloadError(RuntimeError):
    pass


def _github(url: str) -> str:
    endpoint = os.environ.get("ZTTS_EVAL_GITHUB_ENDPOINT", "").rstrip("/")
    return endpoint + url[len(GITHUB) :] if endpoint and url.startswith(GITHUB) else url


def _get(url: str, timeout: float = 600) -> bytes:
    try:
        with urllib.request.urlopen(_github(url), timeout=timeout) as resp:  # noqa: S310 (https or a loopback test endpoint)
            return resp.read()
    except OSError as exc:
        raise DownloadError(f"{url}: {exc}") from None


def _hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): sha256_file(p)
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".cache" not in p.relative_to(root).parts
    }


def _replace_dir(target: Path, fill: Any) -> None:
    """Fill a temporary sibling, then swap it in: an interrupted download never leaves half a folder."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        fill(tmp)
        if target.exists():
            shutil.rmtree(target)
        tmp.rename(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _fetch_hf(root: Path, piece: Piece) -> dict[str, Any]:
    try:
        from huggingface_hub import HfApi, snapshot_download
    except ImportError:
        raise DownloadError("huggingface_hub is not installed: pip install -e '.[asr]'") from None
    try:
        commit = HfApi().model_info(piece.name, revision=piece.ref).sha
        _replace_dir(md.hf_path(root, piece.name), lambda d: snapshot_download(piece.name, revision=commit, local_dir=d))
    except Exception as exc:
        raise DownloadError(
            f"{piece.name}@{piece.ref or 'main'}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
        ) from None
    path = md.hf_path(root, piece.name)
    shutil.rmtree(path / ".cache", ignore_errors=True)  # huggingface_hub's download bookkeeping
    return {
        "source": f"hf://{piece.name}",
        "requested": piece.ref,
        "revision": commit,
        "path": str(path.relative_to(root)),
        "files": _hashes(path),
    }


def _extract_zip(data: bytes, dest: Path) -> None:
    """torch.hub's zipball: one top folder (owner-repo-sha) whose contents are the repository."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for info in zf.infolist():
            parts = Path(info.filename).parts[1:]
            if not parts or info.is_dir():
                continue
            if ".." in parts or Path(info.filename).is_absolute():
                raise DownloadError(f"unsafe path in archive: {info.filename}")
            out = dest.joinpath(*parts)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(zf.read(info))


def _fetch_torch_hub(root: Path, piece: Piece) -> dict[str, Any]:
    url = f"{GITHUB}/{piece.name}/zipball/{piece.ref}"
    data = _get(url)
    path = md.torch_hub_path(root, piece.name, piece.ref or "")
    _replace_dir(path, lambda d: _extract_zip(data, d))
    if not (path / "hubconf.py").is_file():
        raise DownloadError(f"{url}: the archive has no hubconf.py at its top")
    return {
        "source": url,
        "revision": piece.ref,
        "archive_sha256": sha256_bytes(data),
        "path": str(path.relative_to(root)),
        "files": _hashes(path),
    }


def _fetch_file(root: Path, piece: Piece) -> dict[str, Any]:
    data = _get(piece.name)
    path = md.file_path(root, piece.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".part")
    tmp.write_bytes(data)
    tmp.replace(path)
    return {"source": piece.name, "revision": None, "path": str(path.relative_to(root)), "files": {path.name: sha256_bytes(data)}}


def _fetch_archive(root: Path, piece: Piece) -> dict[str, Any]:
    data = _get(piece.name)
    path = md.archive_path(root, piece.ref or "")

    def fill(d: Path) -> None:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tf:
            tf.extractall(d, filter="data")  # refuses absolute paths, links out of the folder, devices

    _replace_dir(path, fill)
    return {
        "source": piece.name,
        "revision": None,
        "archive_sha256": sha256_bytes(data),
        "path": str(path.relative_to(root)),
        "files": _hashes(path),
    }


FETCHERS = {"hf": _fetch_hf, "torch_hub": _fetch_torch_hub, "file": _fetch_file, "archive": _fetch_archive}


def lock_key(piece: Piece) -> str:
    return f"{piece.kind}:{piece.ref if piece.kind == 'archive' else piece.name}"


def download(root: Path, pieces: list[Piece], echo: Any = print) -> tuple[dict[str, Any], list[str]]:
    """Fetch what the lock does not hold yet; returns (lock, one error line per failed piece)."""
    root.mkdir(parents=True, exist_ok=True)
    lock = md.read_lock(root)
    errors = []
    for piece in pieces:
        if piece.kind not in DOWNLOADABLE:
            continue
        key, held = lock_key(piece), lock["pieces"].get(lock_key(piece))
        if (
            held
            and (root / held["path"]).exists()
            and (piece.kind == "archive" or not piece.ref or piece.ref in (held.get("revision"), held.get("requested")))
        ):
            echo(f"have     {piece.label}")
            continue
        try:
            lock["pieces"][key] = {"kind": piece.kind, "needed_by": piece.needed_by, **FETCHERS[piece.kind](root, piece)}
        except DownloadError as exc:
            errors.append(f"{piece.needed_by}: {exc}")
            echo(f"FAILED   {piece.label}: {exc}")
            continue
        md.write_lock(root, lock)  # after each piece: an interrupted download resumes
        echo(f"fetched  {piece.label} ({len(lock['pieces'][key]['files'])} file(s))")
    md.write_lock(root, lock)
    return lock, errors
