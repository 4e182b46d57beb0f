"""`ztts-eval manifests build|import`: the ZTTS1 suite builders and the Seed-TTS/CV3 importers.

Built suites go to a folder the user chooses (never into git); the recipes live in manifests/.
The in-the-wild builder bins prompts by a quality predictor: any registered MOS metric, named
with --quality and configured with --metric-param like a run (the name is recorded per item).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

RECIPES = {"ztts1-clean": "ztts1-clean.json", "ztts1-itw": "ztts1-itw.json"}


def add_parser(sub: argparse._SubParsersAction, metric_param: Callable[[str], tuple[str, str, str]]) -> None:
    m = sub.add_parser("manifests", help="build the ZTTS1 suites from public datasets, or import Seed-TTS/CV3 sets")
    msub = m.add_subparsers(dest="manifests_command", required=True)
    b = msub.add_parser("build", help="build ztts1-clean (FLEURS-R) or ztts1-itw (VoxBlink2)")
    b.add_argument("suite", choices=sorted(RECIPES), help="which ZTTS1 suite to build")
    b.add_argument("--out", type=Path, required=True, help="output folder (manifest, audio, lock, report)")
    b.add_argument("--recipe", type=Path, help="recipe JSON (default: manifests/<suite>.json)")
    b.add_argument("--source", help="ztts1-clean: local FLEURS-R folder, or hf://google/fleurs-r@<commit>")
    b.add_argument("--metadata", type=Path, help="ztts1-itw: the release's meta/ folder (<spk>/<video>/<utt>.txt)")
    b.add_argument("--audio", type=Path, help="ztts1-itw: cropper_audio.py's output folder (<spk>/<video>/<utt>.wav)")
    b.add_argument("--transcripts", type=Path, help="ztts1-itw: TSV with header utt, language, text")
    b.add_argument("--quality", default="utmos22", help="ztts1-itw: MOS metric that bins prompts (default utmos22)")
    b.add_argument("--metric-param", type=metric_param, action="append", default=[], help="METRIC.KEY=VALUE for --quality")
    i = msub.add_parser("import", help="import a Seed-TTS-Eval (meta.lst) or CV3-Eval (Kaldi-style) test set")
    i.add_argument("layout", choices=("seedtts", "cv3"), help="the release's layout: seedtts (meta.lst) or cv3 (wav.scp/text)")
    i.add_argument("source", type=Path, help="folder of the downloaded release")
    i.add_argument("--out", type=Path, required=True, help="output folder (manifest, audio, lock, report)")
    i.add_argument("--suite", help="suite name written into the manifest (default seedtts-eval / cv3-eval)")


def quality_scorer(name: str, params: dict[str, str]) -> tuple[Callable[[Path], float], str]:
    """A `score(path) -> MOS` callable from a registered sample metric, set up once."""
    from ztts_eval import registry
    from ztts_eval.hashing import sha256_file
    from ztts_eval.metrics.base import ScoreInput

    metric = registry.metric_class(name)(**params)
    metric.preflight()
    metric.setup()
    column = metric.info.primary.name

    def score(path: Path) -> float:
        inp = ScoreInput(str(path), str(path), 0, "", "", "", Path(path), sha256_file(path), None, None)
        row = metric.score_batch([inp])[0]
        if row.get("status") != "ok":
            raise ValueError(f"{name} could not score {path}: {row.get('error', row.get('reason'))}")
        return float(row[column])

    return score, f"{metric.info.scorer} ({name})"


def run(args: argparse.Namespace) -> int:
    from ztts_eval import suites as builders
    from ztts_eval.metrics.base import MetricSetupError
    from ztts_eval.registry import RegistryError, manifests_dir

    try:
        if args.manifests_command == "import":
            fn = builders.import_seedtts if args.layout == "seedtts" else builders.import_cv3
            kwargs: dict[str, Any] = {"suite": args.suite} if args.suite else {}
            result = fn(args.source, args.out, **kwargs)
        else:
            recipe = builders.load_recipe(args.recipe or manifests_dir() / RECIPES[args.suite])
            if args.suite == "ztts1-clean":
                if not args.source:
                    raise builders.BuildError("ztts1-clean needs --source (a FLEURS-R folder or hf://google/fleurs-r@<commit>)")
                result = builders.build_ztts1_clean(args.source, args.out, recipe)
            else:
                if not (args.metadata and args.audio and args.transcripts):
                    raise builders.BuildError(
                        "ztts1-itw needs --metadata META_DIR, --audio CROPPED_DIR and --transcripts TSV (see manifests/README.md)"
                    )
                params: dict[str, str] = {}
                for metric, key, value in args.metric_param:
                    if metric != args.quality:
                        raise builders.BuildError(
                            f"--metric-param {metric}.{key}: only --quality {args.quality} takes params here"
                        )
                    params[key] = value
                score, score_name = quality_scorer(args.quality, params)
                result = builders.build_ztts1_itw(
                    args.metadata, args.audio, args.transcripts, args.out, recipe, score, score_name=score_name
                )
    except (builders.BuildError, MetricSetupError, RegistryError, ValueError, OSError) as exc:
        print(f"ztts-eval: error: {exc}", file=sys.stderr)
        return 2
    counts = ", ".join(f"{k} {v}" for k, v in result.counts.items())
    print(f"manifest: {result.manifest}\nlock: {result.lock}\nreport: {result.report}\nitems: {counts}", file=sys.stderr)
    if result.dropped:
        print(f"dropped: {len(result.dropped)} (reasons in {result.report})", file=sys.stderr)
    return 0
