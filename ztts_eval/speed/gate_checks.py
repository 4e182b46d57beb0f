"""Speed columns for the regression gate, and tolerances calibrated from repeated clean runs.

Per load setting (matched by label, e.g. "c=16"): TTFA p50/p95, RTF p50/p95 and the underrun rate
may not grow, and requests/s may not fall, beyond a tolerance (relative by default: speed scales
with the machine). Two things make a comparison meaningless and fail it outright: a candidate whose
load generator was itself overloaded (its timings understate the server), and a change of the
hardware the model ran on. `calibrate_speed` proposes tolerances the sglang-omni way: from the
worst of several clean runs, times a slack factor (docs/decisions.md §14).
"""

from __future__ import annotations

from typing import Any

# column -> (how to read it from a setting, higher is better)
COLUMNS: dict[str, tuple[tuple[str, ...], bool]] = {
    "ttfa_p50": (("measures", "ttfa_s", "p50"), False),
    "ttfa_p95": (("measures", "ttfa_s", "p95"), False),
    "rtf_p50": (("measures", "rtf", "p50"), False),
    "rtf_p95": (("measures", "rtf", "p95"), False),
    "requests_per_s": (("requests_per_s",), True),
    "underrun_rate": (("underrun_rate",), False),
}
DEFAULT_SPEED_TOLERANCES: dict[str, Any] = {"default": {"rel": 0.15}, "columns": {"underrun_rate": {"abs": 0.02}}}


def value(setting: dict[str, Any], column: str) -> float | None:
    node: Any = setting
    for key in COLUMNS[column][0]:
        node = node.get(key) if isinstance(node, dict) else None
    return float(node) if isinstance(node, (int, float)) else None


def allowed(tol: dict[str, Any], column: str, baseline: float) -> float:
    spec = (tol.get("columns") or {}).get(column) or tol.get("default") or {}
    return max(float(spec.get("abs", 0.0)), float(spec.get("rel", 0.0)) * abs(baseline))


def speed_checks(base: dict[str, Any], cand: dict[str, Any] | None, tol: dict[str, Any], check_cls: type) -> list[Any]:
    """Gate checks (the gate's Check class) for every setting of the baseline's speed summary."""
    if cand is None:
        return [check_cls("speed", "speed.json", None, None, None, "missing", "candidate has no speed results")]
    checks = []
    b_hw, c_hw = base["hardware"]["model_runs_on"], cand["hardware"]["model_runs_on"]
    if b_hw != c_hw:
        checks.append(check_cls("speed", "hardware", None, None, None, "missing", f"model ran on {c_hw!r}, baseline on {b_hw!r}"))
    c_settings = {s["label"]: s for s in cand["settings"]}
    for bs in base["settings"]:
        label, cs = f"speed {bs['label']}", c_settings.get(bs["label"])
        if cs is None:
            checks.append(check_cls(label, "setting", None, None, None, "missing", "candidate did not measure this load"))
            continue
        if cs["client"]["overloaded"]:
            checks.append(
                check_cls(label, "client", None, None, None, "missing", "load generator overloaded: " + cs["client"]["reason"])
            )
        for column, (_, higher) in COLUMNS.items():
            bv, cv = value(bs, column), value(cs, column)
            if bv is None:
                continue
            if cv is None:
                checks.append(check_cls(label, column, bv, None, None, "missing", "candidate has no value"))
                continue
            limit = allowed(tol, column, bv)
            worse = (bv - cv) if higher else (cv - bv)
            status = "regression" if worse > limit else ("improved" if worse < -limit else "ok")
            checks.append(check_cls(label, column, bv, cv, limit, status))
    return checks


def calibrate_speed(runs: list[dict[str, Any]], slack: float, floor: float = 0.05) -> dict[str, Any]:
    """Relative tolerances from N clean runs: the worst run's distance from the best, per column and
    setting, the largest of those, times `slack` (never below `floor`)."""
    columns: dict[str, dict[str, float]] = {}
    labels = [s["label"] for s in runs[0]["settings"]]
    for column, (_, higher) in COLUMNS.items():
        spreads = []
        for label in labels:
            vals = [value(s, column) for r in runs for s in r["settings"] if s["label"] == label]
            vals = [v for v in vals if v is not None]
            if len(vals) < 2:
                continue
            best, worst = (max(vals), min(vals)) if higher else (min(vals), max(vals))
            if column == "underrun_rate":
                spreads.append(worst - best)
            elif best > 0:
                spreads.append(abs(worst - best) / best)
        if spreads:
            key = "abs" if column == "underrun_rate" else "rel"
            columns[column] = {key: round(max(floor if key == "rel" else 0.0, slack * max(spreads)), 4)}
    return {"columns": columns, "default": DEFAULT_SPEED_TOLERANCES["default"]}
