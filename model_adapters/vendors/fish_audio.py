"""Fish Audio (S2 Pro by default) over its HTTP API: the reference clip travels with each request.

Fish's documented zero-shot path puts `references=[{audio, text}]` in the /v1/tts body. Raw bytes
cannot ride in JSON (Fish answers 422), so that body is msgpack; the small encoder below spares the
base install a dependency. Fish wants the exact transcript of the clip, so this mode needs prompt
text. `clone_mode="model"` instead uploads each prompt once as a private voice model (`POST /model`)
and reuses its `_id` (cached by prompt SHA-256): fewer bytes per request when prompts repeat. The
model is chosen by a `model` header, not the body. /v1/tts has no seed, so no determinism claim.

Streaming (`synthesize_stream`) reads the same /v1/tts answer, which Fish sends with
`Transfer-Encoding: chunked` as it is generated; the WAV header's placeholder sizes are expected.
"""

from __future__ import annotations

import struct
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
from model_adapters.vendors.streaming import audio_chunks, auth, decoder_for, open_stream, refuse
from model_adapters.vendors.transport import VendorError, flag
from model_adapters.vendors.wire import AUDIO_TYPES

# Languages on the fishaudio/s2-pro model card (83), and Fish S1's 13.
S2_LANGUAGES = frozenset(
    "zh en ja ko es pt ar ru fr de sv it tr no nl cy eu ca da gl ta hu fi pl et hi la ur th vi jw bn yo sl cs sw nn he "
    "ms uk id kk bg lv my tl sk ne fa af el bo hr ro sn mi yi am be km is az sd br sq ps mn ht ml sr sa te ka bs pa lt "
    "kn si hy mr as gu fo".split()
)
S1_LANGUAGES = frozenset("en zh ja de fr es ko ar ru nl it pl pt".split())
SAMPLE_RATES = (8000, 16000, 24000, 32000, 44100)


def msgpack_dumps(obj: Any) -> bytes:
    """Encode None/bool/int/float/str/bytes/list/dict as MessagePack, bytes as `bin` (what Fish needs)."""
    out = bytearray()
    _pack(obj, out)
    return bytes(out)


def _pack(obj: Any, out: bytearray) -> None:
    if obj is None:
        out.append(0xC0)
    elif isinstance(obj, bool):
        out.append(0xC3 if obj else 0xC2)
    elif isinstance(obj, int):
        if 0 <= obj < 0x80 or -32 <= obj < 0:
            out += struct.pack(">b" if obj < 0 else ">B", obj)
        else:
            out += b"\xcf" + struct.pack(">Q", obj) if obj > 0 else b"\xd3" + struct.pack(">q", obj)
    elif isinstance(obj, float):
        out += b"\xcb" + struct.pack(">d", obj)
    elif isinstance(obj, str):
        data = obj.encode("utf-8")
        _header(out, len(data), (0xA0, 32), 0xD9, 0xDA, 0xDB)
        out += data
    elif isinstance(obj, (bytes, bytearray)):
        _header(out, len(obj), None, 0xC4, 0xC5, 0xC6)
        out += obj
    elif isinstance(obj, (list, tuple)):
        _header(out, len(obj), (0x90, 16), None, 0xDC, 0xDD)
        for item in obj:
            _pack(item, out)
    elif isinstance(obj, dict):
        _header(out, len(obj), (0x80, 16), None, 0xDE, 0xDF)
        for key, value in obj.items():
            _pack(key, out)
            _pack(value, out)
    else:
        raise TypeError(f"cannot msgpack {type(obj).__name__}")


def _header(out: bytearray, n: int, fix: tuple[int, int] | None, c8: int | None, c16: int, c32: int) -> None:
    if fix is not None and n < fix[1]:
        out.append(fix[0] | n)
    elif c8 is not None and n < 0x100:
        out += bytes((c8, n))
    elif n < 0x10000:
        out += bytes((c16,)) + struct.pack(">H", n)
    elif n < 2**32:
        out += bytes((c32,)) + struct.pack(">I", n)
    else:
        raise ValueError("msgpack object too large")


