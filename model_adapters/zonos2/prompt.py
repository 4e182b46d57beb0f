"""ZONOS2 prompt rows, token for token as the official builder lays them out (docs/zonos2.md §3).

Every row is 9 audio columns plus 1 text column. The model has no language token and no separate
conditioning encoder: speaker, style markers, speaking rate and "quality" are all rows in the same
sequence, so one wrong id silently changes the voice or the loudness. The ids below are the
released vocabulary (text_vocab 519, table size 520); the official test pins 456/515/516/517/518
and the default quality row is 511, and our tests pin the same numbers.

The audio side uses the DAC delay pattern: codebook c is shifted by c frames, so the model
predicts frame t of codebook 0 together with frame t-8 of codebook 8. `shear` applies it (prompt
silence) and `unshear` inverts it (generated frames back to codes).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

N_CODEBOOKS = 9
N_COLUMNS = N_CODEBOOKS + 1
TEXT_COLUMN = N_CODEBOOKS
CODEBOOK_SIZE = 1024
EOA_ID = 1024  # end of audio, in any audio column
AUDIO_PAD_ID = 1025

BOS_ID = 2
EOS_ID = 3
BYTE_OFFSET = 192  # UTF-8 byte b is text id 192 + b
SPEAKING_RATE_OFFSET = 448  # buckets 0-7 -> 448-455
QUALITY_OFFSET = 456  # 60 quality ids: 456-515
BACKGROUND_CLEAN_ID = 516
BACKGROUND_NOISY_ID = 517
ACCURATE_MODE_ID = 518
TEXT_PAD_ID = 519  # text column of audio rows and of the speaker slot

SILENCE_FRAMES = 17  # 0.2 s of DAC silence closes every prompt

# The official prompt's 0.2 s of precomputed DAC silence, frame-major (17 frames x 9 codebooks), as
# `_SILENCE_TOKENS_0_2S` in python/zonos2/tts/prompt.py of Zyphra/ZONOS2 at commit 8fee419. Data,
# not code: these ids are what the model saw after every training prompt.
OFFICIAL_SILENCE_FRAMES: tuple[tuple[int, ...], ...] = (
    (568, 778, 338, 524, 967, 360, 728, 550, 90),
    (568, 778, 10, 674, 364, 981, 741, 378, 731),
    *((568, 804, 10, 674, 364, 981, 568, 378, 731),) * 14,
    (568, 778, 721, 842, 264, 974, 989, 507, 308),
)


def official_silence_codes() -> np.ndarray:
    """The official silence as [9, 17] codes (codebook-major, the layout `build_prompt` takes)."""
    return np.array(OFFICIAL_SILENCE_FRAMES, dtype=np.int64).T.copy()


# Feature order and bucket counts from params.json; the id of (feature, bucket) is
# QUALITY_OFFSET + (sum of the counts before the feature) + bucket.
QUALITY_FEATURES: tuple[tuple[str, int], ...] = (
    ("lufs", 12),
    ("estimated_snr", 12),
    ("max_pause", 12),
    ("estimated_bandlimit_hz", 8),
    ("leading_silence_s", 8),
    ("trailing_silence_s", 8),
)
DEFAULT_QUALITY_BUCKETS: Mapping[str, int] = {"trailing_silence_s": 3}  # "0.25-0.5 s" -> id 511

# Speaking-rate buckets in bytes of cleaned text per second: 0-8, 8-11, ..., 28-40, 40+.
# A rate equal to an upper edge belongs to the next bucket, as in the official resolver.
SPEAKING_RATE_UPPER_EDGES: tuple[float, ...] = (8.0, 11.0, 14.0, 17.0, 21.0, 28.0, 40.0)
NEUTRAL_BYTES_PER_S = 19.0  # midpoint of the middle bucket (index 4, "17-21"): what speed 1.0 means


def speaking_rate_bucket(bytes_per_s: float) -> int:
    """The bucket (0-7) of a speaking rate given in UTF-8 bytes per second."""
    if not bytes_per_s > 0:
        raise ValueError(f"speaking rate must be positive, got {bytes_per_s}")
    return next((i for i, hi in enumerate(SPEAKING_RATE_UPPER_EDGES) if bytes_per_s < hi), len(SPEAKING_RATE_UPPER_EDGES))


def speed_bucket(speed: float) -> int:
    """The bucket for an OpenAI-style speed multiplier: 1.0 is the neutral 19 B/s."""
    if not speed > 0:
        raise ValueError(f"speed must be positive, got {speed}")
    return speaking_rate_bucket(NEUTRAL_BYTES_PER_S * float(speed))


def quality_ids(buckets: Mapping[str, int | None] | None) -> list[int]:
    """Text ids for the requested quality buckets, in the model's feature order (not dict order).

    Unknown feature names and out-of-range buckets raise: a typo must not silently drop a row.
    """
    buckets = dict(buckets or {})
    known = {name for name, _ in QUALITY_FEATURES}
    unknown = sorted(set(buckets) - known)
    if unknown:
        raise ValueError(f"unknown quality feature(s) {unknown}; expected some of {[n for n, _ in QUALITY_FEATURES]}")
    ids, offset = [], QUALITY_OFFSET
    for name, count in QUALITY_FEATURES:
        value = buckets.get(name)
        if value is not None:
            bucket = int(value)
            if not 0 <= bucket < count:
                raise ValueError(f"quality bucket {name}={bucket} is outside [0, {count - 1}]")
            ids.append(offset + bucket)
        offset += count
    return ids


def shear(codes: np.ndarray, n_rows: int | None = None) -> np.ndarray:
    """Delay codebook c by c frames: [9, F] codes -> [n_rows, 9] rows, the gaps filled with 1025.

    n_rows defaults to F (the prompt's truncation: the last codebooks' tails are cut off); pass
    F + 8 to keep every code, which makes `unshear` an exact inverse.
    """
    codes = np.asarray(codes, dtype=np.int64)
    if codes.ndim != 2 or codes.shape[0] != N_CODEBOOKS:
        raise ValueError(f"expected codes of shape [{N_CODEBOOKS}, F], got {codes.shape}")
    n_frames = codes.shape[1]
    n_rows = n_frames if n_rows is None else int(n_rows)
    out = np.full((n_rows, N_CODEBOOKS), AUDIO_PAD_ID, dtype=np.int64)
    for c in range(N_CODEBOOKS):
        take = max(0, min(n_frames, n_rows - c))
        out[c : c + take, c] = codes[c, :take]
    return out


def unshear(frames: np.ndarray) -> np.ndarray:
    """Invert the delay: [G, 9] generated frames -> [9, G - 8] codes; row i of codebook c is frame i + c.

    Only the G - 8 rows for which every codebook has been generated are returned; callers that
    need the ragged tail pad `frames` with 8 rows of 1025 first, as the official vocoder does.
    """
    frames = np.asarray(frames, dtype=np.int64)
    if frames.ndim != 2 or frames.shape[1] != N_CODEBOOKS:
        raise ValueError(f"expected frames of shape [G, {N_CODEBOOKS}], got {frames.shape}")
    n_out = max(0, frames.shape[0] - (N_CODEBOOKS - 1))
    codes = np.empty((N_CODEBOOKS, n_out), dtype=np.int64)
    for c in range(N_CODEBOOKS):
        codes[c] = frames[c : c + n_out, c]
    return codes


def build_prompt(
    text: str,
    *,
    silence_codes: np.ndarray,
    speaker: bool,
    clean_background: bool = False,
    accurate_mode: bool = True,
    speaking_rate_bucket: int | None = None,
    quality_buckets: Mapping[str, int | None] | None = DEFAULT_QUALITY_BUCKETS,
) -> tuple[np.ndarray, int]:
    """The prompt as [T, 10] int64 rows and the speaker slot's row (-1 without a speaker).

    Layout: [speaker slot 519, background 516/517, accurate 518]  (speaker only)
            [speaking rate 448+b]                                (only when given)
            [quality rows, feature order]  BOS  bytes(192+b)  EOS  17 sheared silence rows.
    Conditioning rows carry 1025 in all audio columns. `text` must already be normalised;
    quality_buckets None or {} adds no quality rows (the official quality_enabled=false).
    """
    silence = np.asarray(silence_codes, dtype=np.int64)
    if silence.shape != (N_CODEBOOKS, SILENCE_FRAMES):
        raise ValueError(f"silence codes must be [{N_CODEBOOKS}, {SILENCE_FRAMES}], got {silence.shape}")
    if silence.min() < 0 or silence.max() >= CODEBOOK_SIZE:
        raise ValueError("silence codes must be DAC codes in [0, 1023]")
    text_ids: list[int] = []
    if speaker:
        text_ids.append(TEXT_PAD_ID)  # the slot whose embedding the x-vector overwrites
        text_ids.append(BACKGROUND_CLEAN_ID if clean_background else BACKGROUND_NOISY_ID)
        if accurate_mode:
            text_ids.append(ACCURATE_MODE_ID)
    if speaking_rate_bucket is not None:
        bucket = int(speaking_rate_bucket)
        if not 0 <= bucket <= len(SPEAKING_RATE_UPPER_EDGES):
            raise ValueError(f"speaking-rate bucket {bucket} is outside [0, {len(SPEAKING_RATE_UPPER_EDGES)}]")
        text_ids.append(SPEAKING_RATE_OFFSET + bucket)
    text_ids.extend(quality_ids(quality_buckets))
    text_ids.append(BOS_ID)
    text_ids.extend(BYTE_OFFSET + b for b in text.encode("utf-8"))
    text_ids.append(EOS_ID)

    head = np.full((len(text_ids), N_COLUMNS), AUDIO_PAD_ID, dtype=np.int64)
    head[:, TEXT_COLUMN] = text_ids
    tail = np.full((SILENCE_FRAMES, N_COLUMNS), TEXT_PAD_ID, dtype=np.int64)
    tail[:, :N_CODEBOOKS] = shear(silence)
    return np.concatenate([head, tail]), (0 if speaker else -1)
