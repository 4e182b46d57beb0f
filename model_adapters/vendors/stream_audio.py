"""Incremental decoders for streamed audio: bytes arrive in arbitrary pieces, samples leave as soon as whole.

A network piece can end mid-sample, mid-header or mid-event, so each decoder keeps the remainder
for the next piece; nothing is guessed and nothing is dropped. Three wire shapes cover the vendors:
headerless PCM (`pcm_s16le`/`pcm_f32le`: ZONOS2, Cartesia raw, ElevenLabs/OpenAI `pcm`), a WAV
header followed by PCM whose sizes are placeholders (Fish, ElevenLabs `wav_*`, OpenAI `wav`), and
server-sent events carrying base64 PCM (OpenAI `stream_format=sse`). Anything else is
MalformedAudio, which becomes the request's error row.
"""

from __future__ import annotations

import base64
import binascii
import json
import struct
from collections.abc import Callable
from typing import Any

import numpy as np

from model_adapters.vendors.transport import MalformedAudio, VendorError

PCM_FORMATS = {"pcm_s16le": ("<i2", 32768.0), "pcm_s24le": (None, 8388608.0), "pcm_f32le": ("<f4", 1.0)}
MAX_HEADER_BYTES = 64 * 1024  # a WAV header (fmt + LIST/bext chunks) larger than this is not one


class PcmDecoder:
    """Headerless mono PCM at a known rate."""

    def __init__(self, fmt: str, sample_rate: int) -> None:
        if fmt not in PCM_FORMATS:
            raise ValueError(f"unknown PCM format {fmt!r}")
        self.fmt, self.sample_rate = fmt, int(sample_rate)
        self.width = {"pcm_s16le": 2, "pcm_s24le": 3, "pcm_f32le": 4}[fmt]
        self._rest = b""

    def feed(self, piece: bytes) -> np.ndarray:
        data = self._rest + piece
        whole = len(data) - len(data) % self.width
        self._rest = data[whole:]
        return _pcm(data[:whole], self.fmt)

    def finish(self) -> None:
        if self._rest:
            raise MalformedAudio(f"{self.fmt} stream ended mid-sample ({len(self._rest)} stray byte(s))")


class WavDecoder:
    """A RIFF/WAVE header (sizes may be 0 or 0xFFFFFFFF placeholders), then PCM data."""

    def __init__(self) -> None:
        self._head = b""
        self._pcm: PcmDecoder | None = None
        self._left: int | None = None  # data bytes the header declares (None: unknown, read to the end)

    @property
    def sample_rate(self) -> int | None:
        return self._pcm.sample_rate if self._pcm else None

    def feed(self, piece: bytes) -> np.ndarray:
        if self._pcm is None:
            self._head += piece
            parsed = _parse_wav_header(self._head)
            if parsed is None:
                if len(self._head) > MAX_HEADER_BYTES:
                    raise MalformedAudio(f"no WAV data chunk within the first {MAX_HEADER_BYTES} bytes")
                return np.zeros(0, np.float32)
            fmt, rate, offset, size = parsed
            self._pcm, self._left = PcmDecoder(fmt, rate), size
            piece, self._head = self._head[offset:], b""
        if self._left is not None:
            piece, self._left = piece[: self._left], max(0, self._left - len(piece))
        return self._pcm.feed(piece)

    def finish(self) -> None:
        if self._pcm is None:
            raise MalformedAudio(f"stream ended inside the WAV header ({len(self._head)} bytes, starting {self._head[:12]!r})")
        if self._left:
            raise MalformedAudio(f"truncated WAV stream: {self._left} declared data bytes never arrived")
        self._pcm.finish()


