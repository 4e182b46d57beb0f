"""A corpus of malformed user inputs: manifests, sidecars, audio, baselines, tolerances and results files.

Each case builds its input in a fresh folder and names the command a user would run on it, the exit
code that command must give (1: problems found, 2: usage or unreadable input, 0: accepted with a
flag) and a fragment the message must contain (the file, the line or the field at fault). The good
inputs they start from are real: two items of the bundled demo suite with their LibriSpeech audio,
and a results folder written by the real `summarize`.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from tests.fakes.cli import DEMO_MANIFEST
from tests.fakes.synthetic_results import make_rows, write_run


class Workspace:
    """suite/manifest.jsonl (+ sidecar, audio), work/results with one finished run, and user files."""

    def __init__(self, root: Path) -> None:
        self.root, self.suite = root, root / "suite"
        self.results = root / "work" / "results"
        (self.suite / "audio").mkdir(parents=True)
        self.items = [json.loads(line) for line in DEMO_MANIFEST.read_text(encoding="utf-8").split("\n")[:2]]
        for item in self.items:
            for field in ("prompt_audio", "reference_audio"):
                shutil.copy(DEMO_MANIFEST.parent / item[field], self.suite / item[field])
        self.manifest = self.suite / "manifest.jsonl"
        self.write([json.dumps(it) for it in self.items])
        self.run = write_run(self.results, "s", "sys", make_rows("sys", {"en": (4.0, 65.0, 3.6)}, n=6))

    def write(self, lines: list[str], sidecar: Any = "auto") -> list[str]:
        data = ("\n".join(lines) + "\n").encode("utf-8") if isinstance(lines, list) else lines
        self.manifest.write_bytes(data)
        if sidecar == "auto":
            sidecar = {
                "format_version": 1,
                "manifest_version": "1",
                "rows": len(lines),
                "sha256": hashlib.sha256(data).hexdigest(),
            }
        side = self.suite / "manifest.jsonl.meta.json"
        if sidecar is None:
            side.unlink(missing_ok=True)
        else:
            side.write_text(json.dumps(sidecar))
        return ["validate", str(self.manifest)]

    def item(self, **change: Any) -> list[str]:
        """Line 1 with fields changed (a value of ... removes the field); line 2 untouched."""
        first = {**self.items[0], **change}
        first = {k: v for k, v in first.items() if v is not ...}
        return self.write([json.dumps(first), json.dumps(self.items[1])])

    def audio(self, name: str, x: np.ndarray, subtype: str = "PCM_16", role: str = "prompt", sr: int = 16000) -> list[str]:
        path = self.suite / "audio" / name
        sf.write(path, x, sr, subtype=subtype)
        return self.item(**{f"{role}_audio": f"audio/{name}", f"{role}_sha256": hashlib.sha256(path.read_bytes()).hexdigest()})

    def raw_audio(self, name: str, data: bytes) -> list[str]:
        (self.suite / "audio" / name).write_bytes(data)
        return self.item(prompt_audio=f"audio/{name}", prompt_sha256=hashlib.sha256(data).hexdigest())

    def file(self, name: str, content: Any) -> Path:
        path = self.root / name
        path.write_bytes(content if isinstance(content, bytes) else json.dumps(content).encode())
        return path

    def gate(self, baseline: Path | None = None, tolerances: Path | None = None, candidate: Path | None = None) -> list[str]:
        argv = ["gate", "--candidate", str(candidate or self.run), "--baseline", str(baseline or self.run), "--mode", "paired"]
        return argv + (["--tolerances", str(tolerances)] if tolerances else [])

    def summary(self) -> dict[str, Any]:
        return json.loads((self.run / "summary.json").read_text())

    def bad_summary(self, edit: Callable[[dict[str, Any]], None]) -> Path:
        doc = self.summary()
        edit(doc)
        return self.file("summary.json", doc)

    def bundle(self, **change: Any) -> Path:
        doc = {"kind": "ztts-eval-baseline", "source": "x", "summary": self.summary(), "samples": None, **change}
        return self.file("baseline.json", doc)


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[Workspace], list[str]]  # returns the CLI arguments
    code: int  # 1 problems found, 2 usage/unreadable input, 0 accepted with a flag
    expect: str  # must appear in the output


def _sr(x: float = 0.3, n: int = 16000) -> np.ndarray:
    return (x * np.sin(np.arange(n) / 5.0)).astype(np.float32)


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def _group(doc: dict, **change: Any) -> None:
    doc["groups"][0].update(change)


M = [  # manifests: validate lists each problem with its line
    Case("language-list", lambda w: w.item(language=["en"]), 1, "language: must be a string"),
    Case("subset-list", lambda w: w.item(subset=["a"]), 1, "subset: must be a string"),
    Case("suite-int", lambda w: w.item(suite=5), 1, "suite: must be a string"),
    Case("suite-dotdot", lambda w: w.item(suite="../../x"), 1, "not usable as a folder name"),
    Case("suite-slash", lambda w: w.item(suite="a/b"), 1, "not usable as a folder name"),
    Case("suite-backslash", lambda w: w.item(suite="a\\b"), 1, "not usable as a folder name"),
    Case("suite-dotcache", lambda w: w.item(suite=".cache"), 1, "not usable as a folder name"),
    Case("suite-empty", lambda w: w.item(suite=""), 1, "must be a non-empty string"),
    Case("suite-newline", lambda w: w.item(suite="a\nb"), 1, "not usable as a folder name"),
    Case("suite-too-long", lambda w: w.item(suite="s" * 200), 1, "not usable as a folder name"),
    Case("id-int", lambda w: w.item(id=7), 1, "id: must be a string"),
    Case("id-empty", lambda w: w.item(id=" "), 1, "id: must be a non-empty string"),
    Case("text-int", lambda w: w.item(text=3), 1, "text: must be a string"),
    Case("text-blank", lambda w: w.item(text="   "), 1, "text: empty text"),
    Case("text-missing", lambda w: w.item(text=...), 1, "missing field(s): text"),
    Case("unknown-field", lambda w: w.item(speeker="x"), 1, "unknown field(s): speeker"),
    Case("prompt-absolute", lambda w: w.item(prompt_audio="/etc/passwd"), 1, "absolute path"),
    Case("prompt-escapes", lambda w: w.item(prompt_audio="../outside.flac"), 1, "escapes the manifest's folder"),
    Case("prompt-missing-file", lambda w: w.item(prompt_audio="audio/nope.flac"), 1, "file not found"),
    Case("prompt-is-folder", lambda w: w.item(prompt_audio="audio"), 1, "file not found"),
    Case("prompt-sha-mismatch", lambda w: w.item(prompt_sha256="0" * 64), 1, "sha256 mismatch"),
    Case("prompt-sha-int", lambda w: w.item(prompt_sha256=5), 1, "prompt_sha256: must be a string"),
    Case("prompt-text-int", lambda w: w.item(prompt_text=1), 1, "prompt_text: must be a string"),
    Case("speaker-list", lambda w: w.item(speaker_id=["a"]), 1, "speaker_id: must be a string"),
    Case("license-number", lambda w: w.item(license=4.0), 1, "license: must be a string"),
    Case("utmos-bin-string", lambda w: w.item(utmos_bin="3"), 1, "utmos_bin: must be an integer"),
    Case("utmos-bin-bool", lambda w: w.item(utmos_bin=True), 1, "utmos_bin: must be an integer"),
    Case("extra-list", lambda w: w.item(extra=[1]), 1, "extra: must be an object"),
    Case("extra-deep", lambda w: w.item(extra={"a": json.loads(_nested(20))}), 1, "levels"),
    Case("extra-huge", lambda w: w.item(extra={"blob": "x" * 20000}), 1, "the limit is"),
    Case("nested-100k", lambda w: w.write([f'{{"id": "x", "extra": {{"a": {_nested(100_000)}}}}}']), 1, "nested too deeply"),
    Case("line-not-object", lambda w: w.write(["[1, 2]", json.dumps(w.items[1])]), 1, "not a JSON object"),
    Case("line-unparsable", lambda w: w.write(['{"id": ', json.dumps(w.items[1])]), 1, "unparsable JSON"),
    Case("duplicate-id", lambda w: w.write([json.dumps(w.items[0])] * 2), 1, "duplicate id"),
    Case("language-unknown", lambda w: w.item(language="xx"), 1, "unknown language 'xx'"),
    Case("reference-missing", lambda w: w.item(reference_audio="audio/gone.flac"), 1, "reference_audio: file not found"),
    Case("reference-sha-mismatch", lambda w: w.item(reference_sha256="f" * 64), 1, "reference_audio: sha256 mismatch"),
    Case("empty-manifest", lambda w: w.write([""]), 1, "manifest has no items"),
    Case("not-utf8", lambda w: w.write(b"\xff\xfe{}\n"), 1, "not UTF-8"),
    Case("missing-manifest", lambda w: ["validate", str(w.root / "nope.jsonl")], 2, "no such manifest file"),
    Case("unknown-suite-name", lambda w: ["validate", "no-such-suite"], 2, "unknown suite 'no-such-suite'"),
    Case("run-bad-manifest", lambda w: ["run", "--model", "test-tone", "--suite", w.item(subset=[1])[1]], 2, "subset: must be"),
    Case("run-suite-escape", lambda w: ["run", "--model", "test-tone", "--suite", w.item(suite="../../x")[1]], 2, "folder name"),
]

S = [  # sidecars
    Case("sidecar-missing", lambda w: w.write([json.dumps(i) for i in w.items], sidecar=None), 1, "sidecar manifest.jsonl.meta.json missing"),
    Case("sidecar-list", lambda w: w.write([json.dumps(i) for i in w.items], sidecar=[]), 1, "is not a JSON object"),
    Case("sidecar-checksum", lambda w: w.write([json.dumps(i) for i in w.items], sidecar={"format_version": 1, "rows": 2, "sha256": "0"}), 1, "checksum mismatch"),
    Case("sidecar-rows", lambda w: w.write([json.dumps(i) for i in w.items], sidecar={"format_version": 1, "rows": 9}), 1, "row count mismatch"),
    Case("sidecar-version", lambda w: w.write([json.dumps(i) for i in w.items], sidecar={"format_version": 99}), 1, "format_version 99"),
    Case("sidecar-string", lambda w: w.write([json.dumps(i) for i in w.items], sidecar="just text"), 1, "sidecar"),
]  # fmt: skip

A = [  # audio: unusable files are problems; silent or clipped recordings are accepted and flagged
    Case("audio-text-as-flac", lambda w: w.raw_audio("fake.flac", b"this is not audio" * 10), 1, "unreadable audio"),
    Case("audio-empty-file", lambda w: w.raw_audio("empty.wav", b""), 1, "unreadable audio"),
    Case("audio-zero-frames", lambda w: w.audio("zero.wav", np.zeros(0, np.float32)), 1, "zero-length audio"),
    Case("audio-nan", lambda w: w.audio("nan.wav", np.full(800, np.nan, np.float32), subtype="FLOAT"), 1, "non-finite"),
    Case("audio-silent-int16", lambda w: w.audio("silent.wav", np.zeros(16000, np.float32)), 0, "flagged: prompt_silent"),
    Case("audio-silent-flac24", lambda w: w.audio("silent.flac", np.zeros(16000, np.float32), "PCM_24"), 0, "prompt_silent"),
    Case("audio-clipped-int16", lambda w: w.audio("clip.wav", np.clip(_sr(3.0), -1, 1)), 0, "flagged: prompt_clipped"),
    Case("audio-clipped-int24", lambda w: w.audio("clip.flac", np.clip(_sr(3.0), -1, 1), "PCM_24"), 0, "prompt_clipped"),
    Case("audio-clipped-float", lambda w: w.audio("clipf.wav", _sr(3.0), "FLOAT"), 0, "prompt_clipped"),
    Case("audio-silent-reference", lambda w: w.audio("rs.wav", np.zeros(8000, np.float32), role="reference"), 0, "reference_silent"),
]  # fmt: skip

B = [  # gate baselines: exit 2 with the file named, never the regression code 1
    Case("baseline-not-json", lambda w: w.gate(w.file("b.json", b"{oops")), 2, "b.json: not valid JSON"),
    Case("baseline-empty-file", lambda w: w.gate(w.file("b.json", b"")), 2, "b.json: not valid JSON"),
    Case("baseline-list", lambda w: w.gate(w.file("b.json", [])), 2, "b.json: not a ztts-eval summary"),
    Case("baseline-missing", lambda w: w.gate(w.root / "nope.json"), 2, "nope.json"),
    Case("bundle-no-summary", lambda w: w.gate(w.bundle(summary=None)), 2, "baseline bundle has no summary"),
    Case("bundle-groups-dict", lambda w: w.gate(w.bundle(summary={**w.summary(), "groups": {}})), 2, "groups must be a list"),
    Case("bundle-samples-list", lambda w: w.gate(w.bundle(samples=[])), 2, "samples must be an object"),
    Case("bundle-sample-key", lambda w: w.gate(w.bundle(samples={"k": {"wer": 1}})), 2, "baseline sample 'k'"),
    Case("bundle-sample-value", lambda w: w.gate(w.bundle(samples={"a#0|en|en": {"wer": "x"}})), 2, "baseline sample"),
    Case("summary-column-no-name", lambda w: w.gate(w.bad_summary(lambda d: d["metrics"][0]["columns"][0].pop("name"))), 2, "metrics[0].columns[0]"),
    Case("summary-direction", lambda w: w.gate(w.bad_summary(lambda d: d["metrics"][0]["columns"][0].update(higher_is_better="yes"))), 2, "higher_is_better"),
    Case("summary-value-string", lambda w: w.gate(w.bad_summary(lambda d: d["groups"][0]["columns"]["wer"].update(value="abc"))), 2, "columns.wer.value"),
    Case("summary-no-label", lambda w: w.gate(w.bad_summary(lambda d: d["groups"][0].pop("label"))), 2, "groups[0] must be an object with a label"),
    Case("summary-count-string", lambda w: w.gate(w.bad_summary(lambda d: _group(d, n_failed="2"))), 2, "groups[0].n_failed"),
    Case("summary-newer-schema", lambda w: w.gate(w.bad_summary(lambda d: d.update(schema_version=99))), 2, "newer than this ztts-eval reads"),
    Case("summary-suite-int", lambda w: w.gate(w.bad_summary(lambda d: d.update(suite=3))), 2, "suite must be a string"),
]  # fmt: skip

T = [  # tolerance files
    Case("tol-not-json", lambda w: w.gate(tolerances=w.file("t.json", b"{")), 2, "tolerances file"),
    Case("tol-list", lambda w: w.gate(tolerances=w.file("t.json", [])), 2, "must be a JSON object"),
    Case("tol-unknown-section", lambda w: w.gate(tolerances=w.file("t.json", {"wer": 1})), 2, "unknown section"),
    Case("tol-abs-string", lambda w: w.gate(tolerances=w.file("t.json", {"edits": {"abs": "1"}})), 2, "edits: abs must be"),
    Case("tol-rel-negative", lambda w: w.gate(tolerances=w.file("t.json", {"default": {"rel": -1}})), 2, "default: rel must be"),
    Case("tol-count-string", lambda w: w.gate(tolerances=w.file("t.json", {"counts": {"n_failed": "x"}})), 2, "counts: n_failed"),
    Case("tol-column-list", lambda w: w.gate(tolerances=w.file("t.json", {"columns": {"wer": [1]}})), 2, "columns: wer"),
    Case("tol-unknown-key", lambda w: w.gate(tolerances=w.file("t.json", {"edits": {"absolute": 1}})), 2, "edits: absolute"),
    Case("tol-section-number", lambda w: w.gate(tolerances=w.file("t.json", {"edits": 2})), 2, "section 'edits' must be an object"),
    Case("tol-missing", lambda w: w.gate(tolerances=w.root / "none.json"), 2, "none.json"),
    Case("tol-nan", lambda w: w.gate(tolerances=w.file("t.json", b'{"edits": {"abs": NaN}}')), 2, "edits: abs must be"),
]  # fmt: skip


def _corrupt(w: Workspace, name: str, content: bytes) -> Path:
    (w.run / name).write_bytes(content)
    return w.run


R = [  # results files read by gate and report
    Case("samples-broken-line", lambda w: w.gate(candidate=_corrupt(w, "samples.jsonl", b'{"a": \n')), 2, "samples.jsonl:1: not valid JSON"),
    Case("samples-not-row", lambda w: w.gate(candidate=_corrupt(w, "samples.jsonl", b"[1]\n")), 2, "samples.jsonl:1: not a sample row"),
    Case("samples-no-item-id", lambda w: w.gate(candidate=_corrupt(w, "samples.jsonl", b'{"seed": 0}\n')), 2, "'item_id' must be str"),
    Case("samples-not-utf8", lambda w: w.gate(candidate=_corrupt(w, "samples.jsonl", b"\xff\n")), 2, "samples.jsonl: not UTF-8"),
    Case("summary-truncated", lambda w: w.gate(candidate=_corrupt(w, "summary.json", b'{"groups": [')), 2, "summary.json: not valid JSON"),
    Case("report-corrupt-summary", lambda w: ["report", "--suite", "s", "--profile", "ztts1", "--results", str(_corrupt(w, "summary.json", b"{").parents[2])], 2, "summary.json: not valid JSON"),
    Case("report-summary-list", lambda w: ["report", "--suite", "s", "--profile", "ztts1", "--results", str(_corrupt(w, "summary.json", b"[]").parents[2])], 2, "not a ztts-eval summary"),
    Case("report-suite-escape", lambda w: ["report", "--suite", "../..", "--results", str(w.results)], 2, "suite name '../..'"),
    Case("report-profile-escape", lambda w: ["report", "--suite", "s", "--profile", "../x", "--results", str(w.results)], 2, "profile name '../x'"),
    Case("run-name-escape", lambda w: ["run", "--model", "test-tone", "--suite", w.item()[1], "--name", "../../evil", "--metrics", "f0_pyworld", "--results", str(w.results)], 2, "system name '../../evil'"),
]  # fmt: skip

CASES = M + S + A + B + T + R
