import pytest

from ztts_eval.metrics.wer.edit_distance import EditCounts, edit_counts, tokenize


def test_counts_hand_computed():
    # ref: a b c d ; hyp: a x c  -> b->x substitution, d deleted
    c = edit_counts("a b c d".split(), "a x c".split())
    assert (c.substitutions, c.deletions, c.insertions, c.ref_len) == (1, 1, 0, 4)
    assert c.rate == pytest.approx(0.5)


def test_insertions_and_empty_hypothesis():
    c = edit_counts(["a"], ["x", "a", "y"])
    assert (c.substitutions, c.deletions, c.insertions) == (0, 0, 2)
    assert edit_counts(["a", "b"], []).deletions == 2
    assert edit_counts([], ["a"]).insertions == 1


def test_identical_is_zero_and_empty_reference_undefined():
    assert edit_counts(list("abc"), list("abc")).errors == 0
    with pytest.raises(ValueError):
        _ = EditCounts(0, 0, 1, 0).rate


def test_char_tokenization_ignores_spaces():
    assert tokenize("今天 天气", "char") == ["今", "天", "天", "气"]
    assert tokenize("a  b", "word") == ["a", "b"]
    with pytest.raises(ValueError):
        tokenize("x", "phone")
