"""DS-WED math, pure: weighted edit distance between two discrete-unit sequences, and the pairs of
generations it compares (same item, same prompt, different seeds).

The paper reports the raw weighted edit count (not length-normalised) with (ins, del, sub) =
(1, 1, 1); the weights stay configurable. Identical generations score 0; more prosodic variety
between seeds gives larger distances.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from itertools import combinations

from ztts_eval.metrics.common.edit_ops import weighted_distance


def weighted_levenshtein(
    a: Sequence[Hashable], b: Sequence[Hashable], ins: float = 1.0, dele: float = 1.0, sub: float = 1.0
) -> float:
    """Minimum total cost turning `a` into `b` with insertions, deletions and substitutions.

    rapidfuzz's C implementation whenever the weights have an exact integer form (the paper's
    (1, 1, 1), any integers, halves …); the reference loop below only for other weights.
    """
    fast = weighted_distance(a, b, ins, dele, sub)
    return fast if fast is not None else reference_weighted_levenshtein(a, b, ins, dele, sub)


def reference_weighted_levenshtein(
    a: Sequence[Hashable], b: Sequence[Hashable], ins: float = 1.0, dele: float = 1.0, sub: float = 1.0
) -> float:
    """Wagner–Fischer in Python: the definition, kept for weights without an exact integer form."""
    prev = [j * ins for j in range(len(b) + 1)]
    for i in range(1, len(a) + 1):
        cur = [i * dele]
        for j in range(1, len(b) + 1):
            cost = 0.0 if a[i - 1] == b[j - 1] else sub
            cur.append(min(prev[j - 1] + cost, prev[j] + dele, cur[j - 1] + ins))
        prev = cur
    return float(prev[-1])


def seed_pairs(seeds: Sequence[int]) -> list[tuple[int, int]]:
    """All unordered pairs of distinct seeds: N generations give N·(N−1)/2 pairs."""
    return list(combinations(sorted(set(seeds)), 2))
