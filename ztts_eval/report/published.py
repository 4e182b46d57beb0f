"""Published numbers shipped in ztts_eval/data/published/, mapped onto our columns, one table per benchmark.

Only faithful columns map, and only for the suites the numbers were measured on: the ZONOS2
report's Tables III/IV for the ZTTS1 suites (wer, sim ↔ spk_sim, utmos ↔ MSR-UTMOS: a lite
number or a UTMOS22 fallback is never printed beside a published MSR-UTMOS value), and
Seed-TTS-Eval numbers for an imported Seed-TTS-Eval suite (wer_seedtts ↔ WER/CER, sim_wavlm ↔
SIM ×100) — never beside the ZTTS1 `wer`/`sim`, which use other judges.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from ztts_eval.registry import PACKAGE_DATA

GROUPS = {"Reference": "reference", "Open-source models": "open", "Closed-source models": "closed"}


@dataclass(frozen=True)
class PublishedTable:
    path: Path
    citation: str
    suites: dict[str, str]  # our suite name → the table's `set`
    columns: dict[str, str]  # our column → the table's `metric`


TABLES = (
    PublishedTable(
        PACKAGE_DATA / "published" / "zonos2_tech_report_ztts1.csv",
        "ZONOS2 Technical Report (Clark et al., Zyphra 2026, arXiv:2606.24320), Tables III/IV",
        {"ztts1-clean": "clean", "ztts1-itw": "itw"},
        {"wer": "wer", "sim": "spk_sim", "utmos": "utmos"},
    ),
    PublishedTable(
        PACKAGE_DATA / "published" / "seedtts_eval.csv",
        "Seed-TTS-Eval numbers as reported by each row's source (ztts_eval/data/published/seedtts_eval.csv, README there)",
        {"seedtts-eval": "seedtts"},
        {"wer_seedtts": "wer", "sim_wavlm": "sim"},
    ),
)
PROFILES_WITH_PUBLISHED = frozenset({"ztts1", "seedtts"})  # lite numbers never sit beside published ones


@dataclass(frozen=True)
class PublishedSystem:
    name: str
    group: str  # reference | open | closed
    no_zero_shot_cloning: bool
    values: dict[tuple[str, str], float | None]  # (column, language label) -> value ("–" is None)
    citation: str = TABLES[0].citation  # the ZTTS1 table's, unless the row's table says otherwise
    sources: tuple[str, ...] = ()  # per-row sources, where the table names them


def name_key(name: str) -> str:
    """Loose match between our system names and the report's ("ZONOS2 8B" ~ "zonos2-8b")."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def table_for(suite: str) -> PublishedTable | None:
    return next((t for t in TABLES if suite in t.suites), None)


def load_published(suite: str, path: Path | None = None) -> list[PublishedSystem]:
    """The published systems for a suite, in the table's row order; [] for suites without one."""
    table = table_for(suite)
    if table is None or not (path or table.path).exists():
        return []
    wanted = table.suites[suite]
    metric_to_column = {v: k for k, v in table.columns.items()}
    systems: dict[str, PublishedSystem] = {}
    with open(path or table.path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["set"] != wanted or row["metric"] not in metric_to_column:
                continue
            sys_ = systems.setdefault(
                row["system"],
                PublishedSystem(row["system"], GROUPS[row["group"]], row["no_zero_shot_cloning"] == "True", {}, table.citation),
            )
            if row.get("source") and row["source"] not in sys_.sources:
                systems[row["system"]] = sys_ = PublishedSystem(**{**sys_.__dict__, "sources": (*sys_.sources, row["source"])})
            value = float(row["value"]) if row["value"].strip() else None
            sys_.values[(metric_to_column[row["metric"]], row["language"])] = value
    return list(systems.values())
