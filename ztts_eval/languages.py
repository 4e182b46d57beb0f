"""One canonical language code per language (ISO 639-1), and each backend's code in one table.

Backends disagree on language names (Qwen3-ASR wants English names and calls Tagalog "Filipino",
espeak-ng wants voice names, ZONOS2 wants locale-like codes). Keeping every mapping here means a
new backend adds one column, and a wrong code is fixed in exactly one place.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Language:
    code: str  # canonical ISO 639-1 code used everywhere inside ztts-eval
    name: str  # English name (Qwen3-ASR's language hint)
    espeak_ng: str | None  # espeak-ng voice
    unit: str  # "word" or "char": the default error unit for WER/CER
    zonos2: str | None  # ZONOS2 language tag


# ZTTS1 covers these 17 languages; the clean set's hard_en/hard_zh are *subsets* in en/zh.
_TABLE = [
    Language("en", "English", "en-us", "word", "en_us"),
    Language("zh", "Chinese", "cmn", "char", "cmn"),
    Language("ar", "Arabic", "ar", "word", "ar"),
    Language("de", "German", "de", "word", "de"),
    Language("es", "Spanish", "es", "word", "es"),
    Language("fr", "French", "fr-fr", "word", "fr_fr"),
    Language("hi", "Hindi", "hi", "word", "hi"),
    Language("id", "Indonesian", "id", "word", "id"),
    Language("it", "Italian", "it", "word", "it"),
    Language("ja", "Japanese", "ja", "char", "ja"),
    Language("ko", "Korean", "ko", "char", "ko"),
    Language("pl", "Polish", "pl", "word", "pl"),
    Language("pt", "Portuguese", "pt", "word", "pt_br"),
    Language("ru", "Russian", "ru", "word", "ru"),
    Language("th", "Thai", "th", "char", "th"),
    Language("tl", "Filipino", None, "word", "tl"),
    Language("tr", "Turkish", "tr", "word", "tr"),
]

LANGUAGES: dict[str, Language] = {lang.code: lang for lang in _TABLE}


class UnknownLanguageError(ValueError):
    pass


def get_language(code: str) -> Language:
    """Look up a canonical code; the error lists the valid codes so a typo is obvious."""
    try:
        return LANGUAGES[code]
    except KeyError:
        valid = ", ".join(sorted(LANGUAGES))
        raise UnknownLanguageError(f"unknown language {code!r}; expected one of: {valid}") from None


def language_set(spec: str) -> frozenset[str]:
    """A metric's `languages=` parameter: "all", or comma-separated canonical codes (checked)."""
    if spec == "all":
        return frozenset(LANGUAGES)
    codes = frozenset(c.strip() for c in spec.split(",") if c.strip())
    for code in codes:
        get_language(code)
    if not codes:
        raise UnknownLanguageError("languages= needs 'all' or at least one language code")
    return codes


def backend_code(code: str, backend: str) -> str | None:
    """The backend's code for a canonical language, or None when the backend lacks it."""
    return getattr(get_language(code), backend)
