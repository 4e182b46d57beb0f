"""`--model audio`: score audio that already exists, from any system, without writing an adapter.

seed-tts-eval (`meta.lst` + a folder of `<utt>.wav`), VERSA (`wav.scp`) and TTSDS (a folder of
wavs) all score files a model wrote earlier; this adapter does the same inside our pipeline, so such
outputs get the same metrics, caching, failure rows and reports as a live model. Each request is
looked up, never guessed: a missing, unreadable or empty file is a `failed` row naming the item and
the path. Files are read at their own sample rate and mixed to mono like any adapter output.

Sources (exactly one):
- `dir=PATH` with `template` (default `{id}.wav`): fields `{id}` (item id), `{seed}`, `{language}`
  and `{key}` (the item id with the regex `strip` removed from its start, e.g. `seedtts-eval-[a-z_]+-`
  turns our Seed-TTS ids back into upstream `<utt>` names).
- `list=FILE`: Kaldi `wav.scp` lines `<key> <path>` looked up by `key` (default `{id}`, same fields),
  or a `.csv` with an `id` and a `path` column (and optionally `seed`); paths relative to the list.

What the system is, the files cannot say: `group` (open|closed|reference, default open) and
`cloning` (default true) are declarations recorded with the run. The cache key covers the content
of every audio file under `dir` (or every listed file), never the folder's path.
"""

from __future__ import annotations

import csv
import re
import string
from pathlib import Path
from typing import Any

import numpy as np

from model_adapters.base import Adapter, AdapterError, Capabilities, Diagnostics, SynthesisRequest, SynthesisResult, failure

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3")
FIELDS = {"id", "seed", "language", "key"}
GROUPS = ("open", "closed", "reference")


def _flag(name: str, value: str) -> bool:
    text = str(value).strip().lower()
    if text not in ("true", "false", "1", "0", "yes", "no"):
        raise AdapterError(f"--param {name}={value!r}: use true or false")
    return text in ("true", "1", "yes")


