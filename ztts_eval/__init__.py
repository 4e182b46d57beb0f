"""ztts-eval: reproducible evaluation of text-to-speech models (ZTTS1-Eval rebuilt)."""

__version__ = "0.1.0"
