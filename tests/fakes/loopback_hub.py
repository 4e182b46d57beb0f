"""A loopback stand-in for the Hugging Face hub and GitHub, serving the tests' tiny checkpoints.

Hugging Face HTTP layout (what huggingface_hub 0.3x requests; read from its `HfApi.model_info`,
`snapshot_download` and `get_hf_file_metadata`):
  GET  /api/models/<owner>/<name>[/revision/<rev>] → {"id", "sha", "siblings": [{"rfilename"}]}
  HEAD /<owner>/<name>/resolve/<rev>/<file>        → X-Repo-Commit, ETag, Content-Length
  GET  /<owner>/<name>/resolve/<rev>/<file>        → the bytes
GitHub layout (what torch.hub and release downloads fetch):
  GET  /<owner>/<repo>/zipball/<ref>               → a zip with one top folder <owner>-<repo>-<sha7>
  GET  /<owner>/<repo>/releases/download/<tag>/<file>
Binds 127.0.0.1 only, serves at most `max_requests` requests, and stops inside the test.
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlparse


def folder_files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def zipball(owner_repo: str, ref: str, files: dict[str, bytes]) -> bytes:
    top = f"{owner_repo.replace('/', '-')}-{hashlib.sha1(ref.encode()).hexdigest()[:7]}"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for rel, data in files.items():
            zf.writestr(f"{top}/{rel}", data)
    return buf.getvalue()


class LoopbackHub:
    def __init__(self, max_requests: int = 500) -> None:
        self.repos: dict[str, tuple[str, dict[str, bytes]]] = {}  # repo id -> (commit, files)
        self.blobs: dict[str, bytes] = {}  # GitHub path -> bytes
        self.requests: list[str] = []
        self.max_requests = max_requests
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_HEAD(self) -> None:
                self._answer(head=True)

            def do_GET(self) -> None:
                self._answer(head=False)

            def _send(self, status: int, body: bytes, headers: dict[str, str], head: bool) -> None:
                self.send_response(status)
                for k, v in {**headers, "Content-Length": str(len(body))}.items():
                    self.send_header(k, v)
                self.end_headers()
                if not head:
                    self.wfile.write(body)

            def _answer(self, head: bool) -> None:
                path = unquote(urlparse(self.path).path)
                hub.requests.append(f"{self.command} {path}")
                if len(hub.requests) > hub.max_requests:
                    return self._send(429, b"too many requests", {}, head)
                parts = path.strip("/").split("/")
                if parts[:2] == ["api", "models"]:
                    repo = "/".join(parts[2 : parts.index("revision")] if "revision" in parts else parts[2:])
                    if repo not in hub.repos:
                        return self._send(404, b'{"error": "Repository not found"}', {"X-Error-Code": "RepositoryNotFound"}, head)
                    commit, files = hub.repos[repo]
                    body = json.dumps({"id": repo, "modelId": repo, "sha": commit, "siblings": [{"rfilename": f} for f in files]})
                    return self._send(200, body.encode(), {"Content-Type": "application/json"}, head)
                if len(parts) >= 5 and parts[2] == "resolve":
                    repo, rev, rel = "/".join(parts[:2]), parts[3], "/".join(parts[4:])
                    commit, files = hub.repos.get(repo, ("", {}))
                    if rev not in (commit, "main") or rel not in files:
                        return self._send(404, b"not found", {"X-Error-Code": "EntryNotFound"}, head)
                    data = files[rel]
                    etag = f'"{hashlib.sha256(data).hexdigest()}"'
                    return self._send(200, data, {"X-Repo-Commit": commit, "ETag": etag}, head)
                if path in hub.blobs:
                    return self._send(200, hub.blobs[path], {"Content-Type": "application/octet-stream"}, head)
                return self._send(404, b"not found", {}, head)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def add_repo(self, repo_id: str, folder: Path) -> str:
        files = folder_files(folder)
        commit = hashlib.sha1(
            json.dumps(sorted((k, hashlib.sha256(v).hexdigest()) for k, v in files.items())).encode()
        ).hexdigest()
        self.repos[repo_id] = (commit, files)
        return commit

    def add_github_code(self, owner_repo: str, ref: str, folder: Path) -> None:
        self.blobs[f"/{owner_repo}/zipball/{ref}"] = zipball(owner_repo, ref, folder_files(folder))

    def add_github_file(self, url: str, data: bytes) -> None:
        self.blobs[urlparse(url).path] = data

    def __enter__(self) -> LoopbackHub:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
