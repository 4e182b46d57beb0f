"""torch.hub models (ReDimNet, SpeechMOS) without surprises: pinned code, explicit trust, safe weights.

A torch.hub repository is code from GitHub. We use it only from (a) a local clone the user points
to (`hub_dir`), (b) torch.hub's cache of the pinned ref, or (c) a download of the pinned ref when
the user opted in (`trust_repo=true`). Weights come from a local file, torch.hub's checkpoint
cache, or a download; they are always read with `torch.load(weights_only=True)` — we build the
model ourselves from the repo's class instead of calling its hubconf, which would unpickle freely.
Offline (HF_HUB_OFFLINE=1 or ZTTS_EVAL_OFFLINE=1) nothing is downloaded.
"""

from __future__ import annotations

import importlib
import os
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from ztts_eval.hashing import sha256_file, sha256_json
from ztts_eval.hub import hf_offline
from ztts_eval.setup.models_dir import find_file, find_torch_hub


class HubSetupError(RuntimeError):
    pass


@dataclass(frozen=True)
class HubRepo:
    owner_repo: str  # "IDRnD/ReDimNet"
    ref: str  # a commit or tag: what the code is pinned to

    @property
    def spec(self) -> str:
        return f"{self.owner_repo}:{self.ref}"

    def cache_dir(self) -> Path:
        import torch

        owner, repo = self.owner_repo.split("/")
        return Path(torch.hub.get_dir()) / f"{owner}_{repo}_{self.ref.replace('/', '_')}"


def offline() -> bool:
    return hf_offline() or os.environ.get("ZTTS_EVAL_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def truthy(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def code_dir(repo: HubRepo, hub_dir: str | None, trust_repo: Any, *, what: str, param: str) -> Path:
    if hub_dir:
        path = Path(hub_dir).expanduser()
        if not (path / "hubconf.py").is_file():
            raise HubSetupError(f"{what}: {path} is not a torch.hub repository (no hubconf.py); check {param}.hub_dir")
        return path.resolve()
    found = find_torch_hub(repo.owner_repo, repo.ref)  # the offline models folder (ZTTS_EVAL_MODELS)
    if found is not None:
        return found.resolve()
    cached = repo.cache_dir()
    if cached.is_dir():
        return cached
    if offline():
        raise HubSetupError(
            f"{what}: code {repo.spec} is not in the torch.hub cache ({cached}) and downloads are off; "
            f"clone github.com/{repo.owner_repo} at {repo.ref} and pass {param}.hub_dir=/path/to/clone"
        )
    if not truthy(trust_repo):
        raise HubSetupError(
            f"{what}: loading runs code from github.com/{repo.owner_repo}@{repo.ref}; allow it with "
            f"--metric-param {param}.trust_repo=true, or pass {param}.hub_dir=/path/to/a/clone"
        )
    import torch

    try:
        torch.hub.list(repo.spec, trust_repo=True, verbose=False)  # downloads the pinned ref into the cache
    except Exception as exc:
        raise HubSetupError(
            f"{what}: downloading {repo.spec} failed ({type(exc).__name__}); pass {param}.hub_dir=/path/to/a/clone"
        ) from None
    return cached


def weights_file(url: str, local: str | None, *, what: str, param: str) -> Path:
    if local:
        path = Path(local).expanduser()
        if not path.is_file():
            raise HubSetupError(f"{what}: weights file {path} does not exist (check {param}.weights)")
        return path.resolve()
    found = find_file(url)  # the offline models folder (ZTTS_EVAL_MODELS)
    if found is not None:
        return found.resolve()
    import torch

    cached = Path(torch.hub.get_dir()) / "checkpoints" / url.rsplit("/", 1)[-1]
    if cached.is_file():
        return cached
    if offline():
        raise HubSetupError(
            f"{what}: weights {cached.name} not in the torch.hub cache and downloads are off; "
            f"download {url} and pass {param}.weights=/path/to/{cached.name}"
        )
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        torch.hub.download_url_to_file(url, str(cached), progress=False)
    except Exception as exc:
        raise HubSetupError(
            f"{what}: downloading {url} failed ({type(exc).__name__}); "
            f"fetch it where GitHub is reachable and pass {param}.weights=/path/to/{cached.name}"
        ) from None
    return cached


def import_class(directory: Path, module: str, attr: str) -> type:
    """Import `module:attr` from a repository directory, dropping any earlier copy of its package."""
    top = module.split(".")[0]
    for name in [m for m in sys.modules if m == top or m.startswith(top + ".")]:
        del sys.modules[name]
    sys.path.insert(0, str(directory))
    try:
        return getattr(importlib.import_module(module), attr)
    finally:
        sys.path.remove(str(directory))


def load_weights(path: Path) -> Any:
    import torch

    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise HubSetupError(
            f"{path}: cannot be read with torch.load(weights_only=True) ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0][:160]}); re-save it as a plain state dict"
        ) from None


@lru_cache(maxsize=32)
def _file_sha(path: str, mtime_ns: int, size: int) -> str:
    return sha256_file(path)


def file_fingerprint(path: Path) -> str:
    st = path.stat()
    return _file_sha(str(path), st.st_mtime_ns, st.st_size)


def code_fingerprint(directory: Path) -> str:
    """Content hash of a repository's Python files: identifies a local clone's code exactly."""
    files = sorted(p for p in directory.rglob("*.py") if ".git" not in p.parts)
    return sha256_json([(str(p.relative_to(directory)), file_fingerprint(p)) for p in files])
