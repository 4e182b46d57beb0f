"""The C weighted edit distance equals the Python definition for every weight form it accepts."""

from __future__ import annotations

import random

import pytest

from ztts_eval.metrics.common.edit_ops import integer_weights, weighted_distance
from ztts_eval.metrics.dswed.distance import reference_weighted_levenshtein, weighted_levenshtein

WEIGHTS = [(1, 1, 1), (1, 2, 3), (0, 1, 1), (1, 0, 1), (1, 1, 0), (0, 0, 0), (0.5, 1, 1.5), (2, 3, 10), (0.25, 0.75, 2)]


@pytest.mark.parametrize("weights", WEIGHTS)
def test_c_path_matches_the_definition_on_random_unit_sequences(weights):
    rng = random.Random(hash(weights) & 0xFFFF)
    for _ in range(1000):
        a = [rng.randrange(6) for _ in range(rng.randint(0, 25))]
        b = [rng.randrange(6) for _ in range(rng.randint(0, 25))]
        fast = weighted_distance(a, b, *weights)
        assert fast is not None
        assert fast == reference_weighted_levenshtein(a, b, *weights), (a, b)


def test_weights_without_an_exact_integer_form_use_the_reference_loop():
    assert integer_weights((0.1, 1, 1)) is None
    assert integer_weights((-1, 1, 1)) is None
    assert integer_weights((0.5, 1, 3)) == ((1, 2, 6), 2)
    assert weighted_distance([1, 2], [1, 3], 0.1, 0.1, 0.1) is None
    assert weighted_levenshtein([1, 2], [1, 3], 0.1, 0.1, 0.1) == pytest.approx(0.1)