class SseDecoder:
    """Server-sent events; `extract(event)` returns an event's audio bytes, None to skip it, or raises."""

    def __init__(self, inner: PcmDecoder | WavDecoder, extract: Callable[[dict[str, Any]], bytes | None]) -> None:
        self.inner, self.extract, self._buf, self.done = inner, extract, b"", False

    @property
    def sample_rate(self) -> int | None:
        return self.inner.sample_rate

    def feed(self, piece: bytes) -> np.ndarray:
        self._buf += piece.replace(b"\r\n", b"\n")
        out = []
        while b"\n\n" in self._buf:
            block, self._buf = self._buf.split(b"\n\n", 1)
            data = b"\n".join(line[5:].lstrip(b" ") for line in block.split(b"\n") if line.startswith(b"data:"))
            if not data or data == b"[DONE]":
                continue
            try:
                event = json.loads(data)
            except ValueError:
                raise MalformedAudio(f"SSE event is not JSON: {data[:60]!r}") from None
            audio = self.extract(event) if isinstance(event, dict) else None
            if audio is None:
                self.done = self.done or (isinstance(event, dict) and str(event.get("type", "")).endswith("done"))
                continue
            out.append(self.inner.feed(audio))
        return np.concatenate(out) if out else np.zeros(0, np.float32)

    def finish(self) -> None:
        if not self.done:
            raise MalformedAudio("SSE stream ended without its done event")
        self.inner.finish()


def b64_field(
    event: dict[str, Any], field: str, kinds: tuple[str, ...], error_kinds: tuple[str, ...] = ("error",)
) -> bytes | None:
    """The decoded base64 `field` of events whose `type` is one of `kinds`; an error event raises."""
    kind = str(event.get("type", ""))
    if kind in error_kinds:
        raise VendorError(f"stream error event: {str(event.get('message') or event.get('error') or event)[:300]}")
    if kind not in kinds:
        return None
    try:
        return base64.b64decode(str(event.get(field, "")), validate=True)
    except (binascii.Error, ValueError):
        raise MalformedAudio(f"{kind} event's {field} is not base64") from None


def _pcm(data: bytes, fmt: str) -> np.ndarray:
    if not data:
        return np.zeros(0, np.float32)
    dtype, scale = PCM_FORMATS[fmt]
    if fmt == "pcm_s24le":
        b = np.frombuffer(data, np.uint8).reshape(-1, 3).astype(np.int32)
        ints = (b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)) << 8 >> 8  # sign-extend 24 → 32 bits
        x = ints.astype(np.float32) / np.float32(scale)
    else:
        x = np.frombuffer(data, dtype).astype(np.float32) / np.float32(scale)
    if not np.all(np.isfinite(x)):
        raise MalformedAudio(f"{fmt} stream holds non-finite samples")
    return x


def _parse_wav_header(head: bytes) -> tuple[str, int, int, int | None] | None:
    """(format, rate, offset of the first data byte, declared data size or None); None until complete."""
    if len(head) >= 12 and (head[:4] != b"RIFF" or head[8:12] != b"WAVE"):
        raise MalformedAudio(f"not a RIFF/WAVE stream (starts {head[:16]!r})")
    pos, fmt = 12, None
    while pos + 8 <= len(head):
        chunk, size = head[pos : pos + 4], struct.unpack_from("<I", head, pos + 4)[0]
        if chunk == b"data":
            if fmt is None:
                raise MalformedAudio("WAV data chunk before its fmt chunk")
            return fmt[0], fmt[1], pos + 8, None if size in (0, 0xFFFFFFFF) else size
        if pos + 8 + size > len(head):
            return None
        if chunk == b"fmt ":
            tag, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", head, pos + 8)
            if tag == 0xFFFE and size >= 40:  # WAVE_FORMAT_EXTENSIBLE: the subformat's first two bytes
                tag = struct.unpack_from("<H", head, pos + 8 + 24)[0]
            kind = {(1, 16): "pcm_s16le", (1, 24): "pcm_s24le", (3, 32): "pcm_f32le"}.get((tag, bits))
            if kind is None or channels != 1:
                raise MalformedAudio(f"WAV stream is format {tag}/{bits}-bit/{channels}ch; only mono 16/24-bit PCM or float32")
            fmt = (kind, rate)
        pos += 8 + size + (size & 1)
    return None
