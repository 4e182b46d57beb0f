"""Checks on what enters and leaves the results folder: folder names, containment, and file shapes.

A suite, system or profile name becomes a folder, so it is checked as a name (a manifest saying
`"suite": "../../x"` must not write outside `--results`), and every path is checked to resolve
inside the results folder. Summaries and sample rows are checked for the fields the report and the
gate index into, so a hand-edited or truncated file is one line naming the file and the field,
never a traceback. `results.py` calls these; nothing else needs to.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


class ResultsError(ValueError):
    """A results file that cannot be read as what it claims to be; the message names the file."""


NAME_MAX = 128


def check_name(kind: str, value: object) -> str:
    """`value` as one folder name: a suite, system or profile can never point outside its folder.

    No separators, no `.`/`..`, no leading dot (`.cache` is the store), no control characters."""
    if not isinstance(value, str) or not value:
        raise ResultsError(f"{kind} name {value!r} must be a non-empty string")
    bad = (
        "/" in value
        or "\\" in value
        or value.startswith(".")
        or len(value) > NAME_MAX
        or any(ord(ch) < 32 or ord(ch) == 127 for ch in value)
    )
    if bad:
        raise ResultsError(
            f"{kind} name {value!r} is not usable as a folder name: no '/', '\\', leading '.', control characters "
            f"or more than {NAME_MAX} characters"
        )
    return value


def inside(results_dir: str | Path, path: Path) -> Path:
    """`path`, after checking that it resolves inside `results_dir` (symlinks included)."""
    root = Path(results_dir).resolve()
    if not path.resolve().is_relative_to(root):
        raise ResultsError(f"{path} resolves outside the results folder {root}; refusing to write there")
    return path


def check_summary_shape(path: str | Path, data: dict[str, Any]) -> None:
    """The fields the report and the gate index into, with their types: one line naming the first misfit."""

    def need(ok: bool, where: str, what: str) -> None:
        if not ok:
            raise ResultsError(f"{path}: {where} must be {what}")

    for key in ("suite", "system", "profile"):
        need(isinstance(data.get(key), str), key, "a string")
    need(isinstance(data["metrics"], list), "metrics", "a list")
    for i, info in enumerate(data["metrics"]):
        need(isinstance(info, dict) and isinstance(info.get("name"), str), f"metrics[{i}]", "an object with a name")
        need(isinstance(info.get("columns"), list), f"metrics[{i}].columns", "a list")
        for j, col in enumerate(info["columns"]):
            where = f"metrics[{i}].columns[{j}]"
            need(isinstance(col, dict) and isinstance(col.get("name"), str), where, "an object with a name")
            need(col.get("higher_is_better") in (True, False, None), f"{where}.higher_is_better", "true, false or null")
            need(isinstance(col.get("aggregation"), str), f"{where}.aggregation", "a string")
    need(isinstance(data["groups"], list), "groups", "a list")
    for i, group in enumerate(data["groups"]):
        need(isinstance(group, dict) and isinstance(group.get("label"), str), f"groups[{i}]", "an object with a label")
        need(isinstance(group.get("columns", {}), dict), f"groups[{i}].columns", "an object")
        for name, col in group.get("columns", {}).items():
            need(isinstance(col, dict), f"groups[{i}].columns.{name}", "an object")
            value = col.get("value")
            ok = value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))
            need(ok, f"groups[{i}].columns.{name}.value", "a number or null")
        for key in ("n", "n_ok", "n_failed", "n_flagged"):
            count = group.get(key, 0)
            need(isinstance(count, int) and not isinstance(count, bool), f"groups[{i}].{key}", "an integer")


def check_sample_row(where: str, row: Any) -> None:
    """A sample row as the gate and the HTML report read it."""
    if not isinstance(row, dict):
        raise ResultsError(f"{where}: not a sample row (a JSON object)")
    for key, kind in (("item_id", str), ("language", str), ("subset", str), ("seed", int), ("scores", dict)):
        if not isinstance(row.get(key), kind) or isinstance(row.get(key), bool):
            raise ResultsError(f"{where}: sample row field {key!r} must be {'an object' if kind is dict else kind.__name__}")
    if not isinstance(row.get("flags", []), list):
        raise ResultsError(f"{where}: sample row field 'flags' must be a list")
