"""ZONOS2 adapter options shared by the engine adapter and the server client, torch-free: the hub
ids, the conditioning and sampling parameters with their validation, language tags, and which
published system name (if any) a configuration may claim.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from model_adapters.base import AdapterError
from model_adapters.vendors.transport import flag
from model_adapters.zonos2.prompt import DEFAULT_QUALITY_BUCKETS, quality_ids
from ztts_eval.languages import LANGUAGES

SAMPLE_RATE = 44100
MODEL_HUB_ID = "Zyphra/ZONOS2"
SPEAKER_HUB_ID = "marksverdhei/Qwen3-Voice-Embedding-12Hz-1.7B"
CODEC_HUB_ID = "descript/dac_44khz"
EXPECTED_CONFIG = {"n_codebooks": 9, "codebook_size": 1024, "eoa_id": 1024, "audio_pad_id": 1025, "text_vocab": 519}
# No language token: every ZTTS1 language can be attempted; NeMo normalisation exists for these tags only.
LANGUAGE_CODES = frozenset(code for code, lang in LANGUAGES.items() if lang.zonos2)
NORM_LOCALES = frozenset({"en_us", "en_gb", "fr_fr", "de", "es", "it", "pt_br", "ja", "cmn", "ko"})
# "Quality Mode". The ZONOS2 report has a second row, "ZONOS2 8B Quality Mode", but neither the spec
# nor the official repo defines it. We read it as conditioning on the best bucket of each quality
# feature the model was trained with (params.json bucket ranges in brackets):
# estimated_snr 11 [60+ dB], estimated_bandlimit_hz 7 [21-24 kHz, full band], lufs 7 [-23..-18.5
# LUFS, broadcast loudness; louder buckets risk clipping], max_pause 0 [< 0.5 s], leading_silence_s 0
# [< 0.05 s]; trailing_silence_s stays at the official default 3 [0.25-0.5 s] so the ending (EOS)
# behaves as in the default mode. This is our reading, not Zyphra's recipe: any other choice goes
# through the explicit `quality_buckets` param, and then no published name is claimed.
QUALITY_MODE_BUCKETS = {
    "lufs": 7,
    "estimated_snr": 11,
    "max_pause": 0,
    "estimated_bandlimit_hz": 7,
    "leading_silence_s": 0,
    "trailing_silence_s": 3,
}
SAMPLING_DEFAULTS = {
    "temperature": 1.15,
    "top_k": 106,
    "top_p": 0.0,
    "min_p": 0.18,
    "repetition_window": 50,
    "repetition_penalty": 1.2,
    "repetition_codebooks": 8,
    "max_frames": None,
}


def language_tag(code: str) -> tuple[str, bool]:
    """ZONOS2's tag for a canonical language and whether the official normaliser covers it."""
    tag = LANGUAGES[code].zonos2 or code
    return tag, tag in NORM_LOCALES


def _optional_int(value: Any) -> int | None:
    return None if value is None or str(value).strip().lower() in ("", "none", "null") else int(value)


def _quality(value: Any, quality_mode: bool) -> dict[str, int]:
    """Explicit buckets (dict or JSON; "none" = no quality rows) win over the mode's preset."""
    if value is None:
        return dict(QUALITY_MODE_BUCKETS if quality_mode else DEFAULT_QUALITY_BUCKETS)
    try:
        if isinstance(value, str):
            value = {} if value.strip().lower() in ("", "none", "null") else json.loads(value)
        buckets = {str(k): int(v) for k, v in value.items() if v is not None}
        quality_ids(buckets)  # unknown feature or bucket out of range
    except (ValueError, TypeError, AttributeError) as exc:
        raise AdapterError(f"quality_buckets={value!r}: {exc} (a JSON object feature -> bucket, or none)") from None
    return buckets


def shared_params(
    mode: str = "accurate",
    quality_mode: Any = False,
    quality_buckets: Any = None,
    speaking_rate: Any = None,
    clean_background: Any = False,
    text_normalization: Any = True,
    **sampling: Any,
) -> dict[str, Any]:
    """The conditioning and sampling params both ZONOS2 adapters take, coerced from `--param` strings."""
    if mode not in ("accurate", "expressive"):
        raise AdapterError(f"mode {mode!r} must be 'accurate' (accurate marker 518) or 'expressive' (no marker)")
    unknown = sorted(set(sampling) - set(SAMPLING_DEFAULTS))
    if unknown:
        raise AdapterError(f"unknown zonos2 param(s) {unknown}")
    rate = _optional_int(speaking_rate)
    if rate is not None and not 0 <= rate <= 7:
        raise AdapterError(f"speaking_rate must be a bucket 0-7 (bytes/s 0-8 ... 40+), got {rate}")
    out: dict[str, Any] = {
        "mode": mode,
        "quality_mode": flag(quality_mode),
        "quality_buckets": _quality(quality_buckets, flag(quality_mode)),
        "speaking_rate": rate,
        "clean_background": flag(clean_background),
        "text_normalization": flag(text_normalization),
    }
    for key, default in SAMPLING_DEFAULTS.items():
        value = sampling.get(key, default)
        out[key] = _optional_int(value) if key == "max_frames" else type(default)(value)
    if out["max_frames"] is not None and out["max_frames"] < 1:
        raise AdapterError("max_frames must be at least 1 (or none: what the 6144-row context leaves)")
    return out


