"""Rebuild the demo suite from the shared real-speech clips (+ espeak-ng prompts for de/fr/zh).

    python ztts_eval/data/demo/build_demo.py --speech-dir ../shared/data/speech

Deterministic: the same clips and espeak-ng version give byte-identical audio and manifest.
Real clips are stored as 16-bit FLAC at their original rate (lossless for the WAV/FLAC sources;
the Common Voice MP3 is decoded once). See ATTRIBUTION.md for sources and licenses.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from ztts_eval.audio import read_audio  # noqa: E402
from ztts_eval.hashing import sha256_file  # noqa: E402
from ztts_eval.pipeline.manifest import Item, write_manifest  # noqa: E402

LIBRI_0 = (
    "If the reader will excuse me, I will say nothing of my antecedents, nor of the circumstances which led me "
    "to leave my native country; the narrative would be tedious to him, and painful to myself."
)
LIBRI_1 = (
    "It will be seen that I did not succeed in my design, and that however much I may have met with that was "
    "new and strange, I have been unable to reap any pecuniary advantage."
)

# name -> (source file, speaker, license, source description)
CLIPS = {
    "libri2412_0000": (
        "librispeech-2412-153948-0000.flac",
        "librispeech-2412",
        "CC-BY-4.0",
        "LibriSpeech dev-clean 2412-153948-0000",
    ),
    "libri2412_0001": (
        "librispeech-2412-153948-0001.flac",
        "librispeech-2412",
        "CC-BY-4.0",
        "LibriSpeech dev-clean 2412-153948-0001",
    ),
    "libri1088_0000": ("librispeech-1088-134315-0000.wav", "librispeech-1088", "CC-BY-4.0", "LibriSpeech 1088-134315-0000"),
    "lj002_0020": ("ljspeech-LJ002-0020.wav", "ljspeech-LJ", "public-domain", "LJ Speech LJ002-0020"),
    "lj002_0035": ("ljspeech-LJ002-0035.wav", "ljspeech-LJ", "public-domain", "LJ Speech LJ002-0035"),
    "cv_651325": ("commonvoice-en-651325.mp3", None, "CC0-1.0", "Common Voice en 651325"),
}
PROMPT_TEXT = {
    "libri2412_0000": LIBRI_0,
    "libri2412_0001": LIBRI_1,
    "lj002_0020": "In eighteen thirteen.",
    "lj002_0035": "Eight, the press yard.",
}

# id suffix, prompt clip, target text, reference clip (a real recording of the text by the same speaker)
ENGLISH = [
    ("en-01", "libri2412_0000", LIBRI_1, "libri2412_0001"),
    ("en-02", "libri2412_0001", LIBRI_0, "libri2412_0000"),
    ("en-03", "lj002_0020", "Eight, the press yard.", "lj002_0035"),
    ("en-04", "lj002_0035", "In eighteen thirteen.", "lj002_0020"),
    ("en-05", "libri1088_0000", "The birch canoe slid on the smooth planks.", None),
    ("en-06", "cv_651325", "Glue the sheet to the dark blue background.", None),
    ("en-07", "libri2412_0000", "It's easy to tell the depth of a well.", None),
    ("en-08", "lj002_0020", "These days a chicken leg is a rare dish.", None),
]

# Synthetic prompts (no public-domain human clip at hand): espeak-ng voice variant, prompt text, target text.
SYNTHETIC = [
    ("de-01", "de", "de+m3", "Guten Morgen, wie geht es Ihnen heute?", "Der Zug fährt um acht Uhr vom Hauptbahnhof ab."),
    ("de-02", "de", "de+f2", "Ich habe das Buch gestern Abend gelesen.", "Heute ist das Wetter schön und warm."),
    ("fr-01", "fr", "fr-fr+m3", "Bonjour, je suis très content de vous voir.", "Le chat dort sur le canapé depuis ce matin."),
    ("fr-02", "fr", "fr-fr+f2", "Il fait beau aujourd'hui dans la ville.", "Nous irons au marché demain matin."),
    ("zh-01", "zh", "cmn+m3", "你好，很高兴认识你。", "今天天气很好，我们去公园散步吧。"),
    ("zh-02", "zh", "cmn+f2", "我每天早上七点起床。", "请把窗户打开。"),
]


def convert_clip(src: Path, dst: Path) -> None:
    import soundfile as sf

    audio = read_audio(src)
    dst.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(dst), audio.samples, audio.sample_rate, format="FLAC", subtype="PCM_16")


def synthesize_prompt(voice: str, text: str, dst: Path) -> None:
    import soundfile as sf

    with tempfile.TemporaryDirectory() as tmp:
        txt, wav = Path(tmp) / "t.txt", Path(tmp) / "p.wav"
        txt.write_text(text, encoding="utf-8")
        subprocess.run(["espeak-ng", "-v", voice, "-f", str(txt), "-w", str(wav)], check=True, capture_output=True)
        audio = read_audio(wav)
    sf.write(str(dst), audio.samples, audio.sample_rate, format="FLAC", subtype="PCM_16")


def build(speech_dir: Path, out_dir: Path) -> Path:
    audio_dir = out_dir / "audio"
    for name, (src, *_rest) in CLIPS.items():
        convert_clip(speech_dir / src, audio_dir / f"{name}.flac")
    items = []
    for suffix, prompt, text, ref in ENGLISH:
        _, speaker, lic, source = CLIPS[prompt]
        rel = f"audio/{prompt}.flac"
        items.append(
            Item(
                id=f"demo-{suffix}",
                suite="demo",
                subset="demo",
                language="en",
                text=text,
                prompt_audio=rel,
                prompt_sha256=sha256_file(out_dir / rel),
                prompt_text=PROMPT_TEXT.get(prompt),
                speaker_id=speaker if ref else None,
                reference_audio=f"audio/{ref}.flac" if ref else None,
                reference_sha256=sha256_file(audio_dir / f"{ref}.flac") if ref else None,
                source=source + (f"; reference {CLIPS[ref][3]}" if ref else ""),
                license=lic,
                extra={"prompt_speaker": speaker} if speaker and not ref else {},
            )
        )
    for suffix, lang, voice, prompt_text, text in SYNTHETIC:
        rel = f"audio/espeak_{suffix}.flac"
        synthesize_prompt(voice, prompt_text, out_dir / rel)
        items.append(
            Item(
                id=f"demo-{suffix}",
                suite="demo",
                subset="demo",
                language=lang,
                text=text,
                prompt_audio=rel,
                prompt_sha256=sha256_file(out_dir / rel),
                prompt_text=prompt_text,
                source=f"synthetic prompt: espeak-ng voice {voice}",
                license="CC0-1.0",
            )
        )
    return write_manifest(out_dir / "manifest.jsonl", items, manifest_version="demo-1")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--speech-dir", type=Path, required=True, help="folder with the shared real-speech clips")
    ap.add_argument("--out", type=Path, default=HERE)
    args = ap.parse_args()
    print(build(args.speech_dir, args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
