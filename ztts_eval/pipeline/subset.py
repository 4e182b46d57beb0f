"""`--limit N`: a small, deterministic subset that still covers every language.

A quick check on a 1,618-item suite should not be 1,618 English-first items cut at N. Items are
taken round-robin over languages (in the order languages first appear), and within a language in
the order of SHA-256 of the item id, so the subset does not change when unrelated items are
added or the file is reordered. The limit is recorded in the summary (`limit`), the report marks
limited rows and the gate refuses to compare a limited run with a full one.
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

from ztts_eval.pipeline.manifest import Item, Manifest


def _order(item: Item) -> str:
    return hashlib.sha256(item.id.encode("utf-8")).hexdigest()


def stratified_limit(items: list[Item], n: int) -> list[Item]:
    """At most `n` items, spread over languages as evenly as the counts allow, in manifest order."""
    if n < 1:
        raise ValueError(f"--limit must be at least 1, got {n}")
    by_language: dict[str, list[Item]] = {}
    for it in items:
        by_language.setdefault(it.language, []).append(it)
    queues = [sorted(group, key=_order) for group in by_language.values()]
    chosen: set[str] = set()
    depth = 0
    while len(chosen) < min(n, len(items)):
        for queue in queues:
            if depth < len(queue) and len(chosen) < n:
                chosen.add(queue[depth].id)
        depth += 1
    return [it for it in items if it.id in chosen]


def limit_manifest(manifest: Manifest, n: int | None) -> tuple[Manifest, dict[str, Any] | None]:
    """The manifest cut to `n` items, and the record that goes into the summary (None: no limit)."""
    if n is None:
        return manifest, None
    kept = stratified_limit(manifest.items, n)
    return dataclasses.replace(manifest, items=kept), {"n": n, "items": len(kept), "of": len(manifest.items)}
