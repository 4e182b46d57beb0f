"""Exact edit distances in C (rapidfuzz) over any hashable tokens: words, characters, unit ids.

Tokens are first mapped to small integers shared by both sides, so equality is exact (rapidfuzz
compares arbitrary Python objects by hash). Weights may be any non-negative numbers that a power
of two turns into integers (1, 2, 0.5 …): the distance is computed on those integers and scaled
back, which is exact in floating point; other weights return None so the caller can use its
reference loop.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from functools import lru_cache

from rapidfuzz.distance import Levenshtein

_MAX_SHIFT = 20  # weights finer than 2**-20 are left to the caller's loop


def token_codes(a: Sequence[Hashable], b: Sequence[Hashable]) -> tuple[list[int], list[int]]:
    """Both sequences as integers from one shared vocabulary (first occurrence order)."""
    vocab: dict[Hashable, int] = {}
    return [vocab.setdefault(t, len(vocab)) for t in a], [vocab.setdefault(t, len(vocab)) for t in b]


def _exact_as_is(seq: Sequence[Hashable]) -> bool:
    """rapidfuzz compares str characters and Python ints by value (hashes only other objects), so
    such sequences (DS-WED's unit ids) need no vocabulary pass."""
    return isinstance(seq, str) or (isinstance(seq, (list, tuple)) and {*map(type, seq)} <= _INT)


_INT = {int}


@lru_cache(maxsize=64)
def integer_weights(weights: Sequence[float]) -> tuple[tuple[int, ...], int] | None:
    """(integer weights, scale) with weights = integers / scale, scale a power of two; None when
    no such exact form exists (negative, non-finite or non-dyadic weights)."""
    if any(not (w >= 0) or w == float("inf") for w in weights):
        return None
    for shift in range(_MAX_SHIFT + 1):
        scaled = [w * (1 << shift) for w in weights]
        if all(s == int(s) for s in scaled):
            return tuple(int(s) for s in scaled), 1 << shift
    return None


def weighted_distance(a: Sequence[Hashable], b: Sequence[Hashable], ins: float, dele: float, sub: float) -> float | None:
    """Minimum total cost turning `a` into `b`, or None when the weights have no exact integer form."""
    exact = integer_weights((ins, dele, sub))
    if exact is None:
        return None
    (w_ins, w_del, w_sub), scale = exact
    x, y = (a, b) if _exact_as_is(a) and _exact_as_is(b) else token_codes(a, b)
    if (w_ins, w_del, w_sub) == (1, 1, 1):  # the paper's weights: rapidfuzz's bit-parallel path
        return float(Levenshtein.distance(x, y)) / scale
    return Levenshtein.distance(x, y, weights=(w_ins, w_del, w_sub)) / scale
