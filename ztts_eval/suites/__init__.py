"""Manifest builders and importers: turn a dataset on disk into a self-contained ztts-eval suite.

Each builder reads one source layout, selects and pairs items by a documented, seeded rule, writes
the audio it uses under the output folder (so the manifest's relative paths resolve anywhere),
and leaves three files behind: the manifest (+ sidecar), a lock file that pins the source and
every checksum, and a report of everything it dropped and why. See manifests/README.md.

The functions are imported lazily so `import ztts_eval.suites` stays cheap.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ztts_eval.suites.common import BuildError, BuildResult, Drop

__all__ = [
    "BuildError",
    "BuildResult",
    "Drop",
    "build_ztts1_clean",
    "build_ztts1_itw",
    "import_cv3",
    "import_seedtts",
    "load_recipe",
]

_LAZY = {
    "build_ztts1_clean": "ztts_eval.suites.fleurs_r",
    "build_ztts1_itw": "ztts_eval.suites.voxblink2",
    "import_seedtts": "ztts_eval.suites.seedtts",
    "import_cv3": "ztts_eval.suites.cv3",
}


def load_recipe(path: str | Path) -> dict[str, Any]:
    """A recipe (manifests/<suite>.json) as a dict; a clear BuildError when missing or malformed."""
    path = Path(path)
    if not path.is_file():
        raise BuildError(f"{path}: recipe not found")
    try:
        recipe = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise BuildError(f"{path}: recipe is not valid JSON ({exc})") from None
    if not isinstance(recipe, dict) or "suite" not in recipe:
        raise BuildError(f"{path}: recipe must be a JSON object with at least a 'suite' key")
    return recipe


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'ztts_eval.suites' has no attribute {name!r}")
