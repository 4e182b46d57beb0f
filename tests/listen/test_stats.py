"""Bradley–Terry and agreement statistics against values worked out by hand."""

from __future__ import annotations

import pytest

from ztts_eval.listen.stats import bradley_terry, krippendorff_alpha_nominal, percent_agreement


def test_two_systems_strength_ratio_is_the_smoothed_win_ratio():
    # 3 wins to 1, plus one virtual tie (half a win each way): p_a / p_b = 3.5 / 1.5
    elo = bradley_terry(["a", "b"], [("a", "b", 1.0)] * 3 + [("a", "b", 0.0)])
    assert 10 ** ((elo["a"] - elo["b"]) / 400) == pytest.approx(3.5 / 1.5, rel=1e-6)
    assert (elo["a"] + elo["b"]) / 2 == pytest.approx(1000)  # geometric mean of strengths is 1


def test_ties_count_half_and_order_is_recovered():
    elo = bradley_terry(["x", "y"], [("x", "y", 0.5)] * 4)
    assert elo["x"] == pytest.approx(elo["y"])
    outcomes = [("a", "b", 1.0)] * 8 + [("b", "c", 1.0)] * 8 + [("a", "c", 1.0)] * 8 + [("c", "a", 1.0)]
    elo = bradley_terry(["a", "b", "c"], outcomes)
    assert elo["a"] > elo["b"] > elo["c"]


def test_a_system_that_never_wins_stays_finite():
    elo = bradley_terry(["a", "b"], [("a", "b", 1.0)] * 5)
    assert 10 ** ((elo["a"] - elo["b"]) / 400) == pytest.approx(5.5 / 0.5, rel=1e-6)


def test_krippendorff_alpha_matches_hand_computation():
    # units (A,A), (A,A), (B,B), (A,B): o_AA=4, o_BB=2, o_AB=o_BA=1; n_A=5, n_B=3, n=8
    # D_o = 2/8, D_e = 2·5·3/(8·7) = 30/56, alpha = 1 − (2/8)/(30/56) = 1 − 14/30
    assert krippendorff_alpha_nominal([["A", "A"], ["A", "A"], ["B", "B"], ["A", "B"]]) == pytest.approx(1 - 14 / 30)
    assert krippendorff_alpha_nominal([["A", "A"], ["B", "B", "B"], ["tie", "tie"]]) == pytest.approx(1.0)
    assert krippendorff_alpha_nominal([["A"], ["B"]]) is None  # nothing pairable
    assert krippendorff_alpha_nominal([["A", "A"], ["A", "A"]]) is None  # one category: agreement undefined


def test_percent_agreement_counts_rater_pairs():
    # (A,A,B): 1 of 3 pairs agree; (B,B): 1 of 1 → 2 / 4
    assert percent_agreement([["A", "A", "B"], ["B", "B"], ["A"]]) == pytest.approx(0.5)
    assert percent_agreement([["A"]]) is None
