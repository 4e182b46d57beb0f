"""Pure edit-count math for WER/CER: substitutions, deletions, insertions and reference length.

Storing (S, D, I, N) per sample makes both aggregations exact: corpus error = ΣE/ΣN, and the
Seed-TTS-Eval convention = mean of per-utterance E/N.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


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


def edit_counts(ref: Sequence[str], hyp: Sequence[str]) -> EditCounts:
    """Levenshtein alignment; among equal-cost paths prefer substitutions (as jiwer/Kaldi do)."""
    n, m = len(ref), len(hyp)
    # cost[j] = (total, S, D, I) for ref[:i] vs hyp[:j]
    prev = [(j, 0, 0, j) for j in range(m + 1)]
    for i in range(1, n + 1):
        cur = [(i, 0, i, 0)]
        for j in range(1, m + 1):
            if ref[i - 1] == hyp[j - 1]:
                cur.append(prev[j - 1])
                continue
            s, d, ins = prev[j - 1], prev[j], cur[j - 1]
            options = [
                (s[0] + 1, s[1] + 1, s[2], s[3]),
                (d[0] + 1, d[1], d[2] + 1, d[3]),
                (ins[0] + 1, ins[1], ins[2], ins[3] + 1),
            ]
            cur.append(min(options, key=lambda o: o[0]))
        prev = cur
    _, s, d, i = prev[m]
    return EditCounts(s, d, i, n)


def tokenize(text: str, unit: str) -> list[str]:
    """Words split on whitespace, or characters with whitespace removed (CER for zh/ja/ko/th)."""
    if unit == "word":
        return text.split()
    if unit == "char":
        return [c for c in text if not c.isspace()]
    raise ValueError(f"unknown unit {unit!r}")
