"""A scripted rater for the listening-test tests: a known taste, and the win rates it must tally to."""

from __future__ import annotations

# The scripted rater's taste, a known truth for the tally: overall alpha > ground-truth > beta,
# with every fifth trial a tie; similarity always the system whose programmed sim is higher.
OVERALL_RANK = {"alpha": 0, "ground-truth": 1, "beta": 2}
SIM_RANK = {"beta": 0, "alpha": 1, "ground-truth": 2}


def planned(trial: dict, question: str) -> str:
    if question == "overall" and int(trial["id"][1:]) % 5 == 0:
        return "tie"
    rank = OVERALL_RANK if question == "overall" else SIM_RANK
    return "A" if rank[trial["a"]] < rank[trial["b"]] else "B"


def expected_win_rates(key: dict, votes_per_trial: dict[str, int], question: str = "overall") -> dict[tuple[str, str], float]:
    """(first, second) system in name order → the first's win rate, counted directly from the plan."""
    score: dict[tuple[str, str], list[float]] = {}
    for t in key["trials"]:
        for _ in range(votes_per_trial.get(t["id"], 0)):
            x, y = sorted((t["a"], t["b"]))
            answer = planned(t, question)
            winner = None if answer == "tie" else (t["a"] if answer == "A" else t["b"])
            score.setdefault((x, y), []).append(0.5 if winner is None else float(winner == x))
    return {pair: sum(v) / len(v) for pair, v in score.items()}
