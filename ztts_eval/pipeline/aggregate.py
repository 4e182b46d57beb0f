"""Per-language summaries from per-sample rows. Pure functions: rows in, numbers out.

WER-like columns (aggregation "edits") report the mean of per-utterance error (the headline, as
Seed-TTS-Eval and docs/decisions.md §2) and the corpus error ΣE/ΣN beside it, plus the count of items
above 50 %. Rows flagged as runaways or truncations (ztts_eval.pipeline.flags) are excluded from those
and reported as `n_flagged` with `value_incl_flagged` beside. Not-covered and errored samples are counted, never averaged in as zeros.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from ztts_eval.metrics.base import ERROR, NOT_COVERED, OK, MetricInfo
from ztts_eval.pipeline.flags import excluded_from_headline
from ztts_eval.pipeline.stats import IntervalBatch, seed_spread

GENERATION_STATUSES = ("ok", "failed", "unsupported", "unavailable")


def group_label(subset: str, language: str) -> str:
    """Table column name: the language, or the subset for ZTTS1's hard_en/hard_zh."""
    return subset if subset.startswith("hard") else language


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _per_seed(pairs: list[tuple[dict[str, Any], dict[str, Any]]], column: str) -> dict[int, float]:
    by_seed: dict[int, list[float]] = defaultdict(list)
    for row, score in pairs:
        by_seed[row.get("seed", 0)].append(float(score[column]))
    return {seed: sum(v) / len(v) for seed, v in by_seed.items()}


def column_summary(
    rows: list[dict[str, Any]], metric: str, column: str, aggregation: str, intervals: IntervalBatch | None = None
) -> dict[str, Any]:
    """One column's numbers. With `intervals`, its bootstrap intervals are filled in when the caller
    runs the batch (a group's columns then share one index draw); without, right away."""
    scored = [(r, r["scores"][metric]) for r in rows if metric in r.get("scores", {})]
    usable = [(r, s) for r, s in scored if s.get("status") == OK and s.get(column) is not None]
    # Runaways/truncations are counted apart from error rates, never merged into them silently.
    split = aggregation == "edits"
    kept = [(r, s) for r, s in usable if not (split and excluded_from_headline(r))]
    ok = [s for _, s in kept]
    flagged = [s for r, s in usable if split and excluded_from_headline(r)]
    values = [float(s[column]) for s in ok]
    out: dict[str, Any] = {
        "n": len(ok),
        "n_not_covered": sum(s.get("status") == NOT_COVERED for _, s in scored),
        "n_error": sum(s.get("status") == ERROR for _, s in scored),
        "value": _mean(values),
        "ci95": None,
        "seed_spread": seed_spread(_per_seed(kept, column)),
    }
    if split:
        errors = sum(s["S"] + s["D"] + s["I"] for s in ok)
        ref_units = sum(s["N"] for s in ok)
        out["corpus"] = 100.0 * errors / ref_units if ref_units else None
        out["corpus_ci95"] = None
        out["over50"] = sum(float(s[column]) > 50.0 for s in ok)
        out["value_below50"] = _mean([float(s[column]) for s in ok if float(s[column]) <= 50.0])
        out["n_flagged"] = len(flagged)
        out["value_incl_flagged"] = _mean([float(s[column]) for s in ok + flagged])
    batch = intervals or IntervalBatch()
    batch.mean(values, out, "ci95")
    if split:
        batch.ratio([s["S"] + s["D"] + s["I"] for s in ok], [s["N"] for s in ok], out, "corpus_ci95", scale=100.0)
    if intervals is None:
        batch.run()
    return out


def summarize(
    rows: Iterable[dict[str, Any]],
    metrics: list[MetricInfo],
    corpus: dict[str, dict[tuple[str, str], dict[str, Any]]] | None = None,
) -> list[dict[str, Any]]:
    """One summary per (subset, language), in first-seen order."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[(row["subset"], row["language"])].append(row)
    out = []
    for (subset, language), members in groups.items():
        summary: dict[str, Any] = {
            "subset": subset,
            "language": language,
            "label": group_label(subset, language),
            "n": len(members),
            **{f"n_{s}": sum(r["status"] == s for r in members) for s in GENERATION_STATUSES},
            "n_flagged": sum(bool(r.get("flags")) for r in members),
            "flags": {
                f: sum(f in r.get("flags", []) for r in members) for f in sorted({f for r in members for f in r.get("flags", [])})
            },
            "columns": {},
        }
        intervals = IntervalBatch()
        for info in metrics:
            if info.kind == "sample":
                for col in info.columns:
                    summary["columns"][col.name] = column_summary(members, info.name, col.name, col.aggregation, intervals)
            else:
                res = (corpus or {}).get(info.name, {}).get((subset, language), {"status": NOT_COVERED})
                for col in info.columns:
                    summary["columns"][col.name] = {
                        "value": res.get(col.name) if res.get("status") == OK else None,
                        "status": res.get("status"),
                        "n": res.get("n_system", 0),
                        "n_reference": res.get("n_reference", 0),
                        # files whose feature failed are left out of the distribution: say which
                        "n_error": len(res.get("errors", [])),
                        **({"errors": res["errors"][:20]} if res.get("errors") else {}),
                        **({"error": res["error"]} if "error" in res else {}),
                        **({"details": res["details"]} if "details" in res and col is info.columns[0] else {}),
                    }
        intervals.run()
        out.append(summary)
    return out