class ExistingAudioAdapter(Adapter):
    name = "audio"
    version = "1"

    def __init__(
        self,
        dir: str = "",  # the names users type: --param dir=PATH, --param list=FILE
        list: str = "",
        template: str = "{id}.wav",
        key: str = "{id}",
        strip: str = "",
        group: str = "open",
        cloning: str = "true",
        published_name: str = "",
    ) -> None:
        given = {"dir": dir, "list": list, "template": template, "key": key, "strip": strip, "group": group,
                 "cloning": cloning}  # fmt: skip
        if published_name:
            given["published_name"] = published_name
        super().__init__(**{k: str(v) for k, v in given.items()})
        self.group = self.params["group"]
        self.published_name = self.params.get("published_name") or None
        self._files: dict[Any, Path] | None = None  # list mode: key -> path
        self._digest: str | None = None

    @property
    def capabilities(self) -> Capabilities:
        cloning = _flag("cloning", self.params["cloning"])
        return Capabilities(zero_shot_cloning=cloning, languages=None, deterministic=True, max_batch=16, max_text_chars=1_000_000)

    def load(self) -> None:
        p = self.params
        if bool(p["dir"]) == bool(p["list"]):
            raise AdapterError("the audio model needs exactly one of --param dir=FOLDER or --param list=wav.scp|FILE.csv")
        if p["group"] not in GROUPS:
            raise AdapterError(f"--param group={p['group']!r}: use one of {', '.join(GROUPS)}")
        self.capabilities  # noqa: B018 - validates cloning= before any work
        for name in ("template", "key"):
            used = {f for _, f, _, _ in string.Formatter().parse(p[name]) if f is not None}
            if used - FIELDS:
                raise AdapterError(f"--param {name}={p[name]!r}: unknown field(s) {sorted(used - FIELDS)}; use {sorted(FIELDS)}")
        try:
            self._strip = re.compile(p["strip"]) if p["strip"] else None
        except re.error as exc:
            raise AdapterError(f"--param strip={p['strip']!r}: not a regular expression ({exc})") from None
        if p["dir"] and not Path(p["dir"]).is_dir():
            raise AdapterError(f"--param dir={p['dir']}: folder not found")
        if p["list"]:
            self._files = self._read_list(Path(p["list"]))
        self._digest = self._content_digest()

    def _read_list(self, path: Path) -> dict[Any, Path]:
        if not path.is_file():
            raise AdapterError(f"--param list={path}: file not found")
        text = path.read_text(encoding="utf-8")
        files: dict[Any, Path] = {}
        if path.suffix.lower() == ".csv":
            rows = list(csv.DictReader(text.splitlines()))
            if not rows or not {"id", "path"} <= set(rows[0]):
                raise AdapterError(f"{path}: a CSV list needs a header with 'id' and 'path' columns (optional 'seed')")
            for n, row in enumerate(rows, start=2):
                key = (row["id"], int(row["seed"])) if row.get("seed") not in (None, "") else row["id"]
                if key in files:
                    raise AdapterError(f"{path}:{n}: {key!r} listed twice")
                files[key] = path.parent / row["path"]
            return files
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            parts = line.strip().split(maxsplit=1)
            if len(parts) != 2:
                raise AdapterError(f"{path}:{n}: expected '<key> <path>' (Kaldi wav.scp)")
            if parts[0] in files:
                raise AdapterError(f"{path}:{n}: key {parts[0]!r} listed twice")
            files[parts[0]] = path.parent / parts[1]
        return files

    def _content_digest(self) -> str:
        from ztts_eval.hashing import sha256_file, sha256_json

        if self._files is not None:
            listed = {str(k): sha256_file(f) if f.is_file() else None for k, f in self._files.items()}
            return sha256_json(sorted(listed.items()))
        root = Path(self.params["dir"])
        found = sorted(f for f in root.rglob("*") if f.is_file() and f.suffix.lower() in AUDIO_SUFFIXES)
        return sha256_json([(f.relative_to(root).as_posix(), sha256_file(f)) for f in found])

    def fingerprint(self) -> dict[str, Any]:
        """Lookup rules and file contents: moving the folder keeps the cache; editing a file does not."""
        if self._digest is None:
            self.load()
        fp = super().fingerprint()
        fp["params"] = {k: self.params[k] for k in ("template", "key", "strip")}
        fp["source"] = "list" if self.params["list"] else "dir"
        fp["content_sha256"] = self._digest
        return fp

    def locate(self, req: SynthesisRequest) -> tuple[Path | None, str]:
        """(path, how it was found) for a request, or (None, why not)."""
        key = self._strip.sub("", req.item_id, count=1) if self._strip else req.item_id
        fields = {"id": req.item_id, "seed": req.seed, "language": req.language, "key": key}
        if self._files is not None:
            for lookup in ((req.item_id, req.seed), self.params["key"].format(**fields)):
                if lookup in self._files:
                    return self._files[lookup], f"{self.params['list']} entry {lookup!r}"
            return None, f"no entry {self.params['key'].format(**fields)!r} in {self.params['list']}"
        root = Path(self.params["dir"]).resolve()
        path = (root / self.params["template"].format(**fields)).resolve()
        if not path.is_relative_to(root):
            return None, f"{path} lies outside --param dir={root}"
        return path, str(path)

    def synthesize(self, requests: list[SynthesisRequest]) -> list[SynthesisResult]:
        import soundfile as sf

        from ztts_eval.audio import to_mono

        if self._digest is None:
            self.load()
        out = []
        for req in requests:
            refused = self.check_request(req)
            if refused is not None:
                out.append(refused)
                continue
            path, where = self.locate(req)
            if path is None or not path.is_file():
                out.append(failure(req, f"item {req.item_id}: {where if path is None else f'{path} is missing'}"))
                continue
            try:
                data, sr = sf.read(str(path), dtype="float32", always_2d=False)
            except Exception as exc:  # soundfile raises several types for unreadable files
                out.append(failure(req, f"item {req.item_id}: {path} is unreadable ({type(exc).__name__})"))
                continue
            wav = to_mono(np.asarray(data))
            if wav.size == 0:
                out.append(failure(req, f"item {req.item_id}: {path} is empty (0 samples)"))
                continue
            diag = Diagnostics(
                duration_s=wav.size / float(sr),
                extra={"source_path": where, "source_channels": 1 if np.ndim(data) == 1 else int(np.shape(data)[1])},
            )
            out.append(SynthesisResult(req.item_id, req.seed, wav, int(sr), diag))
        return out
