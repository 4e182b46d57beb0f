"""ZONOS2's vocoder: the 44.1 kHz Descript Audio Codec (9 codebooks × 1024, hop 512), run through
transformers' `DacModel`.

The official engine uses the `descript-audio-codec` package and its GitHub-release weights
(docs/zonos2.md §7). That package pins `protobuf<3.20` and pulls a heavy tool chain, and
GitHub is unreachable where we run, so we load the same codec from the HF repo `descript/dac_44khz`
with transformers. Decoding is the same computation (`quantizer.from_codes(codes)[0]` → decoder);
`fingerprint()` records which implementation ran so scores from the two paths are never mixed.

The prompt's 17 frames of silence: the adapter uses the official precomputed ids by default
(`prompt.OFFICIAL_SILENCE_FRAMES`). `silence_codes()` here is the alternative the adapter offers as
`silence_codes=codec`: n_frames×512 samples of digital silence encoded with the loaded codec (cached
per instance), or, given `silence_codes=path.npy` ([9, n_frames] ints), that file's codes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ztts_eval.audio import RESAMPLER, resample, to_mono
from ztts_eval.hashing import sha256_bytes, sha256_file
from ztts_eval.hub import WeightsMissingError, resolve_hf_model, weights_fingerprint

HUB_ID = "descript/dac_44khz"
SAMPLE_RATE, N_CODEBOOKS, CODEBOOK_SIZE, HOP = 44100, 9, 1024, 512
SILENCE_FRAMES = 17
IMPLEMENTATION = "transformers.DacModel"


class CodecConfigError(ValueError):
    """The checkpoint is a DAC, but not the 44.1 kHz, 9 × 1024, hop-512 one ZONOS2 was trained on."""


def _check_codes(codes: np.ndarray, where: str) -> np.ndarray:
    c = np.asarray(codes)
    if c.ndim == 3 and c.shape[0] == 1:
        c = c[0]
    if c.ndim != 2 or c.shape[0] != N_CODEBOOKS or c.shape[1] == 0:
        raise ValueError(f"{where}: expected DAC codes of shape [{N_CODEBOOKS}, frames], got {list(c.shape)}")
    if not np.issubdtype(c.dtype, np.integer):
        raise ValueError(f"{where}: DAC codes must be integers, got {c.dtype}")
    return c.astype(np.int64)


class DacCodec:
    """Decode ZONOS2's [9, F] code frames to 44.1 kHz audio (F × 512 samples), encode audio to codes,
    and provide the prompt's leading DAC-silence frames."""

    def __init__(self, model: Any, source: dict[str, Any], device: str = "cpu", silence_codes: str | Path | None = None) -> None:
        cfg = model.config
        hop = int(np.prod(cfg.downsampling_ratios))
        got = (int(cfg.sampling_rate), int(cfg.n_codebooks), int(cfg.codebook_size), hop)
        if got != (SAMPLE_RATE, N_CODEBOOKS, CODEBOOK_SIZE, HOP):
            raise CodecConfigError(
                f"DAC codec {source.get('model')}: {got[0]} Hz, {got[1]} codebooks × {got[2]}, "
                f"hop {got[3]}; ZONOS2 needs {HUB_ID} (44100 Hz, 9 × 1024, hop 512)"
            )
        self.model, self.device, self._source = model.to(device).eval(), device, source
        self._silence: dict[int, np.ndarray] = {}
        self._override: np.ndarray | None = None
        self._override_info: dict[str, Any] | None = None
        if silence_codes is not None:
            self._load_override(Path(silence_codes).expanduser())

    @classmethod
    def from_pretrained(
        cls,
        dir_or_hub_id: str = HUB_ID,
        revision: str | None = None,
        device: str = "cpu",
        silence_codes: str | Path | None = None,
        param_hint: str = "pass --param codec=DIR",
    ) -> DacCodec:
        """Load from a local directory or a hub id already in the HF cache; one line when absent."""
        directory, commit = resolve_hf_model(dir_or_hub_id, revision, what=f"ZONOS2 vocoder ({HUB_ID})", param_hint=param_hint)
        weights = [*directory.glob("*.safetensors"), *directory.glob("pytorch_model*.bin")]
        if not (directory / "config.json").is_file() or not weights:
            raise WeightsMissingError(
                f"ZONOS2 vocoder: {directory} lacks config.json or model weights (expected a copy of {HUB_ID}; {param_hint})"
            )
        from transformers import DacModel

        model = DacModel.from_pretrained(str(directory), local_files_only=True)
        source = {"model": dir_or_hub_id, "revision": revision, "snapshot": commit, "weights": weights_fingerprint(directory)}
        return cls(model, source, device, silence_codes)

    def _load_override(self, path: Path) -> None:
        try:
            arr = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise ValueError(f"silence_codes={path}: unreadable .npy ({exc})") from None
        codes = _check_codes(arr, f"silence_codes={path}")
        if codes.min() < 0 or codes.max() >= CODEBOOK_SIZE:
            raise ValueError(f"silence_codes={path}: ids must lie in [0, {CODEBOOK_SIZE - 1}]")
        self._override = codes
        self._override_info = {
            "source": "override",
            "path": str(path),
            "sha256": sha256_file(path),
            "frames": int(codes.shape[1]),
        }

    def decode(self, codes: np.ndarray) -> np.ndarray:
        """[9, F] ids → float32 mono 44.1 kHz, exactly F × 512 samples. Ids are clamped into
        [0, 1023] because ZONOS2's audio vocabulary has special ids above the codebook."""
        import torch

        c = _check_codes(codes, "DacCodec.decode")
        ids = torch.from_numpy(c).clamp_(0, CODEBOOK_SIZE - 1)[None].to(self.device)
        with torch.no_grad():
            audio = self.model.decode(audio_codes=ids, return_dict=False)[0]
        out = audio.reshape(-1).float().cpu().numpy().astype(np.float32)
        if out.shape[0] != c.shape[1] * HOP:
            raise RuntimeError(f"DAC decode returned {out.shape[0]} samples for {c.shape[1]} frames")
        return out

    def encode(self, samples: np.ndarray, sr: int) -> np.ndarray:
        """Audio at any rate → [9, ceil(N44 / 512)] int64 codes. Like descript's `DAC.preprocess`,
        the 44.1 kHz signal is right-padded with zeros to a whole number of frames."""
        import torch

        x = to_mono(samples)
        if x.size == 0 or not np.all(np.isfinite(x)):
            raise ValueError("DacCodec.encode: empty audio or non-finite samples")
        x = resample(x, int(sr), SAMPLE_RATE)
        x = np.pad(x, (0, (-len(x)) % HOP)).astype(np.float32)
        with torch.no_grad():
            codes = self.model.encode(torch.from_numpy(x)[None, None].to(self.device), return_dict=False)[2]
        out = codes[0].cpu().numpy().astype(np.int64)
        if out.shape != (N_CODEBOOKS, len(x) // HOP):
            raise RuntimeError(f"DAC encode returned codes {list(out.shape)} for {len(x)} samples")
        return out

    def silence_codes(self, n_frames: int = SILENCE_FRAMES) -> np.ndarray:
        """[9, n_frames] codes of digital silence for the prompt's leading audio rows (see module doc)."""
        if n_frames <= 0:
            raise ValueError("silence_codes: n_frames must be positive")
        if self._override is not None:
            if self._override.shape[1] != n_frames:
                raise ValueError(
                    f"silence_codes override {self._override_info['path']} has "
                    f"{self._override.shape[1]} frames; {n_frames} requested"
                )
            return self._override.copy()
        if n_frames not in self._silence:
            self._silence[n_frames] = self.encode(np.zeros(n_frames * HOP, dtype=np.float32), SAMPLE_RATE)
        return self._silence[n_frames].copy()

    def fingerprint(self) -> dict[str, Any]:
        """Which codec ran, on which weights, and where the prompt's silence frames came from."""
        import torch
        import transformers

        silence = self._override_info or {
            "source": "computed: encode(zeros(n_frames*512)) with this codec (not the official precomputed frames)",
            "sha256_17": sha256_bytes(self.silence_codes(SILENCE_FRAMES).tobytes()),
        }
        return {
            "codec": IMPLEMENTATION,
            "transformers": transformers.__version__,
            "torch": torch.__version__,
            **self._source,
            "sample_rate": SAMPLE_RATE,
            "n_codebooks": N_CODEBOOKS,
            "hop": HOP,
            "clamp_ids": [0, CODEBOOK_SIZE - 1],
            "resampler": RESAMPLER,
            "silence": silence,
        }
