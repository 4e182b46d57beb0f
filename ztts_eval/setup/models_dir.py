"""One folder holding every pinned model piece, so it can be copied to an offline machine.

`ztts-eval models download` fills it; `ZTTS_EVAL_MODELS=DIR` (or `--models DIR`) makes every loader
look there first. The layout mirrors where each piece's own tooling would put it, one kind per
top folder, and a lock file records the source, revision and SHA-256 of every file:

    DIR/ztts-models.lock.json
    DIR/hf/<owner>/<name>/                    Hugging Face snapshot of the pinned (or recorded) commit
    DIR/torch_hub/<owner>_<repo>_<ref>/       torch.hub code at its pinned ref (torch.hub's own naming)
    DIR/files/<file name>                     release weight files (ReDimNet, UTMOS22)
    DIR/archives/<name>/                      extracted archives (the Allosaurus model)
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

ENV = "ZTTS_EVAL_MODELS"
LOCK_NAME = "ztts-models.lock.json"
LOCK_FORMAT = 1


class ModelsDirError(RuntimeError):
    """The models folder is set but does not hold what the run asks for, as it asks for it."""


def models_dir() -> Path | None:
    value = os.environ.get(ENV, "").strip()
    return Path(value).expanduser() if value else None


def read_lock(root: Path) -> dict[str, Any]:
    path = root / LOCK_NAME
    if not path.is_file():
        return {"format": LOCK_FORMAT, "pieces": {}}
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ModelsDirError(
            f"{path}: not valid JSON ({exc.msg} at line {exc.lineno}); re-run `ztts-eval models download`"
        ) from None
    if data.get("format") != LOCK_FORMAT:
        raise ModelsDirError(f"{path}: lock format {data.get('format')!r}, this ztts-eval reads {LOCK_FORMAT}")
    return data


def write_lock(root: Path, lock: dict[str, Any]) -> Path:
    path = root / LOCK_NAME
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(lock, indent=1, sort_keys=True) + "\n")
    tmp.replace(path)
    return path


def hf_path(root: Path, repo_id: str) -> Path:
    return root / "hf" / repo_id


def torch_hub_path(root: Path, owner_repo: str, ref: str) -> Path:
    owner, repo = owner_repo.split("/")
    return root / "torch_hub" / f"{owner}_{repo}_{ref.replace('/', '_')}"


def file_path(root: Path, url: str) -> Path:
    return root / "files" / url.rsplit("/", 1)[-1]


def archive_path(root: Path, name: str) -> Path:
    return root / "archives" / name


def find_hf(repo_id: str, revision: str | None) -> tuple[Path, str] | None:
    """(snapshot directory, its commit) from the models folder, or None when it is not there.
    A folder holding another revision than the one asked for is an error, never a silent swap."""
    root = models_dir()
    if root is None or not hf_path(root, repo_id).is_dir():
        return None
    entry = read_lock(root)["pieces"].get(f"hf:{repo_id}")
    if entry is None:
        raise ModelsDirError(f"{hf_path(root, repo_id)} is not in {root / LOCK_NAME}; re-run `ztts-eval models download`")
    if revision and revision not in (entry["revision"], entry.get("requested")):
        raise ModelsDirError(
            f"{repo_id}: the models folder {root} holds revision {entry['revision'][:12]}, the run asks for {revision}; "
            f"re-run `ztts-eval models download` with that revision or drop the revision parameter"
        )
    return hf_path(root, repo_id), entry["revision"]


def find_torch_hub(owner_repo: str, ref: str) -> Path | None:
    root = models_dir()
    path = torch_hub_path(root, owner_repo, ref) if root else None
    return path if path is not None and (path / "hubconf.py").is_file() else None


def find_file(url: str) -> Path | None:
    root = models_dir()
    path = file_path(root, url) if root else None
    return path if path is not None and path.is_file() else None


def find_archive(name: str) -> Path | None:
    root = models_dir()
    path = archive_path(root, name) if root else None
    return path if path is not None and path.is_dir() else None
