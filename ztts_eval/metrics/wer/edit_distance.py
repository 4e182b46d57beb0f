"""Edit-count math for WER/CER: substitutions, deletions, insertions and reference length.

Storing (S, D, I, N) per sample makes both aggregations exact: corpus error = ΣE/ΣN, and the
Seed-TTS-Eval convention = mean of per-utterance E/N.

Speed without changing a number: the counts come from rapidfuzz's C Levenshtein (the library
jiwer 4 itself uses), not a Python loop. Several minimum-edit alignments can split one total
differently (a substitution, or a deletion plus an insertion elsewhere), and the split is part of
every WER row, so it follows one fixed rule, the one these rows have always used: walk back from
the end of both sequences, taking the diagonal (match or substitution) whenever it lies on a
minimum-edit path, else a deletion, else an insertion. Two weighted C calls give the largest and
the smallest substitution count any minimum-edit alignment can have (insertion = deletion = K,
substitution = K ∓ 1 with K above any possible S: the weighted minimum is K·E ∓ S). When they
agree (most rows: all rows without errors or with a single kind) every rule gives that split;
otherwise the rule runs over a numpy-built cost matrix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz.distance import Levenshtein

from ztts_eval.metrics.common.edit_ops import token_codes


@dataclass(frozen=True)
class EditCounts:
    substitutions: int
    deletions: int
    insertions: int
    ref_len: int

    @property
    def errors(self) -> int:
        return self.substitutions + self.deletions + self.insertions

    @property
    def rate(self) -> float:
        """Per-utterance error rate; undefined (ValueError) for an empty reference."""
        if self.ref_len == 0:
            raise ValueError("error rate undefined for an empty reference")
        return self.errors / self.ref_len


def _cost_matrix(a: list[int], b: list[int]) -> list[list[int]]:
    """Levenshtein prefix distances D[i][j], one vectorised row at a time (insertions along a row
    are a running minimum of D[i][k] − k)."""
    n, m = len(a), len(b)
    cols = np.arange(m + 1)
    hyp = np.asarray(b)
    rows = np.empty((n + 1, m + 1), dtype=np.int64)
    rows[0] = cols
    for i in range(1, n + 1):
        row = np.empty(m + 1, dtype=np.int64)
        row[0] = i
        np.minimum(rows[i - 1, :-1] + (hyp != a[i - 1]), rows[i - 1, 1:] + 1, out=row[1:])
        rows[i] = np.minimum.accumulate(row - cols) + cols
    return rows.tolist()


def _walk_back(a: list[int], b: list[int]) -> tuple[int, int, int]:
    """The fixed rule: from (n, m) take the diagonal when it is on a minimum-edit path, else a
    deletion, else an insertion; count the kinds taken."""
    cost = _cost_matrix(a, b)
    i, j, subs, dels, ins = len(a), len(b), 0, 0, 0
    while i and j:
        here, diag = cost[i][j], cost[i - 1][j - 1]
        if a[i - 1] == b[j - 1] or diag + 1 == here:
            subs += a[i - 1] != b[j - 1]
            i, j = i - 1, j - 1
        elif cost[i - 1][j] + 1 == here:
            dels, i = dels + 1, i - 1
        else:
            ins, j = ins + 1, j - 1
    return subs, dels + i, ins + j


def edit_counts(ref: Sequence[str], hyp: Sequence[str]) -> EditCounts:
    """Minimum-edit counts of `hyp` against `ref`, split by the module's fixed rule."""
    n, m = len(ref), len(hyp)
    if n == 0 or m == 0:
        return EditCounts(0, n, m, n)
    a, b = token_codes(ref, hyp)
    k = n + m + 1  # > any possible S (≤ min(n, m)), so each weighted minimum orders by E first
    most = Levenshtein.distance(a, b, weights=(k, k, k - 1))  # = K·E − max S
    errors = -(-most // k)
    s_max = k * errors - most
    s_min = Levenshtein.distance(a, b, weights=(k, k, k + 1)) - k * errors  # = K·E + min S
    if s_max == s_min:
        subs = s_max
        dels = (errors - subs + n - m) // 2  # D − I = N − M for every alignment
        return EditCounts(subs, dels, errors - subs - dels, n)
    return EditCounts(*_walk_back(a, b), n)


def tokenize(text: str, unit: str) -> list[str]:
    """Words split on whitespace, or characters with whitespace removed (CER for zh/ja/ko/th)."""
    if unit == "word":
        return text.split()
    if unit == "char":
        return [c for c in text if not c.isspace()]
    raise ValueError(f"unknown unit {unit!r}")
