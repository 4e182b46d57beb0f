"""Versioned text normalization for WER/CER. Every WER row records `normalizer_id(variant)`.

Two variants:

* ``ztts`` (default): ASR control tokens stripped; NFKC; Chinese traditional→simplified on both
  sides; English through Whisper's English normalizer (the maintained `whisper-normalizer`
  package: numbers, currency, spellings, contractions); every other language through a basic
  multilingual normalizer that lowercases, replaces punctuation and symbols with spaces, and keeps
  letters, digits and combining marks (so Thai and Devanagari vowel signs survive: Whisper's own
  basic normalizer turns marks into spaces). Non-ASCII decimal digits become ASCII digits; Arabic
  loses its optional short-vowel marks and tatweel; Turkish lowercases İ→i and I→ı. Parentheses and brackets are
  replaced by spaces *before* Whisper's English normalizer, which would otherwise delete the
  bracketed words — a TTS system speaks them.
* ``seedtts``: Seed-TTS-Eval / CV3-Eval's `run_wer.py` exactly, including how it splits tokens
  (`ztts_eval/metrics/wer/seedtts.py`): punctuation deleted except the apostrophe, pairs of
  spaces replaced once, zh/ja/ko as characters, other languages lowercased, only the Chinese
  hypothesis converted to simplified, no ASR-token stripping, no number normalization. Use it to
  compare with published Seed-TTS / CV3 numbers.

Bump NORMALIZER_VERSION whenever any output changes: cached transcripts are re-scored, not re-run.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib.metadata import version

from ztts_eval.metrics.wer import seedtts

NORMALIZER_VERSION = "3"
VARIANTS = ("ztts", "seedtts")

_CONTROL = re.compile(r"<\|[^<>|]*\|>|</?asr_text>|<unk>|<s>|</s>")
_LANG_PREFIX = re.compile(r"^\s*language\s+[A-Za-z]+\s*(?=<asr_text>)", re.IGNORECASE)
_BRACKETS = str.maketrans({c: " " for c in "()[]{}<>（）【】「」『』《》〈〉"})


def strip_asr_control(text: str) -> str:
    """Remove Qwen3-ASR's `language X<asr_text>` prefix and any special/control tokens."""
    return " ".join(_CONTROL.sub(" ", _LANG_PREFIX.sub("", text)).split())


@lru_cache(maxsize=1)
def _english():
    from whisper_normalizer.english import EnglishTextNormalizer

    return EnglishTextNormalizer()


def to_simplified(text: str) -> str:
    import warnings

    with warnings.catch_warnings():  # zhconv imports pkg_resources
        warnings.simplefilter("ignore")
        import zhconv

    return zhconv.convert(text, "zh-cn")


# Arabic short-vowel marks (tashkeel), superscript alef and tatweel: optional in writing, and
# usually absent from ASR output, so they are removed for Arabic only.
_ARABIC_OPTIONAL = re.compile("[\u064b-\u0652\u0670\u0640]")
_TURKIC_LOWER = str.maketrans({"İ": "i", "I": "ı"})


def _fold_digits(text: str) -> str:
    """Any Unicode decimal digit (Arabic-Indic ٣, Devanagari ३, Thai ๓) becomes its ASCII digit."""
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() and not c.isascii() else c for c in text)


def basic_multilingual(text: str, language: str = "") -> str:
    """Lowercase; punctuation (P*) and symbols (S*) become spaces; letters, digits, marks stay."""
    text = unicodedata.normalize("NFKC", text)
    if language == "tr":
        text = text.translate(_TURKIC_LOWER)
    text = _fold_digits(text.lower())
    if language == "ar":
        text = _ARABIC_OPTIONAL.sub("", text)
    kept = "".join(" " if unicodedata.category(c)[0] in "PS" else c for c in text)
    return " ".join(kept.split())


def normalize(text: str, language: str, variant: str = "ztts", side: str = "ref") -> str:
    """Normalize one side of a WER comparison. `side` matters only for the seedtts variant."""
    if variant == "seedtts":
        return seedtts.normalize(text, language, side)
    if variant != "ztts":
        raise ValueError(f"unknown normalizer variant {variant!r}; expected one of {VARIANTS}")
    text = unicodedata.normalize("NFKC", strip_asr_control(text))
    if language == "zh":
        text = to_simplified(text)
    if language == "en":
        return " ".join(_english()(text.translate(_BRACKETS)).split())
    return basic_multilingual(text, language)


@lru_cache(maxsize=1)
def _whisper_normalizer_version() -> str:
    return version("whisper-normalizer")


def normalizer_id(variant: str = "ztts") -> str:
    """Recorded in every WER row; the package metadata is read once per process, not per row."""
    return f"ztts-norm-{NORMALIZER_VERSION}/{variant}+whisper-normalizer-{_whisper_normalizer_version()}"
