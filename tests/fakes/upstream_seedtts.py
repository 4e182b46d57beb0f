"""Seed-TTS-Eval's per-utterance WER (`run_wer.py`'s `process_one`, BytedanceSpeech/seed-tts-eval
95003fe; CV3-Eval's utils/run_wer.py f3b7ed5 adds ja/ko character mode), re-stated as the oracle
that the `seedtts` variant, `wer_seedtts` and benchmarks/edit_distance_speed.py are held to. The
script itself cannot be imported: it loads Whisper/Paraformer at import.
"""

from __future__ import annotations

import string


def process_one(hypo: str, truth: str, lang: str):
    """jiwer's word measures after the script's text handling (punctuation but ' deleted, double
    spaces halved, characters spaced out for zh/ja/ko, other languages lowercased)."""
    import jiwer
    from zhon.hanzi import punctuation

    for mark in punctuation + string.punctuation:
        if mark != "'":
            truth, hypo = truth.replace(mark, ""), hypo.replace(mark, "")
    truth, hypo = truth.replace("  ", " "), hypo.replace("  ", " ")
    if lang in ("zh", "ja", "ko"):
        truth, hypo = " ".join(truth), " ".join(hypo)
    else:
        truth, hypo = truth.lower(), hypo.lower()
    return jiwer.process_words(truth, hypo)  # jiwer's default wer transform, as compute_measures used


def upstream_wer(hypo: str, truth: str, lang: str) -> tuple[float, int, int]:
    """(WER, errors, reference tokens) of one utterance as the script computes them, with run_asr's
    conversion of a Chinese hypothesis to simplified script first (never the reference)."""
    if lang == "zh":
        import zhconv

        hypo = zhconv.convert(hypo, "zh-cn")
    out = process_one(hypo, truth, lang)
    return out.wer, out.substitutions + out.deletions + out.insertions, out.hits + out.substitutions + out.deletions
