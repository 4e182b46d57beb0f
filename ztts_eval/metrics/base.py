"""The metric contract: per-sample metrics and whole-set (corpus) metrics, with metadata.

Per-sample metrics return rows that carry their raw parts (edit counts, transcripts), not just a
score, so every aggregation is exact and re-derivable. Whole-set metrics (distribution distances,
diversity) extract a cached feature per audio file and reduce once per language group.
Model loading happens in `setup()`, never at import, so listing metrics never imports torch.

Every hook the pipeline calls is declared here with a default (batch size, cache binding, work
counters, generations per item, extra feature sets), so the generic stages never need to know a
metric family by name, and a new metric sees its whole contract in one place.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

# A score row's status: "ok", "not_covered" (the metric does not handle this language/input;
# shown as n/c, never as 0), or "error" (with an "error" message).
OK, NOT_COVERED, ERROR = "ok", "not_covered", "error"


@dataclass(frozen=True)
class Column:
    name: str
    higher_is_better: bool | None  # None: descriptive (e.g. mean F0), no "better"
    aggregation: str = "mean"  # "mean" | "edits" (corpus and per-utterance error from S/D/I/N)
    unit: str = ""


@dataclass(frozen=True)
class MetricInfo:
    name: str
    version: str
    kind: str  # "sample" | "corpus"
    columns: tuple[Column, ...]
    inputs: tuple[str, ...]  # subset of: audio, prompt, text, reference_set
    scorer: str  # the model/tool that produces the number: named in every table header
    extra: str  # the pip extra that installs what it needs
    family: str  # "lite" | "ztts1": lite metrics never share a column name with ztts1 ones
    device: str = "cpu"
    sample_rate: int | None = None  # rate the metric's model consumes (resampled with soxr)
    languages: frozenset[str] | None = None  # None: any language
    description: str = ""

    @property
    def primary(self) -> Column:
        return self.columns[0]

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["languages"] = sorted(self.languages) if self.languages is not None else None
        return d


@dataclass(frozen=True)
class ScoreInput:
    """What a metric sees of one generated (or ground-truth) sample."""

    key: str  # "<item_id>#<seed>"
    item_id: str
    seed: int
    language: str
    subset: str
    text: str
    audio_path: Path
    audio_sha256: str
    prompt_path: Path | None  # None when no same-speaker prompt applies (e.g. clean-set ground truth)
    prompt_sha256: str | None
    extra: dict[str, Any] = field(default_factory=dict)


# Parameters that choose where a number is computed, not what it is: never in a fingerprint.
PLACEMENT_PARAMS = frozenset({"device"})


class Metric(ABC):
    info: MetricInfo
    required_modules: tuple[str, ...] = ()  # checked before any work starts
    batch_size: int = 16  # inputs per call of score_batch / features
    # True declares it safe to score on the run's process pool (sample metrics, CPU): each row
    # depends on its own input alone (not on what the same model scored before it), the metric
    # rebuilds from (class, params) in another process (preflight + setup run there), and it keeps
    # no store or counters and does not use the pool itself (pipeline/scoring_pool.py).
    process_parallel: bool = False

    def __init__(self, **params: Any) -> None:
        self.params = dict(params)
        self.counters: dict[str, int] = {}  # work done beside the main loop (cached transcripts…), logged per stage

    def fingerprint(self) -> dict[str, Any]:
        """Everything that changes the numbers; the score-cache key includes it.

        Pure: reads what `preflight()` resolved and never loads or runs a model. Subclasses add
        what identifies their weights through `identity()`, not by overriding this.
        """
        params = {k: v for k, v in self.params.items() if k not in PLACEMENT_PARAMS}
        return {"metric": self.info.name, "version": self.info.version, "params": params, **self.identity(), **self.versions()}

    def identity(self) -> dict[str, Any]:
        """Fingerprints of the code and weights behind the metric (after `preflight()`)."""
        return {}

    def resolved(self, value: Any) -> Any:
        """What `preflight()` located, for `identity()`; a clear error when it has not run."""
        if value is None:
            raise MetricSetupError(f"metric {self.info.name}: preflight() locates its weights before the fingerprint is read")
        return value

    def versions(self) -> dict[str, str]:
        """Versions of the packages/models behind the metric (recorded in results)."""
        return {}

    def generations_per_item(self) -> int:
        """How many generations (seeds) of each item the metric compares; the runner adds seeds."""
        return 1

    def bind_store(self, store: Any) -> None:
        """Called before scoring with the run's cache, for metrics with intermediate artefacts."""

    def preflight(self) -> None:
        """Fail before any work when the metric cannot run (missing package or weights)."""
        import importlib.util

        missing = [m for m in self.required_modules if importlib.util.find_spec(m) is None]
        if missing:
            raise MetricSetupError(f"metric {self.info.name} needs {', '.join(missing)}: pip install -e '.[{self.info.extra}]'")

    def device(self) -> str:
        """`device` param, or "cuda" when available for "auto" (the default)."""
        wanted = self.params.get("device", "auto")
        if wanted != "auto":
            return wanted
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"

    def setup(self) -> None:
        """Load models; raise MetricSetupError with a one-line fix when that is impossible."""

    def teardown(self) -> None:
        """Called once after the metric's stage: metrics that load models drop them here
        (`self.release(...)`), so "one model loaded at a time" holds for memory too."""

    def release(self, *attrs: str) -> None:
        """Drop the named model attributes and give their memory back (see `free_memory`)."""
        for attr in attrs:
            setattr(self, attr, None)
        free_memory()

    def covers(self, language: str) -> bool:
        return self.info.languages is None or language in self.info.languages


class SampleMetric(Metric):
    @abstractmethod
    def score_batch(self, inputs: list[ScoreInput]) -> list[dict[str, Any]]:
        """One row per input, same order; each has "status" and, when ok, every column."""


class CorpusMetric(Metric):
    def extra_sets(self, store: Any) -> dict[str, list[ScoreInput]]:
        """Named sets of inputs besides system and reference (TTSDS2's synthetic noise sets); their
        features are extracted like any input and handed to `compute` as `noise` by set name."""
        return {}

    @abstractmethod
    def features(self, inputs: list[ScoreInput]) -> list[Any]:
        """A JSON-serialisable feature per input (cached per audio file)."""

    @abstractmethod
    def compute(
        self, system: list[Any], reference: list[Any], inputs: list[ScoreInput], noise: dict[str, list[Any]] | None = None
    ) -> dict[str, Any]:
        """Reduce one (subset, language) group: the system's features (aligned with `inputs`)
        against the reference set's (empty unless the metric declares "reference_set") and the
        extra sets' features by name (None when `extra_sets` returns none).
        Returns one value per column, plus any details worth keeping."""


class MetricSetupError(RuntimeError):
    pass


def package_versions(*packages: str) -> dict[str, str]:
    """Installed versions from metadata (no import), "missing" when absent."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in packages:
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "missing"
    return out


def free_memory() -> None:
    """Collect dropped models now, and return CUDA's cached blocks when torch is already loaded
    (never imported just for this: lite metrics must not pull torch in)."""
    import gc
    import sys

    gc.collect()
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()


def not_covered(reason: str) -> dict[str, Any]:
    return {"status": NOT_COVERED, "reason": reason}


def error_row(message: str) -> dict[str, Any]:
    return {"status": ERROR, "error": message}
