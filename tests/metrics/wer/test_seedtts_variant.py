"""`wer.variant=seedtts` against Seed-TTS-Eval's `run_wer.py` (BytedanceSpeech/seed-tts-eval 95003fe;
CV3-Eval's utils/run_wer.py f3b7ed5 extends it to ja/ko and lowercases other languages).

`tests/fakes/upstream_seedtts.py` re-states what that script does before jiwer (it cannot be
imported: it loads Whisper/Paraformer at import) and then calls jiwer itself, whose default
transform does the whitespace handling and the token split. Golden cases are also hand-counted, so a wrong reading
of the script fails even if both sides shared it.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.fakes.upstream_seedtts import upstream_wer as upstream
from ztts_eval.metrics.wer import seedtts
from ztts_eval.metrics.wer.rows import transcript_row
from ztts_eval.metrics.wer.text_norm import normalize

NBSP, THIN, IDEO, TAB = "\u00a0", "\u2009", "\u3000", "\t"


def upstream_wer(ref: str, hyp: str, lang: str) -> tuple[float, int, int]:
    return upstream(hyp, ref, lang)


# (language, reference, hypothesis, errors, reference tokens): counted by hand from the script
GOLDEN = [
    ("en", "hello world", f"hello{NBSP}world", 2, 2),  # a lone NBSP is not a split point: 1 sub + 1 del
    ("en", "hello world", f"hel{THIN}lo world", 1, 2),  # a thin space inside a word: one wrong word
    ("en", "hello world", f"hello{TAB}world", 2, 2),  # a lone tab likewise
    ("en", "hello world", f"hello {TAB} world", 0, 2),  # a run of whitespace collapses to one space
    ("en", "hello world", f"hello{IDEO}world", 2, 2),  # U+3000 is zhon punctuation: deleted, words merge
    ("en", "hello world", "hello <unk> world", 1, 2),  # "<unk>" loses its brackets: one inserted "unk"
    ("en", "hello world", "<s> hello world", 1, 2),  # "<s>" → "s"
    ("en", "Hello, world.", f"{NBSP}hello world{NBSP}", 0, 2),  # stripped at the ends
    ("en", "Don't stop", "dont stop", 1, 2),  # the apostrophe is kept
    ("en", "a   b", "a b", 0, 2),  # three spaces → two by the replace → one by jiwer
    ("en", "hello 世界", "hello 世 界", 2, 2),  # mixed scripts in a word language: words, not characters
    ("zh", "你好，世界", f"你好{NBSP}世界", 0, 4),  # character mode: whitespace always vanishes
    ("zh", "你好世界", f"你好{IDEO}世界", 0, 4),
    ("zh", "我用iPhone打电话", "我用iphone打电话", 1, 11),  # no lowercasing in zh
    ("zh", "我爱 New York", "我爱new york", 2, 9),
    ("zh", "说话", "說話", 0, 2),  # the hypothesis goes to simplified …
    ("zh", "說話", "说话", 2, 2),  # … the reference does not
    ("zh", "你好", "你好<unk>", 3, 2),  # u, n, k inserted
    ("ja", "こんにちは、世界", "こんにちは 世界", 0, 7),
    ("ko", "안녕 하세요", "안녕하세요", 0, 5),
    ("de", "Guten Morgen", "guten morgen", 0, 2),  # CV3-Eval lowercases every non-CJK language
]


@pytest.mark.parametrize("lang,ref,hyp,errors,n", GOLDEN, ids=[f"{g[0]}-{i}" for i, g in enumerate(GOLDEN)])
def test_golden_cases_match_the_script_and_hand_counts(lang, ref, hyp, errors, n):
    wer, up_errors, up_n = upstream_wer(ref, hyp, lang)
    assert (up_errors, up_n) == (errors, n)  # the re-statement agrees with the hand count
    row = transcript_row("wer", ref, hyp, lang, variant="seedtts")
    assert row["S"] + row["D"] + row["I"] == errors and row["N"] == n
    assert row["wer"] == pytest.approx(100 * wer, abs=1e-12)
    assert row["unit"] == ("char" if lang in ("zh", "ja", "ko") else "word")


def test_random_inputs_match_jiwer_on_every_whitespace_and_punctuation_mix():
    """Fuzz: letters, CJK, every whitespace kind and punctuation from both sets, random lengths."""
    alphabet = list("abcAB'") + list("你好世界") + [" ", "  ", NBSP, THIN, IDEO, TAB, "\n", "\u200b"] + list(",.!?，。、<>")
    rng = np.random.default_rng(0)
    checked = 0
    for _ in range(400):
        lang = ["en", "zh", "de", "ja"][rng.integers(4)]
        ref = "".join(rng.choice(alphabet, size=rng.integers(1, 14)))
        hyp = "".join(rng.choice(alphabet, size=rng.integers(0, 14)))
        wer, errors, n = upstream_wer(ref, hyp, lang)
        row = transcript_row("wer", ref, hyp, lang, variant="seedtts")
        if n == 0:  # jiwer 3 (run_wer.py's compute_measures) raises on an empty reference; ours is an error row
            assert row["status"] == "error" and "empty after normalization" in row["error"]
            continue
        assert (row["S"] + row["D"] + row["I"], row["N"]) == (errors, n), (lang, ref, hyp)
        checked += 1
    assert checked > 300


def test_entry_points_for_other_asr_judges():
    """The two public steps other backends (Whisper, Paraformer) build on."""
    assert normalize("Hello, <unk> World!", "en", "seedtts") == "hello unk world"
    assert normalize("這是測試。", "zh", "seedtts", side="hyp") == "这是测试"
    assert normalize("這是測試。", "zh", "seedtts", side="ref") == "這是測試"
    assert seedtts.tokens(f"a{NBSP}b  c", "word") == [f"a{NBSP}b", "c"]
    assert seedtts.tokens(f"你 好{TAB}吗", "char") == ["你", "好", "吗"]
    with pytest.raises(ValueError, match="unit"):
        seedtts.tokens("x", "phone")


def test_ours_still_strips_asr_tokens_and_splits_on_any_whitespace():
    row = transcript_row("wer", "hello world", f"hello <unk>{NBSP}world", "en")
    assert row["wer"] == 0.0  # the default variant: control tokens gone, NBSP a word break
