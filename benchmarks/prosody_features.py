"""Items per second of each TTSDS2 / DS-WED feature extractor on this machine.

    python benchmarks/prosody_features.py [--repeat 4] [--workers N] [--hubert DIR --mpm DIR --allosaurus DIR]

Pitch (pyworld) and VAD (silero, bundled) are the real thing. HuBERT, MPM and Allosaurus use the
model folders given, or else tiny random stand-ins of the same classes built on the fly — their
throughput then measures the harness and front ends, not the real networks (say so when quoting).
The clips are the demo suite's real recordings, repeated `--repeat` times.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:8.1f} items/s  ({seconds:6.2f} s for {n})"


def _pitch(path: str) -> float:
    from ztts_eval.metrics.ttsds.audio import load_ttsds
    from ztts_eval.metrics.ttsds.pitch import ttsds_mean_f0

    return ttsds_mean_f0(load_ttsds(Path(path)))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=4)
    ap.add_argument("--workers", type=int, default=None, help="processes for the pitch feature (default: all cores)")
    ap.add_argument("--hubert"), ap.add_argument("--mpm"), ap.add_argument("--allosaurus")
    args = ap.parse_args()

    import torch

    from ztts_eval.audio import resample
    from ztts_eval.metrics.common.cpu_pool import cpu_map, default_workers
    from ztts_eval.metrics.common.ssl_frames import SSLFrames
    from ztts_eval.metrics.dswed.vad_trim import trim
    from ztts_eval.metrics.ttsds.allosaurus_rate import PhoneRate, locate_model
    from ztts_eval.metrics.ttsds.audio import TTSDS_SR, load_ttsds
    from ztts_eval.metrics.ttsds.mpm import load_mpm, mpm_ids

    clips = sorted((ROOT / "ztts_eval" / "data" / "demo" / "audio").glob("*.flac")) * args.repeat
    audio = [load_ttsds(p) for p in clips]
    seconds = sum(len(x) for x in audio) / TTSDS_SR
    print(f"{len(clips)} clips, {seconds:.0f} s of audio, {default_workers()} cores\n")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        stand_in = []
        if not args.hubert or not args.mpm or not args.allosaurus:
            from tests.fakes.standins import make_tiny_allosaurus, make_tiny_hubert, make_tiny_mpm

            args.hubert = args.hubert or str(make_tiny_hubert(tmp / "hubert"))
            stand_in.append("hubert")
            args.mpm = args.mpm or str(make_tiny_mpm(tmp / "mpm"))
            stand_in.append("mpm")
            args.allosaurus = args.allosaurus or str(make_tiny_allosaurus(tmp / "allo"))
            stand_in.append("allosaurus")
        t = time.perf_counter()
        cpu_map(_pitch, [str(p) for p in clips], workers=1)
        seq = time.perf_counter() - t
        t = time.perf_counter()
        cpu_map(_pitch, [str(p) for p in clips], workers=args.workers)
        par = time.perf_counter() - t
        print(f"pitch (pyworld), 1 process      {rate(len(clips), seq)}")
        print(f"pitch (pyworld), process pool   {rate(len(clips), par)}   speed-up {seq / par:.2f}x")
        x16 = [resample(x, TTSDS_SR, 16000) for x in audio]
        t = time.perf_counter()
        [trim(x) for x in x16]
        print(f"VAD trim (silero)               {rate(len(x16), time.perf_counter() - t)}")
        ssl = SSLFrames(args.hubert)
        t = time.perf_counter()
        [ssl.layers(x, (7,), normalize=True) for x in x16]
        print(f"HuBERT layer 7{' (stand-in)' if 'hubert' in stand_in else ''}          {rate(len(x16), time.perf_counter() - t)}")
        model = load_mpm(Path(args.mpm))[0]
        t = time.perf_counter()
        with torch.no_grad():
            for x in audio:
                model.representation(torch.from_numpy(mpm_ids(x))[None])
        print(f"MPM layer 7{' (stand-in)' if 'mpm' in stand_in else ''}             {rate(len(audio), time.perf_counter() - t)}")
        phones = PhoneRate(locate_model(args.allosaurus))
        t = time.perf_counter()
        [phones.phones(x, TTSDS_SR) for x in audio]
        print(
            f"Allosaurus{' (stand-in)' if 'allosaurus' in stand_in else ''}              {rate(len(audio), time.perf_counter() - t)}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
