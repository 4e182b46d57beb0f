"""Pure measures against hand-computed truth: player stalls, first audible frame, percentiles, verdict, schedules."""

from __future__ import annotations

import numpy as np
import pytest

from ztts_eval.pipeline.stats import bootstrap_quantiles
from ztts_eval.speed.arrivals import check_rate, parse_concurrency, schedule, settings_from
from ztts_eval.speed.measures import Arrival, first_audible_sample, measure, player_stalls
from ztts_eval.speed.summary import percentiles, streaming_verdict

SR = 1000  # 1 sample = 1 ms: stalls read off directly


def test_player_stalls_by_hand() -> None:
    # chunks of 100/100/50/200 ms audio arriving at 0, 0.05, 0.30, 0.32 s
    # play 0-0.1, 0.1-0.2, wait till 0.30 (stall 0.10), 0.30-0.35, 0.35-0.55 (arrived 0.32: no stall)
    arr = [Arrival(0.0, 100), Arrival(0.05, 100), Arrival(0.30, 50), Arrival(0.32, 200)]
    assert np.allclose(player_stalls(arr, SR), [0.0, 0.0, 0.10, 0.0])
    # a stall shifts the playback clock: the next late chunk is judged against the shifted clock
    arr = [Arrival(0.0, 100), Arrival(0.30, 100), Arrival(0.55, 100)]
    assert np.allclose(player_stalls(arr, SR), [0.0, 0.20, 0.15])


def test_first_audible_sample_skips_leading_silence_and_noise() -> None:
    x = np.concatenate([np.zeros(250), 0.001 * np.ones(100), 0.5 * np.ones(100)]).astype(np.float32)
    assert first_audible_sample(x, SR) == 350
    assert first_audible_sample(np.zeros(500, np.float32), SR) is None


def test_measure_reads_ttfa_from_the_chunk_holding_the_first_audible_frame() -> None:
    audio = np.concatenate([np.zeros(200), 0.5 * np.ones(300)]).astype(np.float32)
    arr = [Arrival(0.1, 200), Arrival(0.25, 150), Arrival(0.4, 150)]
    row = measure(arr, SR, audio, first_byte_t=0.08)
    assert row["ttfb_s"] == 0.08 and row["ttfc_s"] == 0.1 and row["ttfa_s"] == 0.25
    assert row["latency_s"] == 0.4 and row["audio_s"] == 0.5 and row["rtf"] == pytest.approx(0.8)
    assert row["max_gap_s"] == pytest.approx(0.15) and row["n_chunks"] == 3
    assert row["worst_stall_s"] == pytest.approx(0.0) and row["underrun"] is False  # 0.2 s of audio covers 0.15 s


def test_bootstrap_quantiles_bracket_the_estimate_and_repeat() -> None:
    x = np.random.default_rng(1).exponential(0.3, size=400)
    table = bootstrap_quantiles(x, (0.5, 0.95), seed=0)
    for q, (est, lo, hi) in table.items():
        assert est == pytest.approx(np.quantile(x, q)) and lo <= est <= hi
    assert table == bootstrap_quantiles(x, (0.5, 0.95), seed=0)
    assert table[0.95][2] - table[0.95][1] > table[0.5][2] - table[0.5][1]  # tails are less certain
    assert percentiles([None, None]) == {"n": 0}


def test_streaming_verdict_rule_and_non_streaming_adapters() -> None:
    rows = [{"ttfa_s": 0.1, "latency_s": 1.0, "n_chunks": 9}, {"ttfa_s": 0.2, "latency_s": 1.0, "n_chunks": 9}]
    assert streaming_verdict(rows, True)["streaming"] is True
    assert streaming_verdict(rows, False)["streaming"] is False  # cannot stream: labelled as such
    buffered = [{"ttfa_s": 0.97, "latency_s": 1.0, "n_chunks": 9}]
    assert streaming_verdict(buffered, True)["streaming"] is False


def test_schedules_are_seeded_and_follow_their_rate() -> None:
    a = schedule("poisson:50/s", 20.0, None, seed=4)
    assert np.array_equal(a, schedule("poisson:50/s", 20.0, None, seed=4))
    assert len(a) == pytest.approx(1000, rel=0.1) and np.all(np.diff(a) >= 0) and a[-1] < 20.0
    assert np.allclose(schedule("constant:4/s", 1.0, None), [0, 0.25, 0.5, 0.75])
    ramp = schedule("ramp:10-90/s", 10.0, None, seed=1)
    first, last = np.sum(ramp < 2.0), np.sum(ramp >= 8.0)  # expected 2*(10+26)/2=36 and 2*(74+90)/2=164
    assert 20 < first < 55 and 130 < last < 200
    assert len(schedule("poisson:5/s", None, 7)) == 7


def test_bad_load_specs_are_one_line_errors() -> None:
    for bad in ("poisson:8", "ramp:4/s", "poisson:0/s", "burst:3/s"):
        with pytest.raises(ValueError, match="--rate"):
            check_rate(bad)
    with pytest.raises(ValueError, match="--concurrency"):
        parse_concurrency("1,x")
    with pytest.raises(ValueError, match="needs --duration"):
        schedule("ramp:1-4/s", None, 10)
    labels = [s.label for s in settings_from([1, 4], ["poisson:2/s"], 8, None)]
    assert labels == ["c=1", "c=4", "poisson:2/s"]
