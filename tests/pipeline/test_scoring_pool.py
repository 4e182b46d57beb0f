"""Sample metrics declared `process_parallel` are scored on the run's process pool: same rows in
the same order as in-process scoring, one set-up copy per worker, failures as rows, and the pool
(with the workers' models) gone when the stage ends."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.fakes.cli import DEMO
from tests.fakes.pooled_metric import InProcessLength, PooledLength
from ztts_eval.hashing import sha256_file
from ztts_eval.metrics.base import ScoreInput
from ztts_eval.metrics.common import cpu_pool
from ztts_eval.metrics.wer.wer_pocketsphinx import PocketsphinxWer
from ztts_eval.pipeline import scoring
from ztts_eval.pipeline.scoring import score_samples
from ztts_eval.store import Store

CLIP = DEMO / "audio" / "lj002_0035.flac"


def _inputs(texts: list[str], clips: list[Path] | None = None, languages: list[str] | None = None) -> list[ScoreInput]:
    out = []
    for i, text in enumerate(texts):
        clip = clips[i] if clips else CLIP
        lang = languages[i] if languages else "en"
        out.append(ScoreInput(f"k{i}", f"item{i}", 0, lang, "s", text, clip, sha256_file(clip), None, None))
    return out


@pytest.fixture
def two_workers(monkeypatch):
    monkeypatch.setattr(scoring, "default_workers", lambda: 2)
    monkeypatch.setattr(cpu_pool, "default_workers", lambda: 2)
    yield
    cpu_pool.shutdown()


def _score(metric, inputs, root: Path, progress=None):
    store = Store(root)
    try:
        return score_samples(metric, inputs, store, progress=progress)
    finally:
        store.close()


def test_pooled_rows_equal_in_process_rows_in_order(tmp_path, two_workers):
    texts = [f"text number {'x' * i}" for i in range(40)]
    texts[17] = "boom"
    seen = []
    pooled, stats = _score(PooledLength(scale=3), _inputs(texts), tmp_path / "a", progress=seen.append)
    local, _ = _score(InProcessLength(scale=3), _inputs(texts), tmp_path / "b")
    strip = {k: {f: v for f, v in row.items() if f not in ("pid", "setups")} for k, row in pooled.items()}
    assert strip == {k: {f: v for f, v in row.items() if f not in ("pid", "setups")} for k, row in local.items()}
    assert list(pooled) == [f"k{i}" for i in range(40)]
    assert pooled["k3"]["n_chars"] == len(texts[3]) * 3  # parameters reach the workers' copies
    assert pooled["k17"] == {"status": "error", "error": "ValueError: boom"}  # one failing input, one error row
    assert stats.computed == 40 and sum(seen) == 40 and len(seen) > 2  # stored and reported batch by batch
    pids = {row["pid"] for row in pooled.values() if "pid" in row}
    assert len(pids) == 2 and all(row["setups"] == 1 for row in pooled.values() if "setups" in row)
    assert not cpu_pool.pool_started()  # the stage's workers, and the models they held, are gone


def test_a_resumed_pooled_stage_scores_only_what_is_missing(tmp_path, two_workers):
    texts = [f"t{'y' * i}" for i in range(6)]
    first, _ = _score(PooledLength(), _inputs(texts[:4]), tmp_path / "c")
    again, stats = _score(PooledLength(), _inputs(texts), tmp_path / "c")
    assert (stats.cached, stats.computed) == (4, 2)
    assert all(again[k] == first[k] for k in first)


def test_pocketsphinx_rows_are_the_same_pooled_and_in_process(tmp_path, two_workers, monkeypatch):
    names = ["cv_651325", "lj002_0020", "espeak_de-01", "lj002_0035"]
    clips = [DEMO / "audio" / f"{n}.flac" for n in names]
    inputs = _inputs(["a", "until thirteen", "hallo", "b"], clips, ["en", "en", "de", "en"])
    pooled, _ = _score(PocketsphinxWer(), inputs, tmp_path / "p")
    monkeypatch.setattr(PocketsphinxWer, "process_parallel", False)
    local, _ = _score(PocketsphinxWer(), inputs, tmp_path / "l")
    assert pooled == local
    assert pooled["k2"]["status"] == "not_covered"
    assert all(pooled[f"k{i}"]["status"] == "ok" and "hyp_raw" in pooled[f"k{i}"] for i in (0, 1, 3))


def test_an_input_that_kills_its_worker_is_one_error_row_and_the_stage_goes_on(tmp_path, two_workers):
    texts = [f"item {'z' * i}" for i in range(30)]
    texts[11] = "die"
    rows, stats = _score(PooledLength(), _inputs(texts), tmp_path / "d")
    assert list(rows) == [f"k{i}" for i in range(30)] and stats.computed == 30
    assert rows["k11"]["status"] == "error" and "process died" in rows["k11"]["error"]
    assert all(rows[f"k{i}"]["n_chars"] == len(texts[i]) for i in range(30) if i != 11)
    assert not cpu_pool.pool_started()


def test_a_crash_in_the_last_batch_beside_a_slow_one_never_reaches_the_run(tmp_path, two_workers):
    # one input per batch here (4 inputs, 2 workers): "slow" is running when "die" breaks the pool,
    # and "die" is then the only batch left; neither may run in the harness's own process
    texts = ["a", "b", "slow", "die"]
    rows, _ = _score(PooledLength(), _inputs(texts), tmp_path / "s")
    assert [rows[f"k{i}"]["status"] for i in range(4)] == ["ok", "ok", "ok", "error"]
    assert all(rows[f"k{i}"]["pid"] != os.getpid() for i in range(3))
    assert rows["k2"]["n_chars"] == 4 and rows["k3"]["transient"] is True


def test_a_died_row_is_not_cached_so_a_rerun_tries_again(tmp_path, two_workers):
    texts = ["one", "die", "three"]
    first, _ = _score(PooledLength(), _inputs(texts), tmp_path / "r")
    again, stats = _score(PooledLength(), _inputs(texts), tmp_path / "r")
    assert first["k1"]["status"] == again["k1"]["status"] == "error"
    assert (stats.cached, stats.computed) == (2, 1)


def _square(x: int) -> int:
    return x * x


def test_a_metric_from_include_is_pooled_even_when_the_pool_predates_it(tmp_path, two_workers, monkeypatch):
    from ztts_eval import registry

    monkeypatch.setattr(registry, "INCLUDED", {"ztts_eval.adapters": {}, "ztts_eval.metrics": {}})

    assert cpu_pool.cpu_map(_square, [1, 2, 3, 4]) == [1, 4, 9, 16] and cpu_pool.pool_started()  # forked before the plugin
    plugin = tmp_path / "plugin.py"
    plugin.write_text(
        "from tests.fakes.pooled_metric import PooledLength\n"
        "from ztts_eval.metrics.base import Column, MetricInfo\n\n"
        "class Shouting(PooledLength):\n"
        "    info = MetricInfo('shouting', '1', 'sample', (Column('n_chars', True),), ('audio', 'text'), 'x', 'lite', 'lite')\n"
    )
    registry.include(plugin)
    metric = registry.metric_class("shouting")()
    rows, _ = _score(metric, _inputs(["ab", "abc", "abcd"]), tmp_path / "i")
    assert [rows[f"k{i}"]["n_chars"] for i in range(3)] == [2, 3, 4]
    assert {rows[f"k{i}"]["pid"] for i in range(3)}.isdisjoint({os.getpid()})


def test_an_interrupted_stage_stops_its_workers_instead_of_waiting_for_their_batches(tmp_path, two_workers):
    import time

    busy = cpu_pool.executor(2).submit(time.sleep, 60)  # a batch that would hold the stage for a minute
    time.sleep(0.2)  # handed to a worker
    t0 = time.monotonic()
    cpu_pool.shutdown(kill=True)
    assert time.monotonic() - t0 < 30 and busy.done() and not cpu_pool.pool_started()


def test_a_worker_never_submits_to_the_pool_it_inherited(two_workers):
    assert cpu_pool.executor(2).submit(cpu_pool.pool_started).result() is False
