"""Cartesia Sonic (3.5 by default) over its HTTP API: zero-shot means clone, then speak.

Since API version 2025-04-16 Cartesia accepts no inline reference audio, so each distinct prompt is
uploaded once to `POST /voices/clone` and its `id` reused (cached by prompt SHA-256). Request shapes
change with the `Cartesia-Version` header, so one version is pinned (2026-08-14, the 4.x SDK default)
and the default model is a dated snapshot: `*-latest` aliases may change under a running benchmark.
We ask for raw pcm_f32le, which decodes exactly with no container to parse. The API has no seed.

Streaming (`synthesize_stream`) reads the same `/tts/bytes` answer as it arrives: Cartesia's docs
("Compare TTS endpoints") state that the bytes endpoint streams audio as it is produced, in one
HTTP body, and recommend it over SSE when only audio is needed.
"""

from __future__ import annotations

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
from model_adapters.vendors.audio import decode_audio
from model_adapters.vendors.base import VendorAdapter
from model_adapters.vendors.streaming import audio_chunks, auth, decoder_for, open_stream, refuse
from model_adapters.vendors.wire import AUDIO_TYPES

API_VERSION = "2026-08-14"
SAMPLE_RATES = (8000, 16000, 22050, 24000, 44100, 48000)
# Sonic 3 / 3.5: 42 languages (Cartesia docs and the SDK's SupportedLanguage type).
SONIC3_LANGUAGES = frozenset(
    "en fr de es pt zh ja hi it ko nl pl ru sv tr tl bg ro ar cs el fi hr ms sk da ta uk hu no vi bn th he ka id "
    "te gu kn ml mr pa ur".split()
)
SONIC2_LANGUAGES = frozenset("en fr de es pt zh ja hi it ko nl pl ru sv tr".split())


class CartesiaAdapter(VendorAdapter):
    name = "cartesia"
    version = "1"
    published_name: str | None = "Cartesia Sonic 3.5"
    key_env = "CARTESIA_API_KEY"
    base_url_env = "CARTESIA_BASE_URL"
    default_base_url = "https://api.cartesia.ai"
    streams = True

    def __init__(
        self,
        model_id: str = "sonic-3.5-2026-05-04",
        api_version: str = API_VERSION,
        sample_rate: int = 44100,
        voice_id: str | None = None,
        speed: float | None = None,
        volume: float | None = None,
        emotion: str | None = None,
        **transport: Any,
    ) -> None:
        if int(sample_rate) not in SAMPLE_RATES:
            raise AdapterError(f"sample_rate {sample_rate} is not one Cartesia serves ({', '.join(map(str, SAMPLE_RATES))})")
        self._api_version = str(api_version)  # extra_headers() reads it during super().__init__
        generation: dict[str, Any] = {k: float(v) for k, v in (("speed", speed), ("volume", volume)) if v is not None}
        if emotion:
            generation["emotion"] = str(emotion)
        super().__init__(
            model_id=str(model_id),
            api_version=self._api_version,
            sample_rate=int(sample_rate),
            voice_id=voice_id,
            generation_config=generation,
            **transport,
        )
        if not str(model_id).startswith("sonic-3.5"):
            self.published_name = None

    def auth_headers(self, key: str) -> dict[str, str]:
        # Versions up to 2024-11-13 took the key in X-API-Key; later ones take a Bearer token.
        return {"X-API-Key": key} if self._api_version <= "2024-11-13" else {"Authorization": f"Bearer {key}"}

    def extra_headers(self) -> dict[str, str]:
        return {"Cartesia-Version": self._api_version}

    @property
    def capabilities(self) -> Capabilities:
        langs = SONIC3_LANGUAGES if str(self.params["model_id"]).startswith("sonic-3") else SONIC2_LANGUAGES
        return Capabilities(zero_shot_cloning=True, languages=langs, deterministic=False, max_batch=self.max_batch)

    def _voice_spec(self, voice_id: str) -> Any:
        # Up to 2025-11-04 the voice was {"mode": "id", "id": ...}; 2026-08-14 takes {"id": ...}.
        return {"mode": "id", "id": voice_id} if self._api_version <= "2025-11-04" else {"id": voice_id}

    def create_voice(self, wav: bytes, sha: str, req: SynthesisRequest) -> str:
        fields = [("name", f"ztts-eval-{sha[:16]}"), ("language", req.language), ("description", "ztts-eval zero-shot prompt")]
        return self.upload_voice("/voices/clone", fields, "clip", wav, "id")["id"]

    def delete_voice(self, voice_id: str) -> None:
        self.delete_at("/voices", voice_id)

    def request_body(self, req: SynthesisRequest) -> dict[str, Any]:
        p = self.params
        body: dict[str, Any] = {
            "model_id": p["model_id"],
            "transcript": req.text,
            "output_format": {"container": "raw", "encoding": "pcm_f32le", "sample_rate": p["sample_rate"]},
            "language": req.language,
        }
        if p["generation_config"]:
            body["generation_config"] = p["generation_config"]
        return body

    def synthesize_one(self, req: SynthesisRequest) -> tuple[np.ndarray, int, Diagnostics]:
        p, body = self.params, self.request_body(req)

        def speak(voice_id: str) -> tuple[str, bytes]:
            spec = {**body, "voice": self._voice_spec(voice_id)}
            return voice_id, self.http.request("POST", "/tts/bytes", json_body=spec, expect=AUDIO_TYPES).body

        voice_id, audio = self.with_voice(req, speak, p["voice_id"])
        wav, sr = decode_audio(audio, "pcm_f32le", p["sample_rate"])
        return wav, sr, Diagnostics(extra={"voice_id": voice_id, "model_id": p["model_id"]})

    def synthesize_stream(self, request: SynthesisRequest) -> Iterator[AudioChunk]:
        refuse(self, request)
        body = self.request_body(request)

        def speak(voice_id: str):  # type: ignore[no-untyped-def]
            return open_stream(
                self.http, auth(self), "POST", "/tts/bytes", json_body={**body, "voice": self._voice_spec(voice_id)}
            )

        stream = self.with_voice(request, speak, self.params["voice_id"])
        yield from audio_chunks(stream, decoder_for("pcm_f32le", self.params["sample_rate"]), self.http.timeout_s)
