"""Optional NeMo text normalisation in front of ZONOS2, as the official server does it (docs/zonos2.md §6).

ZONOS2 reads raw UTF-8 bytes, so "123 kg" is spoken however the model guesses unless the text is
verbalised first; the official server runs NeMo's WFST normaliser for ten locale codes. NeMo needs
`pynini`, a 155 MB optional wheel we never require: without it (or with `ZONOS2_TTS_NORM=0`, the
official global switch) `normalize_text` returns the text unchanged and says so, and callers
record that flag with their results. Every failure (unsupported language, grammar compilation,
a normaliser error, an empty result) falls back to the raw text; this module never raises.

Deviation: the official engine vendors NeMo-text-processing r1.2.0; we use whichever
`nemo_text_processing` is installed (its version goes into `fingerprint()`), so outputs can differ
where the grammars changed. Grammars are compiled once per language into
`$ZTTS_EVAL_TEXTNORM_CACHE` (default ~/.cache/ztts-eval/zonos2-textnorm), not the official cache.
"""

from __future__ import annotations

import importlib
import os
import re
import threading
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

# the official server's language codes → NeMo grammar languages
LOCALES = {
    "en_us": "en",
    "en_gb": "en",
    "fr_fr": "fr",
    "de": "de",
    "es": "es",
    "it": "it",
    "pt_br": "pt",
    "ja": "ja",
    "cmn": "zh",
    "ko": "ko",
}
MOSES_LANGS = frozenset({"en", "zh", "ja", "ko"})  # Moses punctuation post-processing only for these

# A digit glued to sentence punctuation ("in 2024.") confuses the number grammars, so a space goes
# in before normalising and comes out afterwards. ASCII marks only when a boundary follows, so
# "3.5" and "1,000" stay numbers; CJK marks never belong to a number.
_DIGIT_PUNCT = re.compile(r"(?<=\d)(?=[.,!?;:](?:\s|$))|(?<=\d)(?=[。！？，、；：])")
_SPACE_PUNCT = re.compile(r"(?<=\S) +(?=[.,!?;:](?:\s|$))|(?<=\S) +(?=[。！？，、；：])")

_LOCK = threading.Lock()
_NORMALIZERS: dict[str, Any] = {}  # language → Normalizer, or None once construction failed
_ERRORS: dict[str, str] = {}


def nemo_language(code: str) -> str | None:
    """NeMo language for an official locale code ("en_us", "en-US", "cmn", …), or None if unsupported."""
    key = str(code or "").strip().lower().replace("-", "_")
    return LOCALES.get(key)


def enabled() -> bool:
    return os.environ.get("ZONOS2_TTS_NORM", "1").strip().lower() not in ("0", "false", "no", "off")


@lru_cache(maxsize=1)
def available() -> bool:
    """True when NeMo's normaliser and its pynini backend both import (checked once per process)."""
    try:
        importlib.import_module("pynini")
        importlib.import_module("nemo_text_processing")
        return True
    except Exception:  # noqa: BLE001 - ImportError, or a broken native extension
        return False


@lru_cache(maxsize=1)
def _has_sacremoses() -> bool:
    try:
        importlib.import_module("sacremoses")
        return True
    except Exception:  # noqa: BLE001 - any import failure means "not usable"
        return False


def _cache_dir(lang: str) -> Path:
    root = os.environ.get("ZTTS_EVAL_TEXTNORM_CACHE") or Path.home() / ".cache" / "ztts-eval" / "zonos2-textnorm"
    path = Path(root).expanduser() / lang
    path.mkdir(parents=True, exist_ok=True)
    return path


def _normalizer(lang: str) -> Any:
    """One compiled normaliser per language; a failure is remembered so it is not retried per call
    (compiling a language's grammars takes 10–30 s)."""
    with _LOCK:
        if lang not in _NORMALIZERS:
            try:
                mod = importlib.import_module("nemo_text_processing.text_normalization.normalize")
                _NORMALIZERS[lang] = mod.Normalizer(
                    input_case="cased", lang=lang, cache_dir=str(_cache_dir(lang)), overwrite_cache=False
                )
            except Exception as exc:  # noqa: BLE001 - unsupported language, grammar build, pynini
                _NORMALIZERS[lang] = None
                _ERRORS[lang] = f"{type(exc).__name__}: {exc}"
        return _NORMALIZERS[lang]


def normalize_text(text: str, language: str) -> tuple[str, bool]:
    """(spoken-form text, True) when NeMo normalised it; (the input unchanged, False) otherwise."""
    lang = nemo_language(language)
    if lang is None or not isinstance(text, str) or not text.strip() or not enabled() or not available():
        return text, False
    try:
        source = text.lower() if lang == "ko" else text
        spaced = _DIGIT_PUNCT.sub(" ", source)
        normalizer = _normalizer(lang)
        if normalizer is None:
            return text, False
        out = normalizer.normalize(spaced, punct_post_process=lang in MOSES_LANGS and _has_sacremoses())
        if not isinstance(out, str) or not out.strip():
            return text, False
        if spaced != source:  # undo the trick; texts without it keep the author's spacing (French " !")
            out = _SPACE_PUNCT.sub("", out)
        return out, True
    except Exception as exc:  # noqa: BLE001 - the contract is "fall back to raw text"
        _ERRORS[lang] = f"{type(exc).__name__}: {exc}"
        return text, False


def last_error(language: str) -> str | None:
    """Why the last normalisation for this language fell back, for logs; None if it never did."""
    return _ERRORS.get(nemo_language(language) or "")


def _version(dist: str) -> str | None:
    try:
        return version(dist)
    except PackageNotFoundError:
        return None


def fingerprint() -> dict[str, Any]:
    """What normalisation can run here, for the results' provenance."""
    return {
        "enabled": enabled(),
        "available": available(),
        "nemo_text_processing": _version("nemo_text_processing") or _version("nemo-text-processing"),
        "pynini": _version("pynini"),
        "sacremoses": _version("sacremoses"),
        "locales": LOCALES,
    }
