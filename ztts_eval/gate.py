"""Regression gate: compare a candidate run's per-language summary with a baseline's.

Only regressions fail, in each metric's direction, beyond a tolerance (absolute, relative, or the
larger of both). Counts of failures, runaways and items above 50 % WER are gated too. The
`paired` mode fails a value only when the paired-bootstrap interval of the change lies wholly
beyond the tolerance, which keeps small CI subsets from flaking (docs/decisions.md §14).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ztts_eval.pipeline.flags import excluded_from_headline
from ztts_eval.pipeline.results import (
    SAMPLES,
    SPEED,
    SUMMARY,
    ResultsError,
    check_summary_shape,
    read_samples,
    read_speed,
    read_summary,
)
from ztts_eval.pipeline.stats import paired_bootstrap
from ztts_eval.speed.gate_checks import DEFAULT_SPEED_TOLERANCES, calibrate_speed, speed_checks

BASELINE_KIND = "ztts-eval-baseline"
COUNT_FIELDS = ("n_failed", "n_flagged")  # per group; plus "over50" per edits column
DEFAULT_TOLERANCES: dict[str, Any] = {
    "edits": {"abs": 1.0},  # WER/CER percentage points
    "default": {"rel": 0.02},  # 2 % of the baseline value
    "counts": {"n_failed": 0, "n_flagged": 0, "over50": 0},
    "columns": {},
    "speed": DEFAULT_SPEED_TOLERANCES,  # per load setting, from speed.json (ztts_eval/speed/gate_checks.py)
}
EMPTY_SUMMARY: dict[str, Any] = {"groups": [], "metrics": []}  # a folder with speed results only


@dataclass
class Run:
    """A summary plus per-sample values ({"item#seed": {column: value}}) when available."""

    summary: dict[str, Any]
    samples: dict[str, dict[str, float]] | None
    source: str
    speed: dict[str, Any] | None = None  # speed.json, when the run folder has one


@dataclass
class Check:
    label: str
    column: str
    baseline: float | None
    candidate: float | None
    allowed: float | None
    status: str  # ok | regression | improved | missing
    detail: str = ""

    @property
    def delta(self) -> float | None:
        if self.baseline is None or self.candidate is None:
            return None
        return self.candidate - self.baseline


def sample_values(rows: list[dict[str, Any]], metrics: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Headline value per sample and column; runaway rows are left out of edits columns, as in summaries."""
    out: dict[str, dict[str, float]] = {}
    for row in rows:
        values = {}
        for info in metrics:
            score = row.get("scores", {}).get(info["name"])
            if not score or score.get("status") != "ok":
                continue
            for col in info["columns"]:
                if col["aggregation"] == "edits" and excluded_from_headline(row):
                    continue
                if score.get(col["name"]) is not None:
                    values[col["name"]] = float(score[col["name"]])
        out[f"{row['item_id']}#{row['seed']}|{row['language']}|{row['subset']}"] = values
    return out


def load_run(path: str | Path) -> Run:
    """A run folder (summary.json + samples.jsonl), a summary.json, or a baseline bundle."""
    path = Path(path)
    if path.is_dir():
        speed = read_speed(path / SPEED) if (path / SPEED).exists() else None
        summary = EMPTY_SUMMARY if speed is not None and not (path / SUMMARY).exists() else read_summary(path / SUMMARY)
        samples_file = path / SAMPLES
        rows = read_samples(samples_file) if samples_file.exists() else None
        return Run(summary, sample_values(rows, summary["metrics"]) if rows is not None else None, str(path), speed)
    data = _json_file(path, "baseline or summary")
    if isinstance(data, dict) and data.get("kind") == BASELINE_KIND:
        summary, samples = data.get("summary"), data.get("samples")
        if not isinstance(summary, dict) or "groups" not in summary or "metrics" not in summary:
            raise ResultsError(f"{path}: baseline bundle has no summary object (rewrite it with --write-baseline)")
        check_summary_shape(f"{path} (summary)", summary)
        _check_bundle_samples(path, samples)
        return Run(summary, samples, str(path), data.get("speed"))
    return Run(read_summary(path), None, str(path))