def published_name(params: dict[str, Any]) -> str | None:
    """The report row these settings reproduce: only the defaults (plus the Quality Mode preset) claim one."""
    preset = QUALITY_MODE_BUCKETS if params["quality_mode"] else DEFAULT_QUALITY_BUCKETS
    defaults = {
        "mode": "accurate",
        "speaking_rate": None,
        "clean_background": False,
        "text_normalization": True,
        "quality_buckets": dict(preset),
        **SAMPLING_DEFAULTS,
    }
    if any(params[k] != v for k, v in defaults.items()):
        return None
    return "ZONOS2 8B Quality Mode" if params["quality_mode"] else "ZONOS2 8B"


# What `**conditioning` accepts, for the typed parameter declarations (ztts_eval.setup.params).
CONDITIONING_PARAMS = (shared_params, SAMPLING_DEFAULTS)


SILENCE_SOURCES = ("official", "codec")  # silence_codes= also takes a [9, 17] .npy file


def silence_file(value: str) -> str | None:
    return None if value in SILENCE_SOURCES else value


def load_component(what: str, param: str, build: Callable[[], Any]) -> Any:
    """Run a component loader; any failure is one line naming the param that fixes it."""
    try:
        return build()
    except Exception as exc:  # noqa: BLE001 - every loader failure becomes one AdapterError line
        text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        hint = "" if f"{param}=" in text else f"; pass {param}=DIR (a local copy)"
        raise AdapterError(f"zonos2: cannot load the {what} ({type(exc).__name__}: {text}){hint}") from None


def component_fingerprint(component: Any) -> Any:
    """A component's own fingerprint (a module's, for textnorm), else its type name."""
    fp = getattr(component, "fingerprint", None)
    return fp() if callable(fp) else type(component).__name__


def step_mode_param(value: str) -> str:
    """How the engine runs a decode step (model_adapters/zonos2/runner.py); the codes do not change."""
    if value not in ("eager", "compile", "graph"):
        raise AdapterError(f"step_mode={value!r} must be eager, compile (torch.compile) or graph (CUDA graphs, CUDA only)")
    return value


def check_local_paths(params: dict[str, Any]) -> None:
    """A path-like model/encoder/codec/silence param that does not exist: one line with the fix."""
    for param in ("model", "speaker_encoder", "codec", "silence_codes"):
        value = params[param]
        if param == "silence_codes" and value in SILENCE_SOURCES:
            continue
        if value and value.startswith(("/", ".", "~")) and not Path(value).expanduser().exists():
            raise AdapterError(
                f"zonos2: {param}={value} does not exist; pass {param}=<local copy> "
                f"(or leave it unset to use the hub id from the local HF cache)"
            )


def load_engine(p: dict[str, Any], device: str, dtype: Any) -> tuple[Any, Any, Any]:
    """(model, codec, speaker encoder), small parts first: a missing 24 MB encoder must not cost a
    15 GB load before it fails. Torch-backed modules are imported here, never at import time."""
    try:
        from model_adapters.zonos2.codec import DacCodec
        from model_adapters.zonos2.model import Zonos2Model
        from model_adapters.zonos2.speaker import SpeakerEncoder
    except ImportError as exc:
        raise AdapterError(f"zonos2 engine cannot be imported ({exc}); pip install -e '.[zonos2]'") from None
    speaker = load_component(
        "speaker encoder", "speaker_encoder", lambda: SpeakerEncoder.from_pretrained(p["speaker_encoder"], device="cpu")
    )
    codec = load_component(
        "DAC codec",
        "codec",
        lambda: DacCodec.from_pretrained(p["codec"], device=device, silence_codes=silence_file(p["silence_codes"])),
    )
    model = load_component(
        "ZONOS2 weights",
        "model",
        lambda: Zonos2Model.from_pretrained(p["model"], revision=p["revision"], device=device, dtype=dtype),
    )
    return model, codec, speaker
