"""The results folder: its layout, the schema of what is written there, and the only writers and readers.

Layout (every path built here and nowhere else):

    <results>/<suite>/<system>/<profile>/samples.jsonl   one SampleRow per item × seed
    <results>/<suite>/<system>/<profile>/summary.json    Summary: per (subset, language) group
    <results>/<suite>/<system>/<profile>/run.json        RunMeta: how to reproduce the numbers
    <results>/<suite>/<system>/<profile>/run.log         per stage: computed vs cached, seconds
    <results>/<suite>/<system>/<profile>/speed.json      SpeedSummary: `ztts-eval speed`, per load setting
    <results>/<suite>/<system>/<profile>/speed_requests.jsonl   one SpeedRow per streamed request
    <results>/<suite>/leaderboard-<profile>.{md,csv}     the table, and -long.csv with intervals
    <results>/<suite>/leaderboard-<profile>-speed.csv    the speed table (one line per system × setting)
    <results>/<suite>/report-<profile>.html              the HTML report (audio linked into the cache)
    <results>/<suite>/report-<profile>/index.html        `report --bundle`: the page + audio/ beside it
    <results>/<suite>/listen-<profile>/page/             a blind listening test (index.html + audio/)
    <results>/<suite>/listen-<profile>/key.json          which system each trial's A and B are (not served)
    <results>/<suite>/listen-<profile>/votes.jsonl       votes appended by `listen --serve`
    <results>/<suite>/listen-<profile>/tally.json        `listen --tally`: win rates, strengths, agreement

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
from typing import Any, NotRequired, TypedDict

from ztts_eval.pipeline.results_checks import ResultsError, check_name, check_sample_row, check_summary_shape, inside

SCHEMA_VERSION = 1
SAMPLES, SUMMARY, RUN_META, RUN_LOG = "samples.jsonl", "summary.json", "run.json", "run.log"
SPEED, SPEED_REQUESTS = "speed.json", "speed_requests.jsonl"
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
    # Added after schema 1 shipped; absent from older files (readers use .get):
    limit: NotRequired[dict[str, int] | None]  # --limit N: {"n", "items", "of"}; None for the full suite
    scorers: NotRequired[dict[str, dict[str, Any]]]  # name → {"fingerprint", "packages"} (report/comparable.py)


class SpeedRow(TypedDict, total=False):
    """One streamed request of `ztts-eval speed` (times in seconds; see ztts_eval/speed/measures.py)."""

    system: str
    setting: str  # "c=4", "poisson:8/s", …
    index: int
    warmup: bool  # warm-up requests are kept as rows but excluded from every statistic
    item_id: str
    language: str
    seed: int
    status: str  # ok | failed
    error: str | None
    due_s: float  # when it should have been sent (setting clock)
    sent_s: float
    lag_s: float  # the client's own dispatch lag
    end_s: float
    prep_s: float | None
    ttfb_s: float
    ttfc_s: float
    ttfa_s: float | None
    latency_s: float
    audio_s: float
    rtf: float | None
    n_chunks: int
    max_gap_s: float
    mean_gap_s: float
    worst_stall_s: float
    total_stall_s: float
    underrun: bool
    silent: bool
    sample_rate: int | None
    chunks: list[list[float]]  # [arrival seconds, samples] per chunk
    audio_sha256: str | None
    audio_path: str | None  # relative to the results folder
    scores: dict[str, dict[str, Any]]


class SpeedSummary(TypedDict, total=False):
    schema_version: int
    kind: str  # "ztts-eval-speed"
    system: str
    model: str
    suite: str
    profile: str
    group: str
    streams: bool  # the adapter streams (else measured as one chunk, labelled non-streaming)
    hardware: dict[str, Any]  # client CPU/GPU as detected, and the declared server hardware
    config: dict[str, Any]  # everything that shaped the load (settings, warm-up, seed, params)
    config_sha256: str
    adapter: dict[str, Any]
    metrics: list[dict[str, Any]]  # MetricInfo.to_json() of the quality metrics
    metric_fingerprints: dict[str, dict[str, Any]]
    environment: dict[str, Any]
    settings: list[dict[str, Any]]  # per setting: label, mode, statistics, client health, quality, worst request
    argv: list[str] | None
    started: str
    finished: str


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
    executor: dict[str, Any]  # name, where it ran, per-stage actors/busy/CPU/GPU seconds and utilisation
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

    @property
    def speed(self) -> Path:
        return self.dir / SPEED

    @property
    def speed_requests(self) -> Path:
        return self.dir / SPEED_REQUESTS

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
        "csv_speed": out / f"leaderboard-{profile}-speed.csv",
    }


def html_path(results_dir: str | Path, suite: str, profile: str) -> Path:
    return suite_dir(results_dir, suite) / f"report-{check_name('profile', profile)}.html"


def bundle_dir(results_dir: str | Path, suite: str, profile: str) -> Path:
    """A report folder that travels: index.html with its audio copied into audio/ beside it."""
    return suite_dir(results_dir, suite) / f"report-{profile}"


def listen_dir(results_dir: str | Path, suite: str, profile: str) -> Path:
    """The listening test: page/ (what raters get), key.json, votes.jsonl and tally.json."""
    return suite_dir(results_dir, suite) / f"listen-{profile}"


def sample_audio_file(results_dir: str | Path, row: dict[str, Any]) -> Path | None:
    """The generated audio of a sample row (stored relative to the results folder), if any."""
    return Path(results_dir) / row["audio_path"] if row.get("audio_path") else None


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


def write_speed(paths: RunPaths, rows: list[SpeedRow], summary: SpeedSummary) -> None:
    """Rows first, then speed.json (atomically each): a reader never sees a summary without its rows."""
    atomic_write_text(paths.speed_requests, "".join(json.dumps(r, sort_keys=True) + "\n" for r in rows))
    text = json.dumps({**summary, "schema_version": SCHEMA_VERSION}, indent=2, sort_keys=True, default=str)
    atomic_write_text(paths.speed, text + "\n")


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


def read_speed(path: str | Path) -> SpeedSummary:
    data = _read_json(Path(path))
    if not isinstance(data, dict) or data.get("kind") != "ztts-eval-speed" or "settings" not in data:
        raise ResultsError(f"{path}: not a ztts-eval speed summary (no kind 'ztts-eval-speed' / 'settings')")
    _check_version(Path(path), data)
    return data  # type: ignore[return-value]


def read_speed_rows(path: str | Path) -> list[SpeedRow]:
    return _read_jsonl(path, None)  # type: ignore[return-value]  # the same JSON-lines reader, its own row shape


def load_speed(results_dir: str | Path, suite: str, profile: str) -> list[SpeedSummary]:
    """Every speed summary of a suite and profile, by system name."""
    found = sorted(suite_dir(results_dir, suite).glob(f"*/{profile}/{SPEED}"))
    return [read_speed(p) for p in found]


def read_samples(path: str | Path) -> list[SampleRow]:
    return _read_jsonl(path, check_sample_row)  # type: ignore[return-value]


def _read_jsonl(path: str | Path, check: Any) -> list[dict[str, Any]]:
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
            if check is not None:
                check(f"{path}:{i}", row)
            rows.append(row)
    return rows


def run_manifest_path(paths: RunPaths) -> Path | None:
    """The manifest a run read, as recorded in its run.json (None when the run has no run.json)."""
    if not paths.run_meta.exists():
        return None
    recorded = read_run_meta(paths.run_meta).get("manifest", {}).get("path")
    return Path(recorded) if recorded else None


def read_json_file(path: str | Path) -> Any:
    """A JSON file written beside the results (listening key, tally); errors name the file."""
    return _read_json(Path(path))


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
