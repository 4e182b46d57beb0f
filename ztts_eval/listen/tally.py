"""`ztts-eval listen --tally VOTES…`: what the votes say, and which metrics agree with them.

Per question (overall, and similarity / naturalness when asked):
- per pair of systems, per language and over all: wins, ties and the first system's win rate
  (a tie is half a win) with a seeded bootstrap 95 % interval over votes;
- Bradley–Terry strengths on the Elo scale across all systems, with a bootstrap interval;
- inter-rater agreement on trials heard by two or more raters (Krippendorff's alpha, raw share);
- for each automatic metric, how often it prefers the system the rater preferred (votes that are
  not ties, on items where the metric's two values differ), with a bootstrap interval.
Written to tally.json beside the key, where the HTML report finds it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from ztts_eval.listen import ListenError
from ztts_eval.listen.stats import bradley_terry, krippendorff_alpha_nominal, percent_agreement
from ztts_eval.listen.votes import read_votes
from ztts_eval.pipeline.results import atomic_write_text, read_json_file
from ztts_eval.pipeline.stats import bootstrap_mean_ci

BT_BOOT = 200
SCORE = {"A": 1.0, "tie": 0.5, "B": 0.0}  # score of the system played as A


def _ci(values: list[float], seed: int) -> list[float] | None:
    ci = bootstrap_mean_ci(values, seed=seed)
    return [round(ci[0], 4), round(ci[1], 4)] if ci else None


def _pairs(outcomes: list[dict[str, Any]], seed: int) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for o in outcomes:
        for lang in (o["language"], "all"):
            groups[(o["x"], o["y"], lang)].append(o["score_x"])
    out = []
    for (x, y, lang), scores in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] != "all", kv[0][2])):
        s = np.asarray(scores)
        out.append(
            {
                "a": x,
                "b": y,
                "language": lang,
                "n": int(s.size),
                "wins_a": int((s == 1).sum()),
                "wins_b": int((s == 0).sum()),
                "ties": int((s == 0.5).sum()),
                "win_rate_a": round(float(s.mean()), 4),
                "ci95": _ci(scores, seed),
            }
        )
    return out


def _strengths(systems: list[str], outcomes: list[dict[str, Any]], seed: int) -> list[dict[str, Any]]:
    triples = [(o["x"], o["y"], o["score_x"]) for o in outcomes]
    point = bradley_terry(systems, triples)
    rng = np.random.default_rng(seed)
    boots = [bradley_terry(systems, [triples[i] for i in rng.integers(0, len(triples), len(triples))]) for _ in range(BT_BOOT)]
    out = []
    for s in sorted(systems, key=lambda s: -point[s]):
        vals = np.asarray([b[s] for b in boots])
        out.append(
            {"system": s, "elo": round(point[s], 1), "ci95": [round(float(np.quantile(vals, q)), 1) for q in (0.025, 0.975)]}
        )
    return out


def _agreement(outcomes: list[dict[str, Any]]) -> dict[str, Any]:
    by_trial: dict[str, list[str]] = defaultdict(list)
    for o in outcomes:
        by_trial[o["trial"]].append(o["answer"])
    units = list(by_trial.values())
    multi = [u for u in units if len(u) >= 2]
    alpha, share = krippendorff_alpha_nominal(units), percent_agreement(units)
    return {
        "n_trials_multi": len(multi),
        "krippendorff_alpha": None if alpha is None else round(alpha, 4),
        "percent_agreement": None if share is None else round(share, 4),
    }


def _metric_agreement(key: dict[str, Any], outcomes: list[dict[str, Any]], seed: int) -> list[dict[str, Any]]:
    out = []
    for m in key["metrics"]:
        agree, metric_ties, human_ties = [], 0, 0
        for o in outcomes:
            va, vb = o["values"]["a"].get(m["column"]), o["values"]["b"].get(m["column"])
            if va is None or vb is None:
                continue
            if o["answer"] == "tie":
                human_ties += 1
                continue
            diff = (va - vb) * (1 if m["higher_is_better"] else -1)
            if diff == 0:
                metric_ties += 1
                continue
            agree.append(float((diff > 0) == (o["answer"] == "A")))
        out.append(
            {
                "metric": m["metric"],
                "column": m["column"],
                "scorer": m.get("scorer"),
                "n": len(agree),
                "agree": int(sum(agree)),
                "rate": round(sum(agree) / len(agree), 4) if agree else None,
                "ci95": _ci(agree, seed),
                "n_human_ties": human_ties,
                "n_metric_ties": metric_ties,
            }
        )
    return out


def tally(key: dict[str, Any], votes: list[dict[str, Any]], seed: int = 0) -> dict[str, Any]:
    trials = {t["id"]: t for t in key["trials"]}
    questions: dict[str, Any] = {}
    for q in key["questions"]:
        outcomes = []
        for v in votes:
            answer = v["answers"].get(q)
            if answer is None:
                continue
            t = trials[v["trial"]]
            x, y = sorted((t["a"], t["b"]))
            score_a = SCORE[answer]
            outcomes.append(
                {
                    "trial": t["id"],
                    "language": t["language"],
                    "answer": answer,
                    "x": x,
                    "y": y,
                    "score_x": score_a if t["a"] == x else 1.0 - score_a,
                    "values": t["values"],
                }
            )
        if not outcomes:
            questions[q] = {"n": 0}
            continue
        questions[q] = {
            "n": len(outcomes),
            "pairs": _pairs(outcomes, seed),
            "strengths": _strengths(key["systems"], outcomes, seed),
            "agreement": _agreement(outcomes),
            "metrics": _metric_agreement(key, outcomes, seed),
        }
    return {
        "test_id": key["test_id"],
        "suite": key["suite"],
        "profile": key["profile"],
        "systems": key["systems"],
        "n_votes": len(votes),
        "raters": sorted({v["rater"] for v in votes}),
        "seed": seed,
        "questions": questions,
    }


def write_tally(test_dir: Path, vote_files: list[Path], seed: int = 0) -> tuple[Path, dict[str, Any]]:
    key_path = Path(test_dir) / "key.json"
    if not key_path.is_file():
        raise ListenError(
            f"{key_path} not found: tally needs the key of the test the votes are for (build it with `ztts-eval listen`)"
        )
    key = read_json_file(key_path)
    votes, replaced = read_votes(vote_files, key)
    if not votes:
        raise ListenError(f"no votes in {', '.join(map(str, vote_files))}")
    result = {**tally(key, votes, seed), "replaced_votes": replaced, "vote_files": [str(p) for p in vote_files]}
    out = Path(test_dir) / "tally.json"
    atomic_write_text(out, json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    return out, result


def summary_lines(result: dict[str, Any]) -> list[str]:
    """A short plain-text view for the terminal."""
    lines = [f"{result['n_votes']} vote(s) from {len(result['raters'])} rater(s); test {result['test_id']}"]
    for q, r in result["questions"].items():
        if not r["n"]:
            continue
        lines.append(f"[{q}] strengths (Elo scale): " + ", ".join(f"{s['system']} {s['elo']:.0f}" for s in r["strengths"]))
        for p in r["pairs"]:
            if p["language"] == "all":
                ci = f" [{p['ci95'][0]:.2f}, {p['ci95'][1]:.2f}]" if p["ci95"] else ""
                lines.append(
                    f"[{q}] {p['a']} vs {p['b']}: {p['win_rate_a']:.2f}{ci} ({p['wins_a']}–{p['ties']}–{p['wins_b']}, n={p['n']})"
                )
        for m in r["metrics"]:
            if m["rate"] is not None:
                lines.append(f"[{q}] {m['column']} agrees with raters on {m['agree']}/{m['n']} = {m['rate']:.2f}")
    return lines