class FishAudioAdapter(VendorAdapter):
    name = "fish-audio"
    version = "1"
    published_name: str | None = "Fish S2 Pro"
    key_env = "FISH_AUDIO_API_KEY"
    base_url_env = "FISH_AUDIO_BASE_URL"
    default_base_url = "https://api.fish.audio"
    streams = True

    def __init__(
        self,
        model: str = "s2-pro",
        clone_mode: str = "inline",
        sample_rate: int = 44100,
        reference_id: str | None = None,
        latency: str = "normal",
        temperature: float | None = None,
        top_p: float | None = None,
        speed: float | None = None,
        normalize: bool | None = None,
        **transport: Any,
    ) -> None:
        if clone_mode not in ("inline", "model"):
            raise AdapterError(
                f"clone_mode {clone_mode!r} must be 'inline' (references per request) or 'model' (POST /model once)"
            )
        if int(sample_rate) not in SAMPLE_RATES:
            raise AdapterError(f"sample_rate {sample_rate} is not a Fish WAV rate ({', '.join(map(str, SAMPLE_RATES))})")
        self._model = str(model)  # extra_headers() reads it during super().__init__
        options: dict[str, Any] = {"latency": str(latency)}
        options |= {k: float(v) for k, v in (("temperature", temperature), ("top_p", top_p)) if v is not None}
        if speed is not None:
            options["prosody"] = {"speed": float(speed)}
        if normalize is not None:
            options["normalize"] = flag(normalize)
        super().__init__(
            model=self._model,
            clone_mode=clone_mode,
            sample_rate=int(sample_rate),
            reference_id=reference_id,
            options=options,
            **transport,
        )
        if self._model != "s2-pro":
            self.published_name = None

    def extra_headers(self) -> dict[str, str]:
        return {"model": self._model}

    @property
    def capabilities(self) -> Capabilities:
        langs = S1_LANGUAGES if self._model == "s1" else S2_LANGUAGES
        return Capabilities(
            zero_shot_cloning=True,
            languages=langs,
            deterministic=False,
            max_batch=self.max_batch,
            needs_prompt_text=self.params["clone_mode"] == "inline",
        )

    def create_voice(self, wav: bytes, sha: str, req: SynthesisRequest) -> str:
        fields = [
            ("type", "tts"),
            ("title", f"ztts-eval-{sha[:16]}"),
            ("train_mode", "fast"),
            ("visibility", "private"),
            ("description", "ztts-eval zero-shot prompt"),
        ]
        if req.prompt_text:
            fields.append(("texts", req.prompt_text))  # without it Fish transcribes the clip itself
        doc = self.upload_voice("/model", fields, "voices", wav, "_id")
        if doc.get("state") == "failed":
            raise VendorError(f"Fish voice model {doc['_id']} failed to build from the prompt")
        return doc["_id"]

    def delete_voice(self, voice_id: str) -> None:
        self.delete_at("/model", voice_id)

    def _answer(self, req: SynthesisRequest, send):  # type: ignore[no-untyped-def]
        """`send(**request kwargs)` with the item's voice: inline references, an uploaded model, or reference_id."""
        p = self.params
        body: dict[str, Any] = {"text": req.text, "format": "wav", "sample_rate": p["sample_rate"], **p["options"]}

        def speak(reference_id: str):  # type: ignore[no-untyped-def]
            return reference_id, send(json_body={**body, "reference_id": reference_id})

        if req.prompt_audio is not None and p["clone_mode"] == "inline":
            raw, sha = read_prompt(req.prompt_audio)
            packed = msgpack_dumps({**body, "references": [{"audio": as_wav(raw), "text": req.prompt_text or ""}]})
            return f"inline:{sha[:12]}", send(data=packed, content_type="application/msgpack")
        if req.prompt_audio is not None:
            return self.with_cloned_voice(req, speak)
        if p["reference_id"]:
            return speak(str(p["reference_id"]))
        raise VendorError("item has no prompt audio and no reference_id is configured")

    def synthesize_one(self, req: SynthesisRequest) -> tuple[np.ndarray, int, Diagnostics]:
        voice, audio = self._answer(req, lambda **kw: self.http.request("POST", "/v1/tts", expect=AUDIO_TYPES, **kw).body)
        wav, sr = decode_audio(audio, "wav")
        return wav, sr, Diagnostics(extra={"voice": voice, "model": self._model})

    def synthesize_stream(self, request: SynthesisRequest) -> Iterator[AudioChunk]:
        refuse(self, request)
        _, stream = self._answer(request, lambda **kw: open_stream(self.http, auth(self), "POST", "/v1/tts", **kw))
        yield from audio_chunks(stream, decoder_for("wav"), self.http.timeout_s)
