"""torchaudio 2.11's own Python code, importable beside CPU torch, for tests that compare our
ports with it. `make test-deps` downloads the wheel (1.7 MB, no dependencies) into
.venv/reference-wheels/; its CUDA-linked .so files are left out, which the pure-Python parts we
compare against (transforms, functional.resample) never need."""

from __future__ import annotations

import importlib
import sys
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[2]
WHEELS = REPO / ".venv" / "reference-wheels"


def _is_torchaudio(name: str) -> bool:
    return name == "torchaudio" or name.startswith("torchaudio.")


@contextmanager
def reference_torchaudio(tmp_path: Path) -> Iterator[ModuleType]:
    """Yield the wheel's `torchaudio` package; sys.modules and sys.path are restored afterwards."""
    wheels = sorted(WHEELS.glob("torchaudio-*.whl"))
    assert wheels, "reference wheel missing: run `make test-deps` (pip download --no-deps torchaudio==2.11.0)"
    with zipfile.ZipFile(wheels[-1]) as z:
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
