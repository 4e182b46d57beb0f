"""Statistics of human votes: Bradley–Terry strengths and Krippendorff's alpha. Pure numpy.

Bradley–Terry: P(i beats j) = p_i / (p_i + p_j), fitted with Hunter's (2004) MM iterations; a tie
counts half a win each way. One virtual tie per compared pair (half a win each way) keeps a system
that never won finite; with two systems the strength ratio is therefore (W_a + ½) / (W_b + ½).
Strengths are reported on the Elo scale, 1000 + 400·log10(p / geometric mean).

Krippendorff's alpha (nominal) measures rater agreement beyond chance on units rated by two or
more raters and allows any number of raters per unit (Krippendorff 2011, "Computing
Krippendorff's Alpha-Reliability").
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

PRIOR_TIES = 1.0  # virtual ties per compared pair


def bradley_terry(
    systems: Sequence[str], outcomes: Sequence[tuple[str, str, float]], iterations: int = 2000, tol: float = 1e-10
) -> dict[str, float]:
    """Elo-scale strengths from (a, b, score of a ∈ {1, ½, 0}) outcomes."""
    idx = {s: i for i, s in enumerate(systems)}
    k = len(systems)
    wins = np.zeros((k, k))  # wins[i, j]: (fractional) wins of i over j
    for a, b, score in outcomes:
        wins[idx[a], idx[b]] += score
        wins[idx[b], idx[a]] += 1.0 - score
    games = wins + wins.T
    compared = games > 0
    wins = wins + compared * PRIOR_TIES / 2
    games = wins + wins.T
    w = wins.sum(axis=1)
    p = np.ones(k)
    for _ in range(iterations):
        denom = np.where(games > 0, games / (p[:, None] + p[None, :]), 0.0).sum(axis=1)
        new = np.where(denom > 0, w / np.where(denom > 0, denom, 1.0), p)
        new = new / np.exp(np.log(new).mean())
        if np.max(np.abs(new - p)) < tol:
            p = new
            break
        p = new
    return {s: float(1000 + 400 * np.log10(p[idx[s]])) for s in systems}


def krippendorff_alpha_nominal(units: Sequence[Sequence[str]]) -> float | None:
    """Alpha over units (the labels each rater gave one trial); units with one label are not pairable.
    None when fewer than two pairable values exist or all values are one category."""
    pairable = [list(u) for u in units if len(u) >= 2]
    if not pairable:
        return None
    cats = sorted({v for u in pairable for v in u})
    ci = {c: i for i, c in enumerate(cats)}
    coincide = np.zeros((len(cats), len(cats)))
    for u in pairable:
        counts = np.bincount([ci[v] for v in u], minlength=len(cats)).astype(float)
        coincide += (np.outer(counts, counts) - np.diag(counts)) / (len(u) - 1)
    n_c = coincide.sum(axis=1)
    n = n_c.sum()
    observed = (n - np.trace(coincide)) / n
    expected = (n * n - (n_c**2).sum()) / (n * (n - 1))
    if expected == 0:
        return None
    return float(1 - observed / expected)


def percent_agreement(units: Sequence[Sequence[str]]) -> float | None:
    """Share of rater pairs, over units with two or more raters, that gave the same label."""
    agree = total = 0
    for u in units:
        for i in range(len(u)):
            for j in range(i + 1, len(u)):
                agree += u[i] == u[j]
                total += 1
    return agree / total if total else None
