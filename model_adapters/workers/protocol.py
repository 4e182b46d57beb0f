"""Adapters whose model needs a conflicting environment run it in a worker process (docs/decisions.md §11).

The harness never imports such a model: it starts `<env python> -m <worker module>` and exchanges one
JSON object per line over stdin/stdout. Requests carry paths, texts and seeds; the worker writes each
result as a float WAV in a folder the harness owns and answers with its path. A worker that dies
fails the items in flight (per-item rows), and the next batch starts a fresh one.

Protocol: first line from the harness {"op": "init", "params": {...}} → {"ok": true, "info": {...}}
(info: model ids, package versions — recorded in the adapter fingerprint); then {"op":
"synthesize", "requests": [...]} → {"results": [{"item_id", "seed", "wav", "error", "extra"}]};
{"op": "close"} ends it. Anything the worker prints for humans goes to stderr.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np


class WorkerError(RuntimeError):
    pass


class WorkerClient:
    def __init__(self, python: str, module: str, params: dict[str, Any], cwd: str | None = None, timeout_s: float = 3600) -> None:
        self.python, self.module, self.params, self.cwd, self.timeout_s = python, module, params, cwd, timeout_s
        self.proc: subprocess.Popen | None = None
        self.info: dict[str, Any] = {}
        self.outdir = Path(tempfile.mkdtemp(prefix="ztts-worker-"))

    def _send(self, message: dict[str, Any]) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps(message) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            code = self.proc.wait(timeout=10)
            self.proc = None
            raise WorkerError(f"worker {self.module} exited (code {code}) without answering")
        return json.loads(line)

    def start(self) -> dict[str, Any]:
        if self.proc is not None:
            return self.info
        self.proc = subprocess.Popen(
            [self.python, "-m", self.module], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=self.cwd, bufsize=1
        )
        answer = self._send({"op": "init", "params": self.params})
        if not answer.get("ok"):
            self.close()
            raise WorkerError(f"worker {self.module} failed to start: {answer.get('error', 'no error given')}")
        self.info = answer.get("info", {})
        return self.info

    def synthesize(self, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
        self.start()
        try:
            return self._send({"op": "synthesize", "requests": requests, "outdir": str(self.outdir)})["results"]
        except (WorkerError, json.JSONDecodeError, KeyError, OSError) as exc:
            self.close()  # the next batch starts a fresh worker
            return [{"item_id": r["item_id"], "seed": r["seed"], "wav": None, "error": f"worker failed: {exc}"} for r in requests]

    def call(self, op: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Any other operation (e.g. a judge's "transcribe"): one answer per item, in order; if the
        worker dies, every item gets an error and the next call starts a fresh worker."""
        self.start()
        try:
            results = self._send({"op": op, "items": items})["results"]
            if len(results) != len(items):
                raise WorkerError(f"{len(results)} answers for {len(items)} items")
            return results
        except (WorkerError, json.JSONDecodeError, KeyError, OSError) as exc:
            self.close()
            return [{"error": f"worker failed: {exc}"} for _ in items]

    def shutdown(self) -> None:
        """Stop the worker for good and remove the folder results were handed over in."""
        import shutil

        self.close()
        shutil.rmtree(self.outdir, ignore_errors=True)

    def close(self) -> None:
        if self.proc is not None:
            try:
                if self.proc.poll() is None and self.proc.stdin:
                    self.proc.stdin.write(json.dumps({"op": "close"}) + "\n")
                    self.proc.stdin.flush()
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired, ValueError):
                self.proc.kill()
            self.proc = None


def serve(
    init: Callable[[dict[str, Any]], tuple[Any, dict[str, Any]]],
    synthesize_one: Callable[[Any, dict[str, Any]], tuple[np.ndarray, int, dict[str, Any]]] | None,
    handlers: dict[str, Callable[[Any, dict[str, Any]], dict[str, Any]]] | None = None,
) -> None:
    """The worker's main loop: `init(params) -> (state, info)`; `synthesize_one(state, request)`;
    any other op named in `handlers` maps each item to an answer dict (per-item errors caught)."""
    import soundfile as sf

    out = sys.stdout
    sys.stdout = sys.stderr  # library chatter must never corrupt the protocol stream
    state = None
    written = 0
    for line in sys.stdin:
        message = json.loads(line)
        if message["op"] == "close":
            break
        if message["op"] == "init":
            try:
                state, info = init(message["params"])
                reply: dict[str, Any] = {"ok": True, "info": info}
            except Exception as exc:  # reported to the harness as one line
                reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        elif message["op"] in (handlers or {}):
            answers = []
            for item in message["items"]:
                try:
                    answers.append({"error": None, **handlers[message["op"]](state, item)})
                except Exception as exc:  # per-item failure
                    traceback.print_exc(file=sys.stderr)
                    answers.append({"error": f"{type(exc).__name__}: {exc}"})
            reply = {"results": answers}
        else:
            results = []
            for req in message["requests"]:
                try:
                    wav, sr, extra = synthesize_one(state, req)
                    written += 1
                    path = Path(message["outdir"]) / f"{written:08d}.wav"
                    sf.write(path, np.asarray(wav, dtype=np.float32), sr, subtype="FLOAT")
                    results.append(
                        {"item_id": req["item_id"], "seed": req["seed"], "wav": str(path), "error": None, "extra": extra}
                    )
                except Exception as exc:  # per-item failure
                    traceback.print_exc(file=sys.stderr)
                    results.append(
                        {"item_id": req["item_id"], "seed": req["seed"], "wav": None, "error": f"{type(exc).__name__}: {exc}"}
                    )
            reply = {"results": results}
        out.write(json.dumps(reply) + "\n")
        out.flush()
