"""DS-WED's pure pieces: weighted edit distance, seed pairs, unit runs."""

from __future__ import annotations

from ztts_eval.metrics.common.kmeans_units import collapse_runs
from ztts_eval.metrics.dswed.distance import seed_pairs, weighted_levenshtein


def test_weighted_levenshtein_known_distances():
    assert weighted_levenshtein("kitten", "sitting") == 3
    assert weighted_levenshtein([1, 2, 3], [1, 2, 3]) == 0
    assert weighted_levenshtein([], [4, 5]) == 2
    assert weighted_levenshtein([1, 2], [], dele=0.5) == 1.0
    assert weighted_levenshtein([1], [2], sub=3.0) == 2.0  # cheaper as delete + insert
    assert weighted_levenshtein([1, 2, 3], [1, 3], dele=2.0) == 2.0


def test_pairs_and_runs():
    assert seed_pairs([0, 1]) == [(0, 1)]
    assert len(seed_pairs(range(5))) == 10
    assert collapse_runs([3, 3, 1, 1, 1, 3, 2, 2]) == [3, 1, 3, 2]
