"""The clone-once voice cache and the base class every closed-API adapter shares."""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar
from urllib.parse import quote

import numpy as np

from model_adapters.base import (
    CONTRACT_VERSION,
    Adapter,
    AdapterError,
    Diagnostics,
    SynthesisRequest,
    SynthesisResult,
)
from model_adapters.vendors.audio import as_wav, read_prompt
from model_adapters.vendors.transport import (
    HttpClient,
    RetryPolicy,
    VendorError,
    api_key,
    flag,
    multipart,
    scrub,
)

log = logging.getLogger(__name__)
T = TypeVar("T")


class VoiceCache:
    """Cloned voice ids by prompt SHA-256: in memory, and in a JSON file when given (ids only, never keys).

    Entries live under a namespace (adapter@host) so one file can serve several vendors; the file is
    rewritten atomically so a killed run never leaves half a cache.
    """

    def __init__(self, path: str | os.PathLike[str] | None, namespace: str) -> None:
        self.path, self.namespace = (os.fspath(path) if path else None), namespace
        self._ids: dict[str, str] = {}
        self._lock = threading.Lock()

    def load(self) -> None:
        doc = self._read()
        self._ids = {str(k): str(v) for k, v in doc.get(self.namespace, {}).items()}

    def get(self, sha: str) -> str | None:
        with self._lock:
            return self._ids.get(sha)

    def put(self, sha: str, voice_id: str) -> None:
        with self._lock:
            self._ids[sha] = voice_id
            self._save()

    def forget(self, sha: str, voice_id: str) -> None:
        """Drop an entry only if it still holds `voice_id` (another thread may have replaced it)."""
        with self._lock:
            if self._ids.get(sha) == voice_id:
                del self._ids[sha]
                self._save()

    def _read(self) -> dict[str, Any]:
        if not self.path or not os.path.exists(self.path):
            return {}
        try:
            with open(self.path, encoding="utf-8") as fh:
                doc = json.load(fh)
        except (OSError, ValueError) as exc:
            raise AdapterError(f"voice cache {self.path} is unreadable ({exc}); fix or delete it") from None
        if not isinstance(doc, dict):
            raise AdapterError(f"voice cache {self.path} is not a JSON object; fix or delete it")
        return doc

    def _save(self) -> None:
        if not self.path:
            return
        doc = self._read()
        doc[self.namespace] = dict(sorted(self._ids.items()))
        tmp = f"{self.path}.{os.getpid()}.{threading.get_ident()}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, indent=1, sort_keys=True)
        os.replace(tmp, self.path)


