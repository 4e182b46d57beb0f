"""The ZONOS2 report's Tables III/IV, shipped in ztts_eval/data/published/, mapped onto our columns.

Only faithful columns map (wer, sim ↔ spk_sim, utmos ↔ MSR-UTMOS) and only for the ZTTS1 suites:
a lite number or a UTMOS22 fallback is never printed beside a published MSR-UTMOS value.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from ztts_eval.registry import PACKAGE_DATA

PUBLISHED_CSV = PACKAGE_DATA / "published" / "zonos2_tech_report_ztts1.csv"
CITATION = "ZONOS2 Technical Report (Clark et al., Zyphra 2026, arXiv:2606.24320), Tables III/IV"
SUITE_TO_SET = {"ztts1-clean": "clean", "ztts1-itw": "itw"}
COLUMN_TO_METRIC = {"wer": "wer", "sim": "spk_sim", "utmos": "utmos"}
GROUPS = {"Reference": "reference", "Open-source models": "open", "Closed-source models": "closed"}


@dataclass(frozen=True)
class PublishedSystem:
    name: str
    group: str  # reference | open | closed
    no_zero_shot_cloning: bool
    values: dict[tuple[str, str], float | None]  # (column, language label) -> value ("–" is None)


def name_key(name: str) -> str:
    """Loose match between our system names and the report's ("ZONOS2 8B" ~ "zonos2-8b")."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def load_published(suite: str, path: Path = PUBLISHED_CSV) -> list[PublishedSystem]:
    """The published systems for a suite, in the report's row order; [] for other suites."""
    wanted = SUITE_TO_SET.get(suite)
    if wanted is None or not path.exists():
        return []
    metric_to_column = {v: k for k, v in COLUMN_TO_METRIC.items()}
    systems: dict[str, PublishedSystem] = {}
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["set"] != wanted or row["metric"] not in metric_to_column:
                continue
            sys_ = systems.setdefault(
                row["system"],
                PublishedSystem(row["system"], GROUPS[row["group"]], row["no_zero_shot_cloning"] == "True", {}),
            )
            value = float(row["value"]) if row["value"].strip() else None
            sys_.values[(metric_to_column[row["metric"]], row["language"])] = value
    return list(systems.values())
