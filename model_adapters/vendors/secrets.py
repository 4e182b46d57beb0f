"""API keys: read from the environment, refused when malformed, and scrubbed from every text we keep.

Vendors echo keys back in error bodies, and our messages cut those bodies (300 characters, short
byte previews), so a cut can leave a *prefix* of the key where a whole-key replace finds nothing.
The rule here is therefore stricter than "the key": every stretch of a text that shares 8 or more
characters with the key, written raw, URL-encoded, JSON-escaped or as a Python bytes repr, is
replaced. Scrubbing happens before text is cut, stored, logged or rendered.

A key with whitespace, control or non-ASCII characters is refused at preflight: HTTP headers
cannot carry it, and http.client's error for a bad header value quotes the value whole.
"""

from __future__ import annotations

import json
import os
from urllib.parse import quote, quote_plus

from model_adapters.base import AdapterError

MIN_LEAK = 8  # a shared stretch this long is treated as a leak
REDACTED = "[redacted]"


def api_key(env_var: str) -> str:
    """The key, fresh from the environment on every call (rotation works mid-run; nothing cached)."""
    key = os.environ.get(env_var, "").strip()
    if not key:
        raise AdapterError(f"{env_var} is not set: export {env_var}=<your API key> (keys are read from the environment only)")
    bad = next((i for i, ch in enumerate(key) if not 33 <= ord(ch) < 127), None)
    if bad is not None:
        raise AdapterError(
            f"{env_var} holds a whitespace, control or non-ASCII character at position {bad + 1}: "
            f"re-export it as the bare key (its value is not shown)"
        )
    return key


def key_forms(key: str) -> set[str]:
    """How the key can appear in a text we keep: raw, URL-encoded, JSON-escaped, inside a bytes repr."""
    forms = {key, quote(key, safe=""), quote_plus(key), json.dumps(key)[1:-1], repr(key.encode())[2:-1]}
    return {f for f in forms if f}


def scrub_key(text: str, key: str) -> str:
    """`text` with every stretch sharing MIN_LEAK+ characters with the key (in any form) redacted."""
    if not key or not text:
        return text
    forms = key_forms(key)
    windows = {f[i : i + MIN_LEAK] for f in forms if len(f) >= MIN_LEAK for i in range(len(f) - MIN_LEAK + 1)}
    short = sorted((f for f in forms if len(f) < MIN_LEAK), key=len, reverse=True)  # a short key: only whole
    hidden = bytearray(len(text))
    for i in range(len(text) - MIN_LEAK + 1):
        if text[i : i + MIN_LEAK] in windows:
            hidden[i : i + MIN_LEAK] = b"\x01" * MIN_LEAK
    for form in short:
        start = text.find(form)
        while start >= 0:
            hidden[start : start + len(form)] = b"\x01" * len(form)
            start = text.find(form, start + 1)
    if not any(hidden):
        return text
    out, i = [], 0
    while i < len(text):
        if hidden[i]:
            while i < len(text) and hidden[i]:
                i += 1
            out.append(REDACTED)
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def scrub(text: str, env_var: str) -> str:
    """`text` scrubbed of the key currently in `env_var` (nothing to do when it is unset)."""
    key = os.environ.get(env_var, "").strip() if env_var else ""
    return scrub_key(text, key)
