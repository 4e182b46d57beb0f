"""WER rows and DS-WED pairs per second, beside the upstream functions on the same pairs.

    python benchmarks/edit_distance_speed.py [--pairs 5000] [--seconds 2]

* WER: `edit_counts` on word pairs (en) and character pairs (zh) drawn from the normalizer's golden
  sentences with ASR-like errors, against Seed-TTS-Eval's per-utterance path as its `run_wer.py`
  does it (strip punctuation except the apostrophe, lowercase or split Chinese into characters, then
  jiwer's measures; here jiwer 4's `process_words`, the successor of `compute_measures`), and
  against jiwer alone. The totals (S+D+I, N) of every pair are checked equal to jiwer's.
* DS-WED: `weighted_levenshtein` on unit sequences of the lengths DS-WED compares (k-means units
  at 50 Hz, runs collapsed: ~150–400 units), against `Levenshtein.distance` from the Levenshtein
  package when installed, and rapidfuzz called directly.

Target (issue #21): at least half of the upstream per-pair speed.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def per_second(fn, items, seconds: float) -> float:
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        for args in items:
            fn(*args)
        n += len(items)
    return n / (time.perf_counter() - t0)


def corrupt(tokens: list[str], vocab: list[str], rate: float, rng: random.Random) -> list[str]:
    out = []
    for t in tokens:
        r = rng.random()
        if r < rate / 3:
            continue  # deletion
        out.append(rng.choice(vocab) if r < 2 * rate / 3 else t)  # substitution
        if 2 * rate / 3 <= r < rate:
            out.append(rng.choice(vocab))  # insertion
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=2000)
    ap.add_argument("--seconds", type=float, default=2.0)
    args = ap.parse_args()

    import jiwer
    from rapidfuzz.distance import Levenshtein as RF

    from tests.fakes.upstream_seedtts import process_one
    from tests.metrics.wer.test_text_norm import GOLDEN
    from ztts_eval.metrics.dswed.distance import weighted_levenshtein
    from ztts_eval.metrics.wer.edit_distance import edit_counts

    rng = random.Random(21)
    en_sents = [g[2].split() for g in GOLDEN if g[0] == "en"] + [g[2].split() for g in GOLDEN if g[0] in ("de", "fr", "es")]
    en_vocab = sorted({w for s in en_sents for w in s})
    zh_text = "".join(g[2].replace(" ", "") for g in GOLDEN if g[0] in ("zh", "ja"))
    print(f"{args.pairs} pairs per set; every rate is pairs/second on this machine (higher is better)\n")
    for lang in ("en", "zh"):
        pairs = []
        for _ in range(args.pairs):
            if lang == "en":
                ref = [w for _ in range(3) for w in rng.choice(en_sents)]
                hyp = corrupt(ref, en_vocab, 0.1, rng)
            else:
                start = rng.randrange(len(zh_text) - 40)
                ref = list(zh_text[start : start + rng.randint(10, 40)])
                hyp = corrupt(ref, list(zh_text), 0.1, rng)
            if ref and hyp:
                pairs.append((ref, hyp))
        texts = [(" ".join(h), " ".join(r), lang) if lang == "en" else ("".join(h), "".join(r), lang) for r, h in pairs]
        jiwer_pairs = [(" ".join(r), " ".join(h)) for r, h in pairs]
        for (r, h), (jr, jh) in zip(pairs, jiwer_pairs):  # totals identical to jiwer's on every pair
            ours, theirs = edit_counts(r, h), jiwer.process_words(jr, jh)
            assert ours.errors == theirs.substitutions + theirs.deletions + theirs.insertions, (r, h)
        ours = per_second(edit_counts, pairs, args.seconds)
        upstream = per_second(process_one, texts, args.seconds)
        plain = per_second(jiwer.process_words, jiwer_pairs, args.seconds)
        print(
            f"WER {lang}: edit_counts {ours:9.0f}/s | seed-tts-eval process_one+jiwer {upstream:9.0f}/s | jiwer alone {plain:9.0f}/s"
        )
        print(
            f"        ours / upstream = {ours / upstream:.2f}x (target >= 0.5x); totals equal to jiwer on all {len(pairs)} pairs"
        )

    unit_pairs = []
    for _ in range(max(50, args.pairs // 20)):
        a = [rng.randrange(500) for _ in range(rng.randint(150, 400))]
        b = corrupt([str(x) for x in a], [str(x) for x in range(500)], 0.3, rng)
        unit_pairs.append((a, [int(x) for x in b]))
    for a, b in unit_pairs[:20]:
        assert weighted_levenshtein(a, b) == RF.distance(a, b)
    ours = per_second(weighted_levenshtein, unit_pairs, args.seconds)
    rf = per_second(RF.distance, unit_pairs, args.seconds)
    line = f"DS-WED (1,1,1): weighted_levenshtein {ours:8.0f}/s | rapidfuzz direct {rf:8.0f}/s"
    try:
        import Levenshtein

        lv = per_second(Levenshtein.distance, unit_pairs, args.seconds)
        line += f" | Levenshtein.distance {lv:8.0f}/s  ours/upstream = {ours / lv:.2f}x"
    except ImportError:
        line += " | (Levenshtein package not installed: rapidfuzz is its backend)"
    print(line)
    w = per_second(lambda a, b: weighted_levenshtein(a, b, 1, 2, 3), unit_pairs, args.seconds)
    print(f"DS-WED (1,2,3): weighted_levenshtein {w:8.0f}/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
