"""Everything a report page or a listening test reads about one suite and profile, loaded once.

Runs are read only through `pipeline/results.py`. The suite's manifest (for prompt and reference
players) is found from the runs' run.json, then from the registered suite name; it is used only
when its checksum equals the one the runs recorded, so a prompt never belongs to another item.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ztts_eval.pipeline.manifest import Item, Manifest, ManifestError, load_manifest
from ztts_eval.pipeline.results import (
    RunPaths,
    is_reference,
    load_summaries,
    read_samples,
    run_manifest_path,
    sample_audio_file,
)
from ztts_eval.report.style import compares_with_itself, system_colors
from ztts_eval.report.table import GROUP_ORDER, group_of


@dataclass
class SuiteResults:
    results_dir: Path
    suite: str
    profile: str
    summaries: list[dict[str, Any]]  # reference, then open, then closed systems; by name within a group
    rows: dict[str, list[dict[str, Any]]]  # system → its sample rows
    colors: dict[str, str]
    manifest: Manifest | None = None
    manifest_note: str = ""  # why prompts and references are not shown, when manifest is None
    items: dict[str, Item] = field(default_factory=dict)

    @property
    def systems(self) -> list[str]:
        return [s["system"] for s in self.summaries]

    @property
    def reference_system(self) -> str | None:
        return next((s["system"] for s in self.summaries if is_reference(s)), None)

    def summary(self, system: str) -> dict[str, Any]:
        return next(s for s in self.summaries if s["system"] == system)

    def headline(self, kind: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """(metric info, headline column) for each metric of `kind` (sample | corpus), first seen order."""
        seen: dict[str, tuple[dict, dict]] = {}
        for s in self.summaries:
            for info in s["metrics"]:
                if info["kind"] == kind:
                    seen.setdefault(info["columns"][0]["name"], (info, info["columns"][0]))
        return list(seen.values())

    def self_compared(self, system: str, info: dict[str, Any]) -> bool:
        return compares_with_itself(self.summary(system), info)

    def audio_file(self, row: dict[str, Any]) -> Path | None:
        return sample_audio_file(self.results_dir, row)

    def prompt_file(self, item_id: str) -> Path | None:
        item = self.items.get(item_id)
        return self.manifest.prompt_path(item) if item and self.manifest else None

    def reference_file(self, item_id: str) -> Path | None:
        item = self.items.get(item_id)
        return self.manifest.reference_path(item) if item and self.manifest else None


def _candidates(results_dir: Path, suite: str, profile: str, systems: list[str]) -> list[Path]:
    from ztts_eval import registry

    found: list[Path] = []
    for system in systems:
        recorded = run_manifest_path(RunPaths(results_dir, suite, system, profile))
        if recorded is not None:
            found += [recorded] if recorded.is_absolute() else [recorded, registry.REPO_ROOT / recorded]
    if suite in registry.SUITES:
        found.append(registry.suite_manifest(suite))
    return found


def find_manifest(
    results_dir: Path, suite: str, profile: str, summaries: list[dict[str, Any]], override: Path | None = None
) -> tuple[Manifest | None, str]:
    """The manifest whose checksum the runs recorded, or None and the reason."""
    wanted = {s.get("manifest_sha256") for s in summaries}
    paths = [override] if override else _candidates(results_dir, suite, profile, [s["system"] for s in summaries])
    tried = []
    for path in paths:
        try:
            manifest = load_manifest(path)
        except ManifestError:
            tried.append(f"{path} (not found or unreadable)")
            continue
        if manifest.sha256 in wanted:
            return manifest, ""
        tried.append(f"{path} (checksum differs from the runs')")
    return None, "no manifest matching the runs' checksum" + (f": tried {', '.join(tried)}" if tried else " (no run.json)")


def load_suite(results_dir: Path, suite: str, profile: str, manifest: Path | None = None) -> SuiteResults:
    summaries = load_summaries(results_dir, suite, profile)
    if not summaries:
        raise FileNotFoundError(f"no results for suite {suite!r}, profile {profile!r} under {results_dir}")
    summaries = sorted(summaries, key=lambda s: (GROUP_ORDER.get(group_of(s), 9), s["system"]))
    rows = {}
    for s in summaries:
        path = RunPaths(results_dir, suite, s["system"], profile).samples
        rows[s["system"]] = read_samples(path) if path.exists() else []
    found, note = find_manifest(Path(results_dir), suite, profile, summaries, manifest)
    return SuiteResults(
        Path(results_dir),
        suite,
        profile,
        summaries,
        rows,
        system_colors(summaries),
        found,
        note,
        {it.id: it for it in found.items} if found else {},
    )
