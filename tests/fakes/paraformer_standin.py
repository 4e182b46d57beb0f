"""Stand-in for the Paraformer-zh worker: same protocol and op, no FunASR.

The "model directory" holds `transcripts.json` ({audio file name: text}); a name missing from it
is a per-item failure, as a FunASR exception would be. Used to test the harness side of the
worker (routing, zhconv, caching, per-item errors) where the FunASR environment does not exist.
"""

from __future__ import annotations

import json
from pathlib import Path

from model_adapters.workers.protocol import serve


def init(params):
    table = json.loads((Path(params["model_dir"]) / "transcripts.json").read_text(encoding="utf-8"))
    return table, {"funasr": "stand-in", "device": params.get("device")}


def transcribe_one(table, item):
    return {"text": table[Path(item["path"]).name]}


if __name__ == "__main__":
    serve(init, None, {"transcribe": transcribe_one})
