"""`ztts-eval listen`: build a blind listening test, serve it on 127.0.0.1, or tally its votes.

ztts-eval listen --suite demo [--systems a,b] [--trials 40] [--questions similarity,naturalness]
ztts-eval listen --suite demo --serve [--port 8765]   serves the test (built first if missing)
ztts-eval listen --suite demo --tally VOTES…          votes.jsonl and/or exported votes-*.json
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("listen", help="blind A/B listening test from runs on one suite: build, --serve, --tally")
    p.add_argument("--suite", default="demo", help="suite whose runs are compared (default demo)")
    p.add_argument("--profile", default="lite", help="profile of the runs (default lite)")
    p.add_argument("--results", type=Path, default=Path("results"), help="results folder (default ./results)")
    p.add_argument("--out", type=Path, help="test folder (default <results>/<suite>/listen-<profile>)")
    p.add_argument("--systems", help="comma-separated systems to compare (default: every run of the suite)")
    p.add_argument("--trials", type=int, default=40, help="number of trials (default 40)")
    p.add_argument("--questions", default="", help="extra questions: similarity, naturalness (comma-separated)")
    p.add_argument("--seed", type=int, default=0, help="seed for sampling trials and A/B order (default 0)")
    p.add_argument("--manifest", type=Path, help="the suite's manifest, when run.json's path no longer resolves")
    p.add_argument("--serve", action="store_true", help="serve the test on a loopback address; votes go to votes.jsonl")
    p.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="--serve: port on 127.0.0.1 (default 8765)")
    p.add_argument("--tally", type=Path, nargs="+", metavar="VOTES", help="tally votes (.jsonl from --serve, .json exports)")


def run(args: argparse.Namespace) -> int:
    from ztts_eval.listen import ListenError
    from ztts_eval.pipeline.results import ResultsError, listen_dir

    folder = args.out or listen_dir(args.results, args.suite, args.profile)
    try:
        if args.tally:
            from ztts_eval.listen.tally import summary_lines, write_tally

            path, result = write_tally(folder, args.tally, seed=args.seed)
            print("\n".join(summary_lines(result)))
            print(f"tally: {path} (shown by `ztts-eval report --html`)", file=sys.stderr)
            return 0
        if args.serve:
            from ztts_eval.listen.server import check_loopback

            check_loopback(args.host)  # before any work
        if not (args.serve and (folder / "key.json").exists()):
            from ztts_eval.listen.page import write_listening_test

            questions = ("overall", *[q.strip() for q in args.questions.split(",") if q.strip()])
            systems = [s.strip() for s in args.systems.split(",") if s.strip()] if args.systems else None
            folder, key = write_listening_test(
                args.results, args.suite, args.profile, systems, args.trials, questions, args.seed, folder, args.manifest
            )
            print(f"listening test {key['test_id']}: {len(key['trials'])} trials of {', '.join(key['systems'])}", file=sys.stderr)
            print(f"page: {folder / 'page' / 'index.html'} (open from disk; votes are exported as JSON)", file=sys.stderr)
        if args.serve:
            from ztts_eval.listen.server import make_server

            server = make_server(folder, args.host, args.port)
            print(f"serving the test in {folder} (to change it, rebuild with `ztts-eval listen` first)", file=sys.stderr)
            host, port = server.server_address[:2]
            print(f"serving http://{host}:{port}/ ; votes append to {folder / 'votes.jsonl'} (Ctrl-C stops)", file=sys.stderr)
            try:
                server.serve_forever()
            except KeyboardInterrupt:
                pass
            finally:
                server.server_close()
    except (ListenError, ResultsError, FileNotFoundError, OSError) as exc:
        print(f"ztts-eval: error: {exc}", file=sys.stderr)
        return 2
    return 0
