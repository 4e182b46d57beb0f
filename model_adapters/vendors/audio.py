"""Audio in and out of vendor APIs: prompt bytes for uploads, exact decoding of what we asked for.

Every vendor is asked for a lossless or raw format whose decoding is exact; anything else, or a
truncated body, raises MalformedAudio, which becomes a per-item error row.
"""

from __future__ import annotations

import hashlib
import io
import os
import struct

import numpy as np
import soundfile as sf

from model_adapters.vendors.transport import MalformedAudio


def read_prompt(path: str | os.PathLike[str]) -> tuple[bytes, str]:
    """The prompt file's bytes and SHA-256 (the voice-cache key, as in the manifest's prompt_sha256)."""
    with open(path, "rb") as fh:
        raw = fh.read()
    return raw, hashlib.sha256(raw).hexdigest()


def as_wav(raw: bytes) -> bytes:
    """WAV bytes every vendor accepts; 16/24-bit sources (FLAC in our suites) convert exactly."""
    if raw[:4] == b"RIFF":
        return raw
    info = sf.info(io.BytesIO(raw))
    audio, sr = sf.read(io.BytesIO(raw), dtype="float64")
    out = io.BytesIO()
    sf.write(out, audio, sr, format="WAV", subtype=info.subtype if info.subtype in ("PCM_16", "PCM_24") else "PCM_16")
    return out.getvalue()


def decode_audio(body: bytes, fmt: str, sample_rate: int | None = None) -> tuple[np.ndarray, int]:
    """Decode exactly the format we requested: wav/flac/mp3 via soundfile, or raw pcm_s16le/pcm_f32le mono."""
    if not body:
        raise MalformedAudio("empty audio body")
    try:
        if fmt in ("pcm_s16le", "pcm_f32le"):
            width, dtype, scale = (2, "<i2", 32768.0) if fmt == "pcm_s16le" else (4, "<f4", 1.0)
            if len(body) % width or sample_rate is None:
                raise MalformedAudio(f"{fmt} body of {len(body)} bytes is not whole {width}-byte samples")
            mono, sr = np.frombuffer(body, dtype=dtype).astype(np.float32) / np.float32(scale), int(sample_rate)
        else:
            data = _complete_wav_header(body) if fmt == "wav" else body
            audio, sr = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
            mono = audio.mean(axis=1, dtype=np.float32)
    except MalformedAudio:
        raise
    except (RuntimeError, ValueError, TypeError, EOFError) as exc:
        raise MalformedAudio(f"not decodable as {fmt} ({len(body)} bytes, starting {body[:24]!r}): {exc}") from None
    if mono.size == 0:
        raise MalformedAudio(f"{fmt} audio body holds no samples")
    if not np.all(np.isfinite(mono)):
        raise MalformedAudio(f"{fmt} audio body holds non-finite samples")
    return np.ascontiguousarray(mono, dtype=np.float32), int(sr)


def _complete_wav_header(body: bytes) -> bytes:
    """Streamed WAVs carry placeholder sizes (0 or 0xFFFFFFFF); fix them, and refuse a truncated body."""
    if len(body) < 12 or body[:4] != b"RIFF" or body[8:12] != b"WAVE":
        raise MalformedAudio(f"not a RIFF/WAVE body ({len(body)} bytes, starting {body[:24]!r})")
    pos = 12
    while pos + 8 <= len(body):
        chunk, size = body[pos : pos + 4], struct.unpack_from("<I", body, pos + 4)[0]
        if chunk == b"data":
            have = len(body) - pos - 8
            if size in (0, 0xFFFFFFFF):
                return b"RIFF" + struct.pack("<I", len(body) - 8) + body[8 : pos + 4] + struct.pack("<I", have) + body[pos + 8 :]
            if size > have:
                raise MalformedAudio(f"truncated WAV body: header declares {size} data bytes, got {have}")
            return body
        pos += 8 + size + (size & 1)
    raise MalformedAudio("WAV body has no data chunk")
