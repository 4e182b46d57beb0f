"""ElevenLabs (Eleven v3 by default) over its HTTP API: zero-shot means Instant Voice Cloning.

The API has no inline reference audio, so each distinct prompt is uploaded once to
`POST /v1/voices/add` and its `voice_id` reused (cached by prompt SHA-256, optionally across runs);
voice slots are limited per plan, hence `delete_voices_on_close`. We request `wav_*` output, not the
MP3 default, so decoding is lossless and self-describing. The seed is passed through, but ElevenLabs
calls determinism best-effort, so the adapter does not claim it.

Streaming (`synthesize_stream`) posts the same body to `/v1/text-to-speech/{voice_id}/stream`,
which answers with the audio bytes as they are generated; `pcm_*` and `wav_*` decode as they arrive.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

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
from model_adapters.vendors.transport import VendorError, flag

# Eleven v3's documented languages (help centre, "What models do you offer"), as ISO 639-1 codes.
V3_LANGUAGES = frozenset(
    "af ar hy as az be bn bs bg ca ny hr cs da nl en et tl fi fr gl ka de el gu ha he hi hu is id ga it ja jv kn "
    "kk ky ko lv ln lt lb mk ms ml zh mr ne no ps fa pl pt pa ro ru sr sd sk sl so es sw sv ta te th tr uk ur vi cy".split()
)
# eleven_multilingual_v2's 29 languages; Flash/Turbo v2.5 add Hungarian, Norwegian and Vietnamese.
V2_LANGUAGES = frozenset("en ja zh de hi fr ko pt it es id nl tr tl pl sv bg ro ar cs el fi hr ms sk da ta uk ru".split())
MODEL_LANGUAGES = {
    "eleven_v3": V3_LANGUAGES,
    "eleven_multilingual_v2": V2_LANGUAGES,
    "eleven_flash_v2_5": V2_LANGUAGES | {"hu", "no", "vi"},
    "eleven_turbo_v2_5": V2_LANGUAGES | {"hu", "no", "vi"},
}
VOICE_SETTINGS = ("stability", "similarity_boost", "style", "speed")
SEED_MODULUS = 2**32  # the API takes 0..4294967295


class ElevenLabsAdapter(VendorAdapter):
    name = "elevenlabs"
    version = "1"
    published_name: str | None = "Eleven Labs V3"
    key_env = "ELEVENLABS_API_KEY"
    base_url_env = "ELEVENLABS_BASE_URL"
    default_base_url = "https://api.elevenlabs.io"
    streams = True

    def __init__(
        self,
        model_id: str = "eleven_v3",
        output_format: str = "wav_24000",
        voice_id: str | None = None,
        stability: float | None = None,
        similarity_boost: float | None = None,
        style: float | None = None,
        speed: float | None = None,
        use_speaker_boost: bool | None = None,
        send_language_code: bool = True,
        remove_background_noise: bool = False,
        **transport: Any,
    ) -> None:
        kind, _, rate = str(output_format).partition("_")
        if kind not in ("wav", "pcm", "mp3") or not rate.split("_")[0].isdigit():
            raise AdapterError(
                f"output_format {output_format!r} is not decodable here; use wav_<rate>, pcm_<rate> or mp3_<rate>_<kbps>"
            )
        values = (stability, similarity_boost, style, speed)
        settings: dict[str, Any] = {k: float(v) for k, v in zip(VOICE_SETTINGS, values, strict=True) if v is not None}
        if use_speaker_boost is not None:
            settings["use_speaker_boost"] = flag(use_speaker_boost)
        super().__init__(
            model_id=str(model_id),
            output_format=str(output_format),
            voice_id=voice_id,
            voice_settings=settings,
            send_language_code=flag(send_language_code),
            remove_background_noise=flag(remove_background_noise),
            **transport,
        )
        self._format, self._rate = ("pcm_s16le" if kind == "pcm" else kind), int(rate.split("_")[0])
        if model_id != "eleven_v3":
            self.published_name = None  # the report's row is Eleven v3 only

    def auth_headers(self, key: str) -> dict[str, str]:
        return {"xi-api-key": key}

    @property
    def capabilities(self) -> Capabilities:
        langs = MODEL_LANGUAGES.get(self.params["model_id"])  # another model: not declared, so not refused here
        return Capabilities(
            zero_shot_cloning=True, languages=langs, deterministic=False, max_batch=self.max_batch, max_text_chars=5000
        )

    def create_voice(self, wav: bytes, sha: str, req: SynthesisRequest) -> str:
        fields = [
            ("name", f"ztts-eval-{sha[:16]}"),
            ("description", "ztts-eval zero-shot prompt"),
            ("remove_background_noise", str(self.params["remove_background_noise"]).lower()),
            ("labels", json.dumps({"source": "ztts-eval", "language": req.language})),
        ]
        return self.upload_voice("/v1/voices/add", fields, "files", wav, "voice_id")["voice_id"]

    def delete_voice(self, voice_id: str) -> None:
        self.delete_at("/v1/voices", voice_id)

    def request_body(self, req: SynthesisRequest) -> dict[str, Any]:
        p = self.params
        body: dict[str, Any] = {"text": req.text, "model_id": p["model_id"], "seed": int(req.seed) % SEED_MODULUS}
        if p["send_language_code"] and p["model_id"] != "eleven_multilingual_v2":
            body["language_code"] = req.language
        if p["voice_settings"]:
            body["voice_settings"] = p["voice_settings"]
        return body

    def synthesize_one(self, req: SynthesisRequest) -> tuple[np.ndarray, int, Diagnostics]:
        p, body = self.params, self.request_body(req)

        def speak(voice_id: str) -> tuple[str, bytes]:
            resp = self.http.request(
                "POST",
                f"/v1/text-to-speech/{quote(voice_id, safe='')}",
                json_body=body,
                query={"output_format": p["output_format"]},
                accept="audio/*",
            )
            return voice_id, resp.body

        voice_id, audio = self.with_voice(req, speak, p["voice_id"])
        wav, sr = decode_audio(audio, self._format, self._rate)
        return wav, sr, Diagnostics(extra={"voice_id": voice_id, "model_id": p["model_id"]})

    def synthesize_stream(self, request: SynthesisRequest) -> Iterator[AudioChunk]:
        refuse(self, request)
        p, body = self.params, self.request_body(request)
        if self._format not in ("wav", "pcm_s16le"):
            raise VendorError(f"streaming needs output_format wav_<rate> or pcm_<rate> (not {p['output_format']})")

        def speak(voice_id: str):  # type: ignore[no-untyped-def]
            path = f"/v1/text-to-speech/{quote(voice_id, safe='')}/stream"
            return open_stream(self.http, auth(self), "POST", path, json_body=body, query={"output_format": p["output_format"]})

        stream = self.with_voice(request, speak, self.params["voice_id"])
        yield from audio_chunks(stream, decoder_for(self._format, self._rate), self.http.timeout_s)
