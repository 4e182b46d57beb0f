"""Which pairs of audio a rater hears: items × system pairs, spread over languages and aimed at
the items where automatic metrics disagree (where a human vote tells us the most).

A candidate is one item heard from two systems, both with a successful generation (first seed).
Candidates are bucketed by (language, pair) and taken round-robin over the buckets, so every
language and pair gets trials; inside a bucket, items on which the metrics prefer different
systems come first, then the rest in seeded random order. A and B are assigned at random.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ztts_eval.listen import ListenError
from ztts_eval.report.context import SuiteResults


@dataclass
class Trial:
    id: str
    item: str
    seed: int
    language: str
    text: str
    a: str  # system played as A
    b: str  # system played as B
    reason: str  # why it was picked: "metrics disagree (…)" or "spread"
    values: dict[str, dict[str, float]] = field(default_factory=dict)  # "a"/"b" → metric column → value


def judged_metrics(ctx: SuiteResults) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Per-sample headline columns with a direction: the metrics a vote can agree or disagree with."""
    return [(info, col) for info, col in ctx.headline("sample") if col.get("higher_is_better") is not None]


def _first_ok(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for r in sorted(rows, key=lambda r: r["seed"]):
        if r["status"] == "ok" and r.get("audio_path") and r["item_id"] not in out:
            out[r["item_id"]] = r
    return out


def _values(ctx: SuiteResults, system: str, row: dict[str, Any], metrics) -> dict[str, float]:
    out = {}
    for info, col in metrics:
        sc = row.get("scores", {}).get(info["name"], {})
        v = sc.get(col["name"])
        if sc.get("status") == "ok" and isinstance(v, (int, float)) and not ctx.self_compared(system, info):
            out[col["name"]] = float(v)
    return out


def preferences(va: dict[str, float], vb: dict[str, float], metrics) -> dict[str, str]:
    """Per metric column: "a", "b" or "tie" — which side the metric calls better."""
    out = {}
    for _info, col in metrics:
        name = col["name"]
        if name in va and name in vb:
            diff = (va[name] - vb[name]) * (1 if col["higher_is_better"] else -1)
            out[name] = "a" if diff > 0 else "b" if diff < 0 else "tie"
    return out


def sample_trials(ctx: SuiteResults, systems: list[str], n_trials: int, seed: int = 0) -> list[Trial]:
    unknown = [s for s in systems if s not in ctx.rows]
    if unknown:
        raise ListenError(f"unknown system(s) {', '.join(unknown)}; runs of this suite: {', '.join(ctx.systems)}")
    if len(set(systems)) < 2:
        raise ListenError(
            f"a listening test needs two or more systems with runs on suite {ctx.suite!r}; got {', '.join(systems) or 'none'}"
        )
    if n_trials < 1:
        raise ListenError(f"--trials must be at least 1, got {n_trials}")
    rng = np.random.default_rng(seed)
    metrics = judged_metrics(ctx)
    ok = {s: _first_ok(ctx.rows[s]) for s in systems}
    buckets: dict[tuple[str, str, str], list[tuple[int, float, Trial]]] = {}
    for s1, s2 in itertools.combinations(systems, 2):
        for item_id in sorted(set(ok[s1]) & set(ok[s2])):
            r1, r2 = ok[s1][item_id], ok[s2][item_id]
            v1, v2 = _values(ctx, s1, r1, metrics), _values(ctx, s2, r2, metrics)
            prefs = {k: p for k, p in preferences(v1, v2, metrics).items() if p != "tie"}
            disagree = len(set(prefs.values())) > 1
            reason = "metrics disagree (" + ", ".join(f"{k}→{s1 if p == 'a' else s2}" for k, p in prefs.items()) + ")"
            trial = Trial(
                "", item_id, r1["seed"], r1["language"], r1["text"], s1, s2, reason if disagree else "spread", {"a": v1, "b": v2}
            )
            buckets.setdefault((r1["language"], s1, s2), []).append((0 if disagree else 1, float(rng.random()), trial))
    if not buckets:
        raise ListenError(f"no item has a successful generation from at least two of: {', '.join(systems)}")
    queues = [sorted(b, key=lambda t: (t[0], t[1])) for _, b in sorted(buckets.items())]
    picked: list[Trial] = []
    while len(picked) < n_trials and any(queues):
        for q in queues:
            if q and len(picked) < n_trials:
                picked.append(q.pop(0)[2])
    order = rng.permutation(len(picked))
    out = []
    for n, i in enumerate(order, 1):
        t = picked[i]
        if rng.random() < 0.5:  # A/B at random, so position never predicts the system
            t.a, t.b, t.values = t.b, t.a, {"a": t.values["b"], "b": t.values["a"]}
        t.id = f"t{n:03d}"
        out.append(t)
    return out
