"""The results folder: its layout, the schema of what is written there, and the only writers and readers.

Layout (every path built here and nowhere else):

    <results>/<suite>/<system>/<profile>/samples.jsonl   one SampleRow per item × seed
    <results>/<suite>/<system>/<profile>/summary.json    Summary: per (subset, language) group
    <results>/<suite>/<system>/<profile>/run.json        RunMeta: how to reproduce the numbers
    <results>/<suite>/<system>/<profile>/run.log         per stage: computed vs cached, seconds
    <results>/<suite>/leaderboard-<profile>.{md,csv}     the table, and -long.csv with intervals
    <results>/<suite>/report-<profile>.html              the HTML report

`summary.json` and `run.json` carry `schema_version`; a reader refuses a newer major version with
one line instead of misreading it. The report, the HTML page, the gate, the CLI and the notebook
read results only through `RunPaths`, `load_summaries`, `read_samples` and `read_summary`.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

from ztts_eval.pipeline.results_checks import ResultsError, check_name, check_sample_row, check_summary_shape, inside

SCHEMA_VERSION = 1
SAMPLES, SUMMARY, RUN_META, RUN_LOG = "samples.jsonl", "summary.json", "run.json", "run.log"
# The adapter group of the recordings themselves: compared by role, never by system name.
REFERENCE_GROUP = "reference"


class SampleRow(TypedDict):
    system: str
    item_id: str
    seed: int
    subset: str
    language: str
    text: str
    utmos_bin: int | None
    status: str  # ok | failed | unsupported | unavailable
    error: str | None
    flags: list[str]
    audio_sha256: str | None
    audio_path: str | None  # relative to the results folder
    duration_s: float | None
    latency_s: float | None
    eos_reached: bool | None
    scores: dict[str, dict[str, Any]]  # metric name → its raw row ("status" + columns + parts)


class GroupSummary(TypedDict, total=False):
    subset: str
    language: str
    label: str  # the table column: language, or the subset for hard_*
    n: int
    n_ok: int
    n_failed: int
    n_unsupported: int
    n_unavailable: int
    n_flagged: int
    flags: dict[str, int]
    columns: dict[str, dict[str, Any]]  # column name → value, n, ci95, … (see pipeline/aggregate.py)


class Summary(TypedDict):
    schema_version: int
    system: str
    model: str
    suite: str
    profile: str
    group: str  # reference | open | closed
    published_name: str | None
    zero_shot_cloning: bool
    seeds: list[int]
    manifest_sha256: str
    metrics: list[dict[str, Any]]  # MetricInfo.to_json() of each metric, in run order
    groups: list[GroupSummary]


class RunMeta(TypedDict, total=False):
    schema_version: int
    argv: list[str] | None
    system: str
    model: str
    suite: str
    profile: str
    seeds: list[int]
    params: dict[str, Any]
    metric_params: dict[str, dict[str, Any]]
    manifest: dict[str, Any]  # path, sha256, rows
    adapter: dict[str, Any]  # fingerprint, capabilities
    metrics: dict[str, dict[str, Any]]  # name → fingerprint
    environment: dict[str, Any]
    stages: dict[str, dict[str, Any]]
    started: str
    finished: str
    wall_s: float


@dataclass(frozen=True)
class RunPaths:
    """Where one (suite, system, profile) run lives."""

    results_dir: Path
    suite: str
    system: str
    profile: str

    def __post_init__(self) -> None:
        for kind in ("suite", "system", "profile"):
            check_name(kind, getattr(self, kind))

    @property
    def dir(self) -> Path:
        return inside(self.results_dir, Path(self.results_dir) / self.suite / self.system / self.profile)

    @property
    def samples(self) -> Path:
        return self.dir / SAMPLES

    @property
    def summary(self) -> Path:
        return self.dir / SUMMARY

    @property
    def run_meta(self) -> Path:
        return self.dir / RUN_META

    @property
    def log_file(self) -> Path:
        return self.dir / RUN_LOG

    @classmethod
    def of_folder(cls, folder: str | Path) -> RunPaths:
        """The run stored in `folder` (…/<suite>/<system>/<profile>), named from its summary when present."""
        folder = Path(folder)
        summary = read_summary(folder / SUMMARY) if (folder / SUMMARY).exists() else None
        if summary is not None:
            return cls(folder.parent.parent.parent, summary["suite"], summary["system"], summary["profile"])
        return cls(folder.parent.parent.parent, folder.parent.parent.name, folder.parent.name, folder.name)


def suite_dir(results_dir: str | Path, suite: str) -> Path:
    return inside(results_dir, Path(results_dir) / check_name("suite", suite))


def leaderboard_paths(results_dir: str | Path, suite: str, profile: str) -> dict[str, Path]:
    out = suite_dir(results_dir, suite)
    check_name("profile", profile)
    return {
        "markdown": out / f"leaderboard-{profile}.md",
        "csv": out / f"leaderboard-{profile}.csv",
        "csv_long": out / f"leaderboard-{profile}-long.csv",
    }


def html_path(results_dir: str | Path, suite: str, profile: str) -> Path:
    return suite_dir(results_dir, suite) / f"report-{check_name('profile', profile)}.html"


# -- writing ----------------------------------------------------------------------------------
def atomic_write_text(path: Path, text: str) -> None:
    """Temp file in the same folder + rename: a reader sees the old file or the new one, never half."""
    tmp = _write_temp(path, text)
    try:
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def log(paths: RunPaths, message: str, stamp: str) -> None:
    print(message, file=sys.stderr)
    paths.dir.mkdir(parents=True, exist_ok=True)
    with open(paths.log_file, "a", encoding="utf-8") as f:
        f.write(f"{stamp} {message}\n")


def write_run(paths: RunPaths, rows: list[SampleRow], summary: Summary, meta: RunMeta | None) -> None:
    """The run's files, all or none: every temp file is written (and fsynced) before the first rename,
    so a full disk or a permission error leaves the previous files (or none), never a mix or a stub.
    `run.json` is renamed last, so its presence means the run finished."""
    texts = [
        (paths.samples, "".join(json.dumps(r, sort_keys=True) + "\n" for r in rows)),
        (paths.summary, json.dumps({**summary, "schema_version": SCHEMA_VERSION}, indent=2, sort_keys=True) + "\n"),
    ]
    if meta is not None:
        text = json.dumps({**meta, "schema_version": SCHEMA_VERSION}, indent=2, sort_keys=True, default=str)
        texts.append((paths.run_meta, text + "\n"))
    temps: list[tuple[str, Path]] = []
    try:
        for path, text in texts:
            temps.append((_write_temp(path, text), path))
        for tmp, path in temps:
            os.replace(tmp, path)
    finally:
        for tmp, _ in temps:
            Path(tmp).unlink(missing_ok=True)


def _write_temp(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp


# -- reading ----------------------------------------------------------------------------------
def _read_json(path: Path) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ResultsError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    except UnicodeDecodeError:
        raise ResultsError(f"{path}: not UTF-8 text") from None
    except RecursionError:
        raise ResultsError(f"{path}: JSON nested too deeply") from None


def _check_version(path: Path, data: dict[str, Any]) -> None:
    version = data.get("schema_version", 0)  # files written before versioning read as version 0
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise ResultsError(f"{path}: schema_version {version!r} is newer than this ztts-eval reads ({SCHEMA_VERSION}); upgrade")


def read_summary(path: str | Path) -> Summary:
    data = _read_json(Path(path))
    if not isinstance(data, dict) or "groups" not in data or "metrics" not in data:
        raise ResultsError(f"{path}: not a ztts-eval summary (no 'groups'/'metrics')")
    _check_version(Path(path), data)
    check_summary_shape(path, data)
    return data  # type: ignore[return-value]


def read_run_meta(path: str | Path) -> RunMeta:
    data = _read_json(Path(path))
    if not isinstance(data, dict):
        raise ResultsError(f"{path}: not a ztts-eval run record (not a JSON object)")
    _check_version(Path(path), data)
    return data  # type: ignore[return-value]


def read_samples(path: str | Path) -> list[SampleRow]:
    rows = []
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ResultsError(f"{path}: not UTF-8 text") from None
    for i, line in enumerate(text.split("\n"), 1):  # JSON Lines: only \n ends a row (not U+2028 etc.)
        if line.strip():
            try:
                row = json.loads(line)
            except (json.JSONDecodeError, RecursionError) as exc:
                raise ResultsError(f"{path}:{i}: not valid JSON ({getattr(exc, 'msg', 'nested too deeply')})") from None
            check_sample_row(f"{path}:{i}", row)
            rows.append(row)
    return rows


def run_paths_in(results_dir: str | Path, suite: str, profile: str) -> list[RunPaths]:
    """Every finished run of a suite and profile (those with a summary), by system name."""
    found = sorted(suite_dir(results_dir, suite).glob(f"*/{check_name('profile', profile)}/{SUMMARY}"))
    return [RunPaths(Path(results_dir), suite, p.parent.parent.name, profile) for p in found]


def load_summaries(results_dir: str | Path, suite: str, profile: str) -> list[Summary]:
    return [read_summary(p.summary) for p in run_paths_in(results_dir, suite, profile)]


def is_reference(summary_or_group: dict[str, Any] | str | None) -> bool:
    """Ground truth by role: the adapter group, never the system's name."""
    group = summary_or_group.get("group") if isinstance(summary_or_group, dict) else summary_or_group
    return group == REFERENCE_GROUP
