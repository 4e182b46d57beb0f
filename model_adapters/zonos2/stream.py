"""Streaming ZONOS2 audio: DAC-decode code frames as generation completes them, so the first audio
leaves long before the last frame is generated (time to first audio for the real-time benchmark).

Why windows with context rather than cross-faded chunks: the DAC decoder is convolutional and
non-causal, and each output sample depends on code frames within DECODE_CONTEXT_FRAMES on either
side (its receptive field, about ±8 frames for the 44.1 kHz model; the tests measure it on a DAC of
the same layer layout). Decoding frames [start, end) from a window that adds that many frames on
both sides (or reaches the true start/end of the codes) gives the same samples as one decode of all
codes, up to float32 rounding of convolutions on different lengths: STREAM_TOLERANCE, checked by
the tests. The price is latency: a chunk leaves once DECODE_CONTEXT_FRAMES more frames exist.

Audio frame f needs generated frames up to f + 8 (codebook c lags c frames), so with G frames
generated the first G - 8 audio frames are final; they equal the one-shot codes' prefix because both
are undone from the same frames (generate.final_codes handles the tail, EOS and clamping).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from model_adapters.zonos2.generate import Progress, final_codes
from model_adapters.zonos2.prompt import CODEBOOK_SIZE, N_CODEBOOKS, unshear

HOP = 512
DECODE_CONTEXT_FRAMES = 10  # >= the DAC decoder's receptive field (±8 frames), each side
STREAM_TOLERANCE = 1e-5  # max |streamed - one-shot| sample difference, float32 audio in [-1, 1]
CHUNK_FRAMES = 16  # audio frames per streamed chunk (186 ms at 86.13 frames/s)


class StreamingDecoder:
    """Turns a growing prefix of final DAC codes into audio chunks whose concatenation matches
    `codec.decode(all_codes)` within STREAM_TOLERANCE."""

    def __init__(self, codec: Any, chunk_frames: int = CHUNK_FRAMES, context_frames: int = DECODE_CONTEXT_FRAMES) -> None:
        self.codec, self.chunk, self.context = codec, max(1, int(chunk_frames)), max(0, int(context_frames))
        self.emitted = 0  # audio frames already returned

    def _window(self, codes: np.ndarray, end: int, known: int) -> np.ndarray:
        lo, hi = max(0, self.emitted - self.context), min(known, end + self.context)
        audio = np.asarray(self.codec.decode(codes[:, lo:hi]), dtype=np.float32).reshape(-1)
        out = audio[(self.emitted - lo) * HOP : (end - lo) * HOP]
        self.emitted = end
        return out

    def push(self, codes: np.ndarray) -> list[np.ndarray]:
        """`codes` [9, K]: the first K final codes (a prefix that only grows). Returns the chunks
        that have their right context now."""
        out = []
        while codes.shape[1] - self.context - self.emitted >= self.chunk:
            out.append(self._window(codes, self.emitted + self.chunk, codes.shape[1]))
        return out

    def finish(self, codes: np.ndarray) -> list[np.ndarray]:
        """All final codes [9, F]: the rest, whose right edge is the codes' true end."""
        out = []
        while self.emitted < codes.shape[1]:
            out.append(self._window(codes, min(codes.shape[1], self.emitted + self.chunk), codes.shape[1]))
        return out


def complete_codes(frames: np.ndarray, eos_frame: int | None) -> np.ndarray:
    """The audio frames already final after `frames` [G, 9]: the first G - 8 (fewer once EOS is
    known), clamped like `final_codes`, so they are a prefix of what it will return."""
    codes = unshear(frames)
    if eos_frame is not None:
        codes = codes[:, :eos_frame]
    return np.minimum(codes, CODEBOOK_SIZE - 1)


def stream_audio(progress: Iterator[Progress], codec: Any, chunk_frames: int = CHUNK_FRAMES) -> Iterator[np.ndarray]:
    """Audio chunks for request 0 of a generation run, as its frames reach the host."""
    decoder = StreamingDecoder(codec, chunk_frames)
    last: Progress | None = None
    for last in progress:  # a batch-1 run ends at the check that sees its request done
        if not last.done[0] and len(last.frames[0]) > N_CODEBOOKS - 1:
            yield from decoder.push(complete_codes(last.frames[0], last.eos_frames[0]))
    if last is not None:
        yield from decoder.finish(final_codes(last.frames[0], last.eos_frames[0]))