def _json_file(path: Path, what: str) -> Any:
    """A user-supplied JSON file, or one line naming it and what is wrong."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ResultsError(f"{what} file {path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    except (UnicodeDecodeError, RecursionError) as exc:
        raise ResultsError(f"{what} file {path}: unreadable ({type(exc).__name__})") from None


def _check_bundle_samples(path: Path, samples: Any) -> None:
    if samples is None:
        return
    if not isinstance(samples, dict):
        raise ResultsError(f"{path}: baseline samples must be an object or null")
    for key, values in samples.items():
        ok = key.count("|") == 2 and isinstance(values, dict)
        ok = ok and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values.values())
        if not ok:
            raise ResultsError(f"{path}: baseline sample {key[:60]!r} must be 'item#seed|language|subset' → {{column: number}}")


def write_baseline(run_dir: str | Path, out: str | Path) -> Path:
    run = load_run(run_dir)
    s = run.summary  # the source as results-relative names: a committed baseline carries no machine path
    source = f"{s.get('suite')}/{s.get('system')}/{s.get('profile')}"
    bundle = {"kind": BASELINE_KIND, "source": source, "summary": run.summary, "samples": run.samples, "speed": run.speed}
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps(bundle, indent=1, sort_keys=True) + "\n")
    return Path(out)


def load_tolerances(path: str | Path | None) -> dict[str, Any]:
    tol = json.loads(json.dumps(DEFAULT_TOLERANCES))
    if path is not None:
        user = _json_file(Path(path), "tolerances")
        if not isinstance(user, dict):
            raise ValueError(f"tolerances file {path}: must be a JSON object with sections {sorted(tol)}")
        user.pop("calibration", None)  # provenance written by `calibrate`; not a tolerance
        unknown = set(user) - set(tol)
        if unknown:
            raise ValueError(f"tolerances file {path}: unknown section(s) {sorted(unknown)}; expected {sorted(tol)}")
        for section, value in user.items():
            _check_tolerance_section(path, section, value)
            tol[section] = {**tol[section], **value}
    return tol


def _check_tolerance_section(path: str | Path, section: str, value: Any) -> None:
    """Sections are objects of non-negative numbers ({abs, rel}; counts by name; columns by name → {abs, rel})."""

    def number(v: Any) -> bool:
        return isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0 and v == v and v != float("inf")

    if not isinstance(value, dict):
        raise ValueError(f"tolerances file {path}: section {section!r} must be an object")
    if section == "speed":  # the speed section nests its own default and columns
        for sub, inner in value.items():
            if sub not in ("default", "columns"):
                raise ValueError(f"tolerances file {path}: speed: unknown key {sub!r}; expected default, columns")
            _check_tolerance_section(path, "columns" if sub == "columns" else "default", inner)
        return
    specs = value.items() if section == "columns" else [(section, value)]
    for name, spec in specs:
        if section == "counts":
            bad = [k for k, v in spec.items() if not number(v)]
        else:
            bad = (
                [name] if not isinstance(spec, dict) else [k for k, v in spec.items() if k not in ("abs", "rel") or not number(v)]
            )
        if bad:
            raise ValueError(
                f"tolerances file {path}: {section}: {', '.join(map(str, bad))} must be non-negative numbers"
                + ("" if section == "counts" else " under 'abs' or 'rel'")
            )


def allowed_change(tol: dict[str, Any], column: str, aggregation: str, baseline: float) -> float:
    spec = tol["columns"].get(column) or (tol["edits"] if aggregation == "edits" else tol["default"])
    return max(float(spec.get("abs", 0.0)), float(spec.get("rel", 0.0)) * abs(baseline))


def _groups(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {g["label"]: g for g in summary["groups"]}


def _paired_values(base: Run, cand: Run, label: str, column: str) -> tuple[list[float], list[float]]:
    a, b = [], []
    for key, values in (base.samples or {}).items():
        other = (cand.samples or {}).get(key)
        if other is None or column not in values or column not in other:
            continue
        _, language, subset = key.split("|")
        if label in (language, subset):
            a.append(values[column])
            b.append(other[column])
    return a, b


def compare(base: Run, cand: Run, tol: dict[str, Any], mode: str = "absolute") -> list[Check]:
    if mode not in ("absolute", "paired"):
        raise ValueError(f"gate mode must be 'absolute' or 'paired', got {mode!r}")
    if mode == "paired" and (base.samples is None or cand.samples is None):
        raise ValueError("paired mode needs per-sample values: pass run folders or a baseline bundle")
    checks: list[Check] = []
    b_groups, c_groups = _groups(base.summary), _groups(cand.summary)
    for label, bg in b_groups.items():
        cg = c_groups.get(label)
        for info in base.summary["metrics"]:
            for col in info["columns"]:
                name, better = col["name"], col["higher_is_better"]
                if better is None:
                    continue  # descriptive column: nothing to gate
                bv = bg["columns"].get(name, {}).get("value")
                cv = cg["columns"].get(name, {}).get("value") if cg else None
                if bv is None:
                    continue
                if cv is None:
                    checks.append(Check(label, name, bv, None, None, "missing", "candidate has no value"))
                    continue
                allowed = allowed_change(tol, name, col["aggregation"], bv)
                worse = (bv - cv) if better else (cv - bv)  # > 0 means the candidate is worse
                detail = ""
                if mode == "paired":
                    a, b = _paired_values(base, cand, label, name)
                    if a:
                        res = paired_bootstrap(a, b, seed=0)
                        lo, hi = (-res["hi"], -res["lo"]) if better else (res["lo"], res["hi"])
                        regression = lo > allowed  # the whole interval of "worse" lies beyond tolerance
                        detail = f"paired 95% CI of worsening [{lo:.3f}, {hi:.3f}] on {res['n']} items"
                    else:
                        regression, detail = worse > allowed, "no shared items: absolute check"
                else:
                    regression = worse > allowed
                status = "regression" if regression else ("improved" if worse < -allowed else "ok")
                checks.append(Check(label, name, bv, cv, allowed, status, detail))
                if col["aggregation"] == "edits":
                    checks.append(
                        _count_check(
                            label,
                            f"{name}.over50",
                            bg["columns"][name].get("over50"),
                            cg["columns"].get(name, {}).get("over50"),
                            tol["counts"].get("over50", 0),
                        )
                    )
        for field in COUNT_FIELDS:
            checks.append(_count_check(label, field, bg.get(field), cg.get(field) if cg else None, tol["counts"].get(field, 0)))
    if base.speed is not None:
        checks += speed_checks(base.speed, cand.speed, tol["speed"], Check)
    return checks


def _count_check(label: str, column: str, base: int | None, cand: int | None, allowed: float) -> Check:
    if base is None:
        return Check(label, column, None, cand, allowed, "ok", "no baseline count")
    if cand is None:
        return Check(label, column, base, None, allowed, "missing", "candidate has no count")
    status = "regression" if cand - base > allowed else ("improved" if cand < base else "ok")
    return Check(label, column, float(base), float(cand), float(allowed), status)


def describe(check: Check) -> str:
    if check.candidate is None or check.baseline is None:
        return f"{check.column} [{check.label}]: {check.detail}"
    sign = "+" if check.delta >= 0 else ""
    text = f"{check.column} [{check.label}]: {check.baseline:.2f} → {check.candidate:.2f} ({sign}{check.delta:.2f}; allowed worsening {check.allowed:.2f})"
    return f"{text}; {check.detail}" if check.detail else text


def markdown(checks: list[Check], title: str) -> str:
    failing = [c for c in checks if c.status in ("regression", "missing")]
    head = f"### {title}: {'FAIL' if failing else 'PASS'} ({len(failing)} regression(s) in {len(checks)} checks)"
    lines = [head, "", "| language | metric | baseline | candidate | Δ | allowed | status |", "|---|---|---|---|---|---|---|"]

    def fmt(v):
        return "" if v is None else f"{v:.2f}"

    for c in sorted(checks, key=lambda c: (c.status not in ("regression", "missing"), c.label, c.column)):
        lines.append(
            f"| {c.label} | {c.column} | {fmt(c.baseline)} | {fmt(c.candidate)} | {fmt(c.delta)} | {fmt(c.allowed)} | {c.status} |"
        )
    return "\n".join(lines) + "\n"


def calibrate(runs: list[Run], slack: float = 1.25, floor: float = 0.05) -> dict[str, Any]:
    """Tolerances from repeated runs of one system: the worst spread seen, times `slack`."""
    if len(runs) < 2:
        raise ValueError("calibration needs at least two runs of the same system and suite")
    columns: dict[str, dict[str, float]] = {}
    counts: dict[str, float] = {}
    first = runs[0].summary
    for info in first["metrics"]:
        for col in info["columns"]:
            if col["higher_is_better"] is None:
                continue
            spreads = []
            for label in _groups(first):
                values = [_groups(r.summary).get(label, {}).get("columns", {}).get(col["name"], {}).get("value") for r in runs]
                values = [v for v in values if v is not None]
                if len(values) >= 2:
                    spreads.append(max(values) - min(values))
            if spreads:
                columns[col["name"]] = {"abs": round(max(floor, slack * max(spreads)), 4)}
    for field in COUNT_FIELDS:
        per_label = [[_groups(r.summary).get(l, {}).get(field, 0) for r in runs] for l in _groups(first)]
        counts[field] = max((max(v) - min(v) for v in per_label), default=0)
    out = {"columns": columns, "counts": counts, "calibration": {"runs": [r.source for r in runs], "slack": slack}}
    if all(r.speed is not None for r in runs):
        out["speed"] = calibrate_speed([r.speed for r in runs], slack)  # type: ignore[misc]
    return out
