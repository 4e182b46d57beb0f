"""`--limit N`: deterministic, spread over languages, independent of file order."""

from __future__ import annotations

from collections import Counter

import pytest

from ztts_eval.pipeline.manifest import Item
from ztts_eval.pipeline.subset import stratified_limit


def _items(counts: dict[str, int]) -> list[Item]:
    return [
        Item(
            id=f"{lang}-{i:03d}",
            suite="s",
            subset="clean",
            language=lang,
            text="t",
            prompt_audio="p.flac",
            prompt_sha256="0" * 64,
        )
        for lang, n in counts.items()
        for i in range(n)
    ]


def test_limit_spreads_over_languages_round_robin():
    items = _items({"en": 50, "de": 3, "zh": 10})
    got = stratified_limit(items, 12)
    assert Counter(it.language for it in got) == {"en": 5, "de": 3, "zh": 4}  # de runs out, the others share the rest
    assert [it.id for it in got] == [it.id for it in items if it in got]  # manifest order kept


def test_limit_is_deterministic_and_ignores_file_order():
    items = _items({"en": 30, "fr": 30})
    a = {it.id for it in stratified_limit(items, 10)}
    b = {it.id for it in stratified_limit(list(reversed(items)), 10)}
    assert a == b
    assert a != {it.id for it in items[:5] + items[30:35]}  # not simply the first items of each language


def test_limit_larger_than_the_suite_keeps_everything_and_zero_is_refused():
    items = _items({"en": 2, "de": 1})
    assert stratified_limit(items, 10) == items
    with pytest.raises(ValueError, match="at least 1"):
        stratified_limit(items, 0)
