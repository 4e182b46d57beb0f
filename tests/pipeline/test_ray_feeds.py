"""Feeds cut streamed inputs into exactly the batches the local executor scores (no Ray needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ztts_eval.metrics.base import OK, Column, MetricInfo, SampleMetric, ScoreInput
from ztts_eval.pipeline.executors.ray_feeds import Feed
from ztts_eval.pipeline.scoring import _input_key, cached_map
from ztts_eval.store import Store


class Probe(SampleMetric):
    info = MetricInfo("probe", "1", "sample", (Column("x", None),), ("audio", "text"), "probe", "lite", "lite")
    batch_size = 3

    def score_batch(self, inputs: list[ScoreInput]) -> list[dict[str, Any]]:
        return [{"status": OK, "x": len(i.text)} for i in inputs]


def _inputs(n: int) -> list[ScoreInput]:
    # items 4 and 9 share audio and text with item 0: the same cache key three times
    sha = lambda i: f"{(0 if i in (4, 9) else i):064x}"  # noqa: E731
    text = lambda i: "same" if i in (0, 4, 9) else f"text {i}"  # noqa: E731
    return [ScoreInput(f"it{i}#0", f"it{i}", 0, "en", "s", text(i), Path(f"/a/{i}.flac"), sha(i), None, None) for i in range(14)]


def _seed_cache(root: Path, metric: Probe, inputs: list[ScoreInput]) -> Store:
    store = Store(root)
    fp = metric.fingerprint()
    store.put_many("scores", {_input_key(metric, inputs[i], fp): {"value": {"status": OK, "x": -1}} for i in (1, 2, 7)})
    return store


def test_streamed_feed_cuts_the_local_executors_batches(tmp_path):
    metric, inputs = Probe(), _inputs(14)
    local_batches: list[list[str]] = []

    def record(batch):
        local_batches.append([i.key for i in batch])
        return metric.score_batch(batch)

    local_store = _seed_cache(tmp_path / "local", metric, inputs)
    local_values, stats = cached_map(
        metric, inputs, local_store, record, lambda m: {"status": "error"}, force=False, progress=None
    )

    store = _seed_cache(tmp_path / "ray", metric, inputs)
    feed = Feed("score:probe", metric, "sample", store, False, metric.fingerprint(), set())
    ray_batches: list[list[str]] = []
    for lo, hi in ((0, 2), (2, 7), (7, 8), (8, 14)):  # generation releases items in uneven runs
        feed.add(inputs[lo:hi])
        while feed.ready:  # score each batch at once, as actors do, before the next items arrive
            batch = feed.ready.popleft()
            ray_batches.append([i.key for i in batch.items])
            feed.finish(batch, metric.score_batch(batch.items))
    feed.flush()
    while feed.ready:
        batch = feed.ready.popleft()
        ray_batches.append([i.key for i in batch.items])
        feed.finish(batch, metric.score_batch(batch.items))

    assert ray_batches == local_batches
    assert [len(b) for b in local_batches] == [3, 3, 3, 2]  # 14 inputs, 3 cached, the shared key computed each time
    assert feed.values == local_values
    assert (feed.cached, feed.computed) == (stats.cached, stats.computed) == (3, 11)
    assert store.get_many("scores", list(feed.keys.values())) == local_store.get_many("scores", list(feed.keys.values()))