class VendorAdapter(Adapter):
    """What the API adapters share: the key check at load, bounded concurrency over a batch, the
    clone-once voice cache, and scrubbed per-item errors. Subclasses supply only vendor shapes."""

    group = "closed"
    key_env = ""  # environment variable holding the API key
    base_url_env = ""  # environment variable overriding the default base URL
    default_base_url = ""

    def __init__(
        self,
        *,
        base_url: str | None = None,
        timeout_s: float = 120.0,
        max_concurrency: int = 4,
        max_attempts: int = 5,
        backoff_base_s: float = 0.5,
        backoff_cap_s: float = 30.0,
        max_total_wait_s: float = 300.0,
        voice_cache: str | None = None,
        delete_voices_on_close: bool = False,
        allow_http: bool = False,
        max_batch: int = 16,
        **params: Any,
    ) -> None:
        for name in params:  # params end up in fingerprints, caches and run records
            if any(word in name.lower() for word in ("key", "token", "secret", "password", "auth")):
                raise AdapterError(f"parameter {name!r} looks like a credential; set {self.key_env} in the environment instead")
        super().__init__(**params)  # only what changes the audio: the fingerprint is built from it
        url = base_url or os.environ.get(self.base_url_env, "").strip() or self.default_base_url
        retry = RetryPolicy(max(1, int(max_attempts)), float(backoff_base_s), float(backoff_cap_s), float(max_total_wait_s))
        self.http = HttpClient(
            url,
            self.key_env,
            self.auth_headers,
            timeout_s=float(timeout_s),
            retry=retry,
            headers=self.extra_headers(),
            allow_http=flag(allow_http),
        )
        self.max_concurrency, self.max_batch = max(1, int(max_concurrency)), max(1, int(max_batch))
        self.voices = VoiceCache(voice_cache, f"{self.name}@{self.http.host}")
        self.delete_voices_on_close = flag(delete_voices_on_close)
        self._created: dict[str, str] = {}  # voice id -> prompt sha, for voices this process cloned
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def auth_headers(self, key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}

    def extra_headers(self) -> dict[str, str]:
        return {}

    def synthesize_one(self, req: SynthesisRequest) -> tuple[np.ndarray, int, Diagnostics]:
        raise NotImplementedError

    def create_voice(self, wav: bytes, sha: str, req: SynthesisRequest) -> str:
        raise NotImplementedError(f"{self.name} does not clone through an uploaded voice")

    def delete_voice(self, voice_id: str) -> None:
        raise NotImplementedError

    def fingerprint(self) -> dict[str, Any]:
        return {
            "adapter": self.name,
            "version": self.version,
            "contract": CONTRACT_VERSION,
            "host": self.http.host,
            "params": dict(self.params),
        }

    def load(self) -> None:
        api_key(self.key_env)  # fail before any work, naming the variable; the value is not kept
        self.voices.load()

    def synthesize(self, requests: list[SynthesisRequest]) -> list[SynthesisResult]:
        if not requests:
            return []
        with ThreadPoolExecutor(max_workers=min(self.max_concurrency, len(requests))) as pool:
            return list(pool.map(lambda req: self.synthesize_each([req], self._scrubbed)[0], requests))

    def _scrubbed(self, req: SynthesisRequest) -> tuple[np.ndarray, int, Diagnostics]:
        try:
            return self.synthesize_one(req)
        except AdapterError:
            raise
        except VendorError as exc:  # keep the class (MalformedAudio reads better than a generic name) but
            exc.args = (scrub(str(exc), self.key_env),)  # drop the inner frames: their locals hold the key
            raise exc.with_traceback(None) from None
        except Exception as exc:
            raise VendorError(scrub(f"{type(exc).__name__}: {exc}", self.key_env)) from None

    def with_cloned_voice(self, req: SynthesisRequest, speak: Callable[[str], T]) -> T:
        """`speak(voice_id)` with the prompt's cloned voice: one upload per distinct prompt, plus one
        re-upload when an id remembered from an earlier run is rejected (the voice was deleted since)."""
        assert req.prompt_audio is not None
        raw, sha = read_prompt(req.prompt_audio)
        voice_id = self._cached_voice(sha, raw, req)
        try:
            return speak(voice_id)
        except VendorError as exc:
            if voice_id in self._created or exc.status not in (400, 404):
                raise
            log.warning("cached voice for prompt %s was rejected (HTTP %s); cloning again", sha[:12], exc.status)
            self.voices.forget(sha, voice_id)
            return speak(self._cached_voice(sha, raw, req))

    def with_voice(self, req: SynthesisRequest, speak: Callable[[str], T], configured: Any) -> T:
        """`speak` with the prompt's cloned voice, else the configured voice id (one-shot and streamed alike)."""
        if req.prompt_audio is not None:
            return self.with_cloned_voice(req, speak)
        if configured:
            return speak(str(configured))
        raise VendorError("item has no prompt audio and no voice id is configured")

    def _cached_voice(self, sha: str, raw: bytes, req: SynthesisRequest) -> str:
        with self._locks_guard:
            lock = self._locks.setdefault(sha, threading.Lock())
        with lock:  # concurrent items with one prompt share a single upload
            voice_id = self.voices.get(sha)
            if voice_id is None:
                voice_id = self.create_voice(as_wav(raw), sha, req)
                self._created[voice_id] = sha
                self.voices.put(sha, voice_id)
            return voice_id

    def close(self) -> None:
        """With delete_voices_on_close, free the vendor's voice slots this process used."""
        if not self.delete_voices_on_close:
            return
        for voice_id, sha in list(self._created.items()):
            try:
                self.delete_voice(voice_id)
            except (VendorError, AdapterError) as exc:
                log.warning("could not delete voice %s: %s", voice_id, scrub(str(exc), self.key_env))
                continue
            self.voices.forget(sha, voice_id)
            del self._created[voice_id]

    def upload_voice(self, path: str, fields: list[tuple[str, str]], file_field: str, wav: bytes, id_key: str) -> dict:
        """POST the prompt as multipart form data; the answer must carry the new voice's id under `id_key`."""
        body, ctype = multipart(fields, [(file_field, "prompt.wav", "audio/wav", wav)])
        doc = self.http.request("POST", path, data=body, content_type=ctype, accept="application/json").json()
        if not isinstance(doc, dict) or not isinstance(doc.get(id_key), str):
            raise VendorError(f"voice clone answer from {self.http.host} has no {id_key}")
        return doc

    def delete_at(self, prefix: str, voice_id: str) -> None:
        self.http.request("DELETE", f"{prefix}/{quote(voice_id, safe='')}", accept="application/json")
