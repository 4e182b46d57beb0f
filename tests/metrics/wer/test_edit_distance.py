import random

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


def _reference_counts(ref, hyp):
    """The Python DP these rows were computed with before the C path (the oracle, kept verbatim in
    spirit): per cell (total, S, D, I); on equal totals substitution, then deletion, then insertion."""
    n, m = len(ref), len(hyp)
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
    return prev[m][1:]


def _split(c):
    return c.substitutions, c.deletions, c.insertions


def test_ambiguous_split_follows_the_fixed_rule():
    # ref "a b a", hyp "b c a b": two alignments with 3 edits, S S I (a→b, b→c, a=a, +b) and
    # D I I (−a, b=b, +c, a=a, +b). The fixed rule gives D I I, as the pre-C DP and jiwer 4 do;
    # the C bounds (max S 2, min S 0) disagree here, so this exercises the matrix walk.
    c = edit_counts("a b a".split(), "b c a b".split())
    assert _split(c) == (0, 1, 2) == _reference_counts("a b a".split(), "b c a b".split())


def test_identical_to_the_reference_dp_on_10000_random_pairs():
    rng = random.Random(20260721)
    for _ in range(10_000):
        vocab = rng.randint(2, 9)
        ref = [str(rng.randrange(vocab)) for _ in range(rng.randint(0, 18))]
        hyp = [str(rng.randrange(vocab)) for _ in range(rng.randint(0, 18))]
        c = edit_counts(ref, hyp)
        assert _split(c) == _reference_counts(ref, hyp), (ref, hyp)
        assert c.ref_len == len(ref)


@pytest.mark.parametrize("unit", ["word", "char"])
def test_identical_to_the_reference_dp_on_the_normalizer_golden_set(unit):
    # every golden (raw text, normalized text) pair in both directions, in both units
    from tests.metrics.wer.test_text_norm import GOLDEN

    for _, raw, expected in GOLDEN:
        for ref, hyp in ((expected, raw), (raw, expected), (expected, raw.lower())):
            r, h = tokenize(ref, unit), tokenize(hyp, unit)
            assert _split(edit_counts(r, h)) == _reference_counts(r, h), (ref, hyp)


def test_tokens_compare_by_equality_not_hash():
    class Collide(str):
        def __hash__(self):  # every token hashes alike: only real equality may match
            return 7

    ref = [Collide(w) for w in "the cat sat".split()]
    hyp = [Collide(w) for w in "the dog sat".split()]
    assert _split(edit_counts(ref, hyp)) == (1, 0, 0)
