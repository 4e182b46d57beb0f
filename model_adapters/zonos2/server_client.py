"""`zonos2-server`: a client for a running official ZONOS2 server, to cross-check our own engine.

It sends the same conditioning and sampling as `zonos2` (shared_params) to POST /tts/generate
with stream=false and gets raw float32 mono PCM at 44.1 kHz back. The official route differs from
ours in ways worth knowing when comparing: it decodes the prompt with ffmpeg, uses its own
precomputed silence frames, and batches concurrent requests with shared top-k/min-p, so runs are
not bitwise repeatable (deterministic is not claimed). It accepts only its 10 normalisation
locales, so other languages go as "en_us" with normalisation off, which is what the spec advises:
the model has no language token, so only the normaliser ever saw the code.

Transport is the project's HttpClient (loopback proxy bypass, no redirects, body limits, error
text) with its retry policy; the official server takes no API key, so the request loop here is
the shared one without the key lookup.

Streaming (`synthesize_stream`, for `ztts-eval speed`) sends the same body with stream=true; the
server then answers float32 PCM as its vocoder decodes chunks (ZONOS2 spec §5: ~16-frame DAC calls
with a 2048-sample crossfade), read through the shared streaming helper.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from model_adapters.base import (
    CONTRACT_VERSION,
    Adapter,
    AdapterError,
    AudioChunk,
    Capabilities,
    Diagnostics,
    SynthesisRequest,
    SynthesisResult,
)
from model_adapters.vendors.audio import decode_audio
from model_adapters.vendors.streaming import audio_chunks, decoder_for, open_stream, refuse
from model_adapters.vendors.transport import (
    HttpClient,
    MalformedAudio,
    RetryPolicy,
    VendorError,
)
from model_adapters.zonos2.options import (
    CONDITIONING_PARAMS,
    LANGUAGE_CODES,
    SAMPLE_RATE,
    language_tag,
    published_name,
    shared_params,
)

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "http://127.0.0.1:1919"
FLOAT32_FORMATS = frozenset({"float32", "f32le", "pcm_f32le"})


class KeylessHttpClient(HttpClient):
    """HttpClient for a server without authentication (key_env ""): same transport and retry rules.

    A local research server has no key, and requiring a dummy one would only teach people to export
    fake secrets."""

    def __init__(self, base_url: str, *, timeout_s: float, retry: RetryPolicy) -> None:
        super().__init__(base_url, "", lambda _key: {}, timeout_s=timeout_s, retry=retry, allow_http=True)


class Zonos2ServerAdapter(Adapter):
    name = "zonos2-server"
    version = "1"
    group = "open"
    published_name: str | None = "ZONOS2 8B"
    streams = True
    param_sources = CONDITIONING_PARAMS  # what **conditioning accepts

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        timeout_s: float = 600.0,
        max_concurrency: int = 4,
        max_attempts: int = 3,
        backoff_base_s: float = 0.5,
        backoff_cap_s: float = 10.0,
        max_total_wait_s: float = 120.0,
        max_batch: int = 16,
        **conditioning: Any,
    ) -> None:
        super().__init__(**shared_params(**conditioning))  # only what changes the audio
        retry = RetryPolicy(max(1, int(max_attempts)), float(backoff_base_s), float(backoff_cap_s), float(max_total_wait_s))
        self.http = KeylessHttpClient(str(base_url), timeout_s=float(timeout_s), retry=retry)
        self.max_concurrency, self.max_batch = max(1, int(max_concurrency)), max(1, int(max_batch))
        self.published_name = published_name(self.params)

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(zero_shot_cloning=True, languages=LANGUAGE_CODES, deterministic=False, max_batch=self.max_batch)

    def fingerprint(self) -> dict[str, Any]:
        return {
            "adapter": self.name,
            "version": self.version,
            "contract": CONTRACT_VERSION,
            "host": self.http.host,
            "params": dict(self.params),
        }

    def load(self) -> None:
        """Fail before any work when the server is down or is not a speaker-cloning ZONOS2."""
        try:
            caps = self.http.request("GET", "/tts/capabilities", accept="application/json").json()
        except VendorError as exc:
            raise AdapterError(
                f"zonos2-server: no ZONOS2 server at {self.http.base} ({exc}); start one with "
                f"`uv run python -m zonos2 --model-path Zyphra/ZONOS2` or pass base_url=..."
            ) from None
        if not isinstance(caps, dict) or not caps.get("speaker_enabled") or caps.get("speaker_embedding_dim") != 2048:
            raise AdapterError(
                f"zonos2-server: {self.http.base}/tts/capabilities does not describe ZONOS2 with "
                f"2048-d speaker cloning ({str(caps)[:200]})"
            )

    def synthesize(self, requests: list[SynthesisRequest]) -> list[SynthesisResult]:
        if not requests:
            return []
        with ThreadPoolExecutor(max_workers=min(self.max_concurrency, len(requests))) as pool:
            return list(pool.map(lambda req: self.synthesize_each([req], self._one)[0], requests))

    def request_body(self, req: SynthesisRequest) -> dict[str, Any]:
        """The /tts/generate JSON for one request (public so tests and cross-checks can log it)."""
        p = self.params
        tag, normalisable = language_tag(req.language)
        body: dict[str, Any] = {
            "text": req.text,
            "language": tag if normalisable else "en_us",
            "text_normalization": bool(p["text_normalization"] and normalisable),
            "temperature": p["temperature"],
            "topk": p["top_k"],
            "top_p": p["top_p"],
            "min_p": p["min_p"],
            "max_tokens": p["max_frames"],
            "repetition_window": p["repetition_window"],
            "repetition_penalty": p["repetition_penalty"],
            "repetition_codebooks": p["repetition_codebooks"],
            "seed": int(req.seed),
            "stream": False,
            "fade_out_ms": 0.0,
            "speaking_rate_enabled": p["speaking_rate"] is not None,
            "speaking_rate_bucket": p["speaking_rate"],
            "quality_enabled": bool(p["quality_buckets"]),
            "quality_buckets": p["quality_buckets"] or None,
            "clean_speaker_background": p["clean_background"],
            "accurate_mode": p["mode"] == "accurate",
            "long_form": False,  # side branches chunk long text by default; main ignores the field
        }
        if req.prompt_audio is not None:
            body["speaker_audio_base64"] = base64.b64encode(Path(req.prompt_audio).read_bytes()).decode("ascii")
            body["speaker_audio_name"] = Path(req.prompt_audio).name
        return body

    def _one(self, req: SynthesisRequest) -> tuple[np.ndarray, int, Diagnostics]:
        body = self.request_body(req)
        resp = self.http.request("POST", "/tts/generate", json_body=body, accept="audio/pcm")
        check_audio_headers(resp.headers)
        wav, sr = decode_audio(resp.body, "pcm_f32le", SAMPLE_RATE)
        extra = {"language_sent": body["language"], "text_normalization_sent": body["text_normalization"]}
        return wav, sr, Diagnostics(eos_reached=None, extra=extra)

    def synthesize_stream(self, request: SynthesisRequest) -> Iterator[AudioChunk]:
        refuse(self, request)
        body = {**self.request_body(request), "stream": True}
        stream = open_stream(self.http, {}, "POST", "/tts/generate", json_body=body, accept="audio/pcm")
        try:
            check_audio_headers(stream.headers)
        except MalformedAudio:
            stream.close()
            raise
        yield from audio_chunks(stream, decoder_for("pcm_f32le", SAMPLE_RATE), self.http.timeout_s)


def check_audio_headers(headers: Any) -> None:
    """The official server describes its raw PCM in headers; anything but float32 mono 44.1 kHz is refused."""
    rate, channels = headers.get("X-Audio-Sample-Rate"), headers.get("X-Audio-Channels")
    fmt = (headers.get("X-Audio-Format") or "").strip().lower()
    if rate != str(SAMPLE_RATE) or channels != "1" or fmt not in FLOAT32_FORMATS:
        raise MalformedAudio(
            f"expected float32 mono PCM at {SAMPLE_RATE} Hz, the server says rate={rate} channels={channels} format={fmt or None}"
        )
