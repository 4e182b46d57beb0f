"""Warm re-run of a large suite: the time a finished run takes to run again (everything cached).

    python benchmarks/warm_rerun.py [--items 5000] [--keep DIR] [--profile-out FILE]

Builds an N-item suite in a temporary folder (every item with its own 0.5 s prompt file, every
other item with a reference recording, as a real suite has), runs the `test-tone` adapter with the
`f0_pyworld` metric once cold, then twice warm, and prints each warm run's wall and CPU time and
the file-check counters (target: ≤ 1 s wall on 2 cores for 5,000 items; the README promises "well
under a second"). `--profile-out` writes a cProfile of the last warm run.
"""

from __future__ import annotations

import argparse
import cProfile
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def build_suite(folder: Path, n: int) -> Path:
    import numpy as np

    from ztts_eval.audio import write_flac_atomic
    from ztts_eval.hashing import sha256_file
    from ztts_eval.pipeline.manifest import Item, write_manifest

    audio = folder / "audio"
    items = []
    t = np.arange(8000) / 16000
    for i in range(n):
        prompt = audio / f"p{i:05d}.flac"
        write_flac_atomic(prompt, 0.2 * np.sin(2 * np.pi * (100 + i % 200) * t), 16000)
        ref = None
        if i % 2 == 0:
            ref = audio / f"r{i:05d}.flac"
            write_flac_atomic(ref, 0.2 * np.sin(2 * np.pi * (120 + i % 150) * t), 16000)
        items.append(
            Item(
                id=f"bench-{i:05d}",
                suite="bench",
                subset="en",
                language="en",
                text=f"item number {i} of the benchmark",
                prompt_audio=str(prompt.relative_to(folder)),
                prompt_sha256=sha256_file(prompt),
                reference_audio=str(ref.relative_to(folder)) if ref else None,
                reference_sha256=sha256_file(ref) if ref else None,
            )
        )
    return write_manifest(folder / "manifest.jsonl", items)


def timed(cfg) -> tuple[float, float]:
    from ztts_eval.pipeline.runner import run_evaluation

    w0, c0 = time.perf_counter(), time.process_time()
    run_evaluation(cfg)
    return time.perf_counter() - w0, time.process_time() - c0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=5000)
    ap.add_argument("--keep", type=Path, help="build/reuse the suite and results here instead of a temp folder")
    ap.add_argument("--profile-out", type=Path)
    args = ap.parse_args()

    from ztts_eval.pipeline.runner import RunConfig

    with tempfile.TemporaryDirectory(prefix="ztts-warm-") as tmp:
        base = args.keep or Path(tmp)
        manifest = base / "suite" / "manifest.jsonl"
        if not manifest.exists():
            t0 = time.perf_counter()
            build_suite(base / "suite", args.items)
            print(f"built {args.items}-item suite in {time.perf_counter() - t0:.1f}s")
        cfg = RunConfig(
            model="test-tone",
            suite=str(manifest),
            params={"seconds_per_char": 0.01},
            results_dir=base / "results",
            metrics=["f0_pyworld"],
        )
        wall, cpu = timed(cfg)
        print(f"first run: wall {wall:.2f}s, cpu {cpu:.2f}s (cold unless --keep held a finished run)")
        for i in (1, 2):
            if i == 2 and args.profile_out:
                prof = cProfile.Profile()
                prof.enable()
            wall, cpu = timed(cfg)
            print(f"warm run {i}: wall {wall:.3f}s, cpu {cpu:.3f}s  (target ≤ 1 s wall)")
        if args.profile_out:
            prof.disable()
            prof.dump_stats(str(args.profile_out))
            print(f"profile: {args.profile_out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
