"""OpenAI-compatible `POST /v1/audio/speech`: OpenAI itself, or a self-hosted server speaking its shape.

OpenAI's public API cannot clone, so by default the prompt is not sent and the adapter says so
(zero_shot_cloning=False: the leaderboard stars such rows instead of comparing them as clones).
Servers like vLLM-Omni add `ref_audio` + `ref_text`; `clone="ref_audio"` sends the prompt as a base64
WAV data URI with its transcript. That encoding is not documented by those servers, hence opt-in.
WAV is requested because it is self-describing across servers whose native rates differ; OpenAI's
`pcm` (headerless 24 kHz s16le) is available too. There is no seed or language field in the shape.

Streaming (`synthesize_stream`, used by `ztts-eval speed`) reads the same request's body as it
arrives: `response_format=pcm` or `wav`, or with `stream_format=sse` the `speech.audio.delta` events
(base64 audio) up to `speech.audio.done`. `stream_format` only chooses the wire shape of the
streamed answer, so it stays out of the fingerprint.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import numpy as np

from model_adapters.base import (
    AdapterError,
    AudioChunk,
    Capabilities,
    Diagnostics,
    SynthesisRequest,
)
from model_adapters.vendors.audio import as_wav, decode_audio, read_prompt
from model_adapters.vendors.base import VendorAdapter
from model_adapters.vendors.stream_audio import SseDecoder, b64_field
from model_adapters.vendors.streaming import audio_chunks, auth, decoder_for, open_stream, refuse
from model_adapters.vendors.transport import VendorError, flag
from ztts_eval.languages import LANGUAGES

FORMATS = ("wav", "flac", "mp3", "pcm")


class OpenAISpeechAdapter(VendorAdapter):
    name = "openai-speech"
    version = "1"
    published_name = None  # the ZONOS2 report has no OpenAI row
    key_env = "OPENAI_API_KEY"
    base_url_env = "OPENAI_BASE_URL"
    default_base_url = "https://api.openai.com/v1"
    streams = True

    def __init__(
        self,
        model: str = "gpt-4o-mini-tts",
        voice: str = "alloy",
        response_format: str = "wav",
        instructions: str | None = None,
        speed: float | None = None,
        clone: str = "none",
        task_type: str | None = None,
        send_language: bool = False,
        pcm_sample_rate: int = 24000,
        stream_format: str = "audio",
        **transport: Any,
    ) -> None:
        if stream_format not in ("audio", "sse"):
            raise AdapterError(
                f"stream_format {stream_format!r} must be 'audio' (raw bytes) or 'sse' (speech.audio.delta events)"
            )
        self.stream_format = stream_format
        if response_format not in FORMATS:
            raise AdapterError(f"response_format {response_format!r} is not decodable here; use one of {', '.join(FORMATS)}")
        if clone not in ("none", "ref_audio"):
            raise AdapterError(f"clone {clone!r} must be 'none' (OpenAI) or 'ref_audio' (vLLM-Omni-style servers)")
        super().__init__(
            model=str(model),
            voice=str(voice),
            response_format=response_format,
            instructions=instructions,
            speed=None if speed is None else float(speed),
            clone=clone,
            task_type=task_type,
            send_language=flag(send_language),
            pcm_sample_rate=int(pcm_sample_rate),
            **transport,
        )

    @property
    def capabilities(self) -> Capabilities:
        cloning = self.params["clone"] == "ref_audio"
        return Capabilities(
            zero_shot_cloning=cloning,
            languages=None,
            deterministic=False,
            needs_prompt_text=cloning,
            max_batch=self.max_batch,
            max_text_chars=4096,
        )

    def request_body(self, req: SynthesisRequest) -> dict[str, Any]:
        p = self.params
        body: dict[str, Any] = {
            "model": p["model"],
            "input": req.text,
            "voice": p["voice"],
            "response_format": p["response_format"],
        }
        body |= {k: p[k] for k in ("instructions", "speed", "task_type") if p[k] is not None}
        if p["send_language"]:
            body["language"] = LANGUAGES[req.language].name  # vLLM-Omni takes names ("English")
        if p["clone"] == "ref_audio" and req.prompt_audio is not None:
            raw, _ = read_prompt(req.prompt_audio)
            body["ref_audio"] = "data:audio/wav;base64," + base64.b64encode(as_wav(raw)).decode("ascii")
            body["ref_text"] = req.prompt_text or ""
        return body

    def synthesize_one(self, req: SynthesisRequest) -> tuple[np.ndarray, int, Diagnostics]:
        p, body = self.params, self.request_body(req)
        cloned = "ref_audio" in body
        audio = self.http.request("POST", "/audio/speech", json_body=body, accept="audio/*").body
        fmt = "pcm_s16le" if p["response_format"] == "pcm" else p["response_format"]
        wav, sr = decode_audio(audio, fmt, p["pcm_sample_rate"])
        return wav, sr, Diagnostics(extra={"model": p["model"], "voice": p["voice"], "cloned": cloned})

    def synthesize_stream(self, request: SynthesisRequest) -> Iterator[AudioChunk]:
        refuse(self, request)
        p, body = self.params, self.request_body(request)
        if p["response_format"] not in ("pcm", "wav"):
            raise VendorError(
                f"streaming needs response_format=pcm or wav (not {p['response_format']}): only those decode as they arrive"
            )
        decoder = decoder_for("pcm_s16le", p["pcm_sample_rate"]) if p["response_format"] == "pcm" else decoder_for("wav")
        accept = "audio/*"
        if self.stream_format == "sse":
            body["stream_format"] = "sse"
            decoder, accept = (
                SseDecoder(decoder, lambda event: b64_field(event, "audio", ("speech.audio.delta",))),
                "text/event-stream",
            )
        stream = open_stream(self.http, auth(self), "POST", "/audio/speech", json_body=body, accept=accept)
        yield from audio_chunks(stream, decoder, self.http.timeout_s)
