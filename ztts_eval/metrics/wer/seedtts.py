"""The `seedtts` WER variant: Seed-TTS-Eval's and CV3-Eval's `run_wer.py`, step for step, for every input.

Read from BytedanceSpeech/seed-tts-eval `run_wer.py` (commit 95003fe) and FunAudioLLM/CV3-Eval
`utils/run_wer.py` (commit f3b7ed5), which share `process_one`, then jiwer's default transform
inside `compute_measures`:

1. Chinese ASR hypothesis → `zhconv.convert(·, "zh-cn")`; the reference is never converted.
2. Both sides: every character of `zhon.hanzi.punctuation + string.punctuation` except the
   apostrophe is deleted (U+3000 IDEOGRAPHIC SPACE is in zhon's set, so it is deleted too).
3. `replace("  ", " ")` once: pairs of spaces, not a full collapse.
4. zh, ja, ko: `" ".join(characters)` (whitespace characters included); every other language:
   `lower()` (Seed-TTS covers zh/en; CV3-Eval adds ja/ko as characters and lowercases the rest).
5. jiwer: runs of two or more whitespace characters (`\\s\\s+`) → one space, `strip()`, split on
   " " only, empty tokens dropped. A lone tab, no-break space or thin space therefore stays
   *inside* a token; in character mode whitespace is always part of a run and vanishes.

Nothing else: no ASR-token stripping (`<unk>` loses its brackets and counts as the word "unk"), no
NFKC, no number normalisation. `normalize()` returns steps 1–3 plus lowercasing (the readable
form stored in rows); `tokens()` applies steps 4–5. Thai has no upstream here: it keeps the
project's character unit, tokenised as step 4 does. Other ASR judges (Whisper, Paraformer) call
the same two functions, so every backend shares one reading of the upstream script.
"""

from __future__ import annotations

import re
import string
from functools import lru_cache

CHARACTER_LANGUAGES = frozenset({"zh", "ja", "ko"})  # upstream: lang[-2:] in ["zh", "ja", "ko"]
_WHITESPACE_RUN = re.compile(r"\s\s+")  # jiwer.RemoveMultipleSpaces


@lru_cache(maxsize=1)
def _deleted() -> str:
    from zhon.hanzi import punctuation

    return "".join(c for c in punctuation + string.punctuation if c != "'")


@lru_cache(maxsize=1)
def _deletion_table() -> dict[int, None]:
    return dict.fromkeys(map(ord, _deleted()))


def normalize(text: str, language: str, side: str = "ref") -> str:
    """Steps 1–3 and the lowercasing of step 4, as upstream applies them to one side."""
    if language == "zh" and side == "hyp":
        from ztts_eval.metrics.wer.text_norm import to_simplified

        text = to_simplified(text)
    text = text.translate(_deletion_table()).replace("  ", " ")
    return text if language in CHARACTER_LANGUAGES else text.lower()


def tokens(text: str, unit: str) -> list[str]:
    """Steps 4–5: the token list jiwer aligns. `unit` "char" joins characters with spaces first."""
    if unit == "char":
        text = " ".join(text)
    elif unit != "word":
        raise ValueError(f"unknown unit {unit!r}")
    return [t for t in _WHITESPACE_RUN.sub(" ", text).strip().split(" ") if t]
