"""Versioned text normalization for scoring. Every WER row records NORMALIZER_VERSION.

English goes through Whisper's English normalizer (the maintained `whisper-normalizer` package):
numbers, spellings, contractions and punctuation are folded on both sides, so "1813" and
"eighteen thirteen" are the same words. Other languages use the basic multilingual normalizer,
which keeps diacritics.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.metadata import version

NORMALIZER_VERSION = "1"


@lru_cache(maxsize=1)
def _english():
    from whisper_normalizer.english import EnglishTextNormalizer

    return EnglishTextNormalizer()


@lru_cache(maxsize=1)
def _basic():
    from whisper_normalizer.basic import BasicTextNormalizer

    return BasicTextNormalizer(remove_diacritics=False)


def normalize(text: str, language: str) -> str:
    fn = _english() if language == "en" else _basic()
    return " ".join(fn(text).split())


def normalizer_id() -> str:
    return f"ztts-norm-{NORMALIZER_VERSION}+whisper-normalizer-{version('whisper-normalizer')}"
