"""The four vendor adapters as the tests drive them: their env variables, default rates, how they
clone, and a standard request. Shared by the wire-shape tests and the wire-fault tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from model_adapters.base import SynthesisRequest
from model_adapters.vendors.cartesia import CartesiaAdapter
from model_adapters.vendors.elevenlabs import ElevenLabsAdapter
from model_adapters.vendors.fish_audio import FishAudioAdapter
from model_adapters.vendors.openai_speech import OpenAISpeechAdapter
from tests.fakes.cli import DEMO

PROMPT_A = DEMO / "audio" / "libri2412_0000.flac"
PROMPT_B = DEMO / "audio" / "lj002_0020.flac"


@dataclass(frozen=True)
class Spec:
    cls: type
    env: str
    base_env: str
    rate: int  # the sample rate the adapter asks for by default
    uploads: bool  # clones by uploading the prompt once (else inline or not at all)


SPECS = {
    "elevenlabs": Spec(ElevenLabsAdapter, "ELEVENLABS_API_KEY", "ELEVENLABS_BASE_URL", 24000, True),
    "cartesia": Spec(CartesiaAdapter, "CARTESIA_API_KEY", "CARTESIA_BASE_URL", 44100, True),
    "fish": Spec(FishAudioAdapter, "FISH_AUDIO_API_KEY", "FISH_AUDIO_BASE_URL", 44100, False),
    "openai": Spec(OpenAISpeechAdapter, "OPENAI_API_KEY", "OPENAI_BASE_URL", 24000, False),
}


def req(
    item: str = "it-1",
    text: str = "The birch canoe slid on the smooth planks.",
    prompt: Path | None = PROMPT_A,
    seed: int = 0,
    prompt_text: str | None = "A transcript of the prompt.",
) -> SynthesisRequest:
    return SynthesisRequest(item_id=item, text=text, language="en", prompt_audio=prompt, prompt_text=prompt_text, seed=seed)
