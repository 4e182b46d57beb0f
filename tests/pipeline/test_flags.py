"""Runaway/truncation flags from duration vs text, and their separate accounting in WER."""

import pytest

from ztts_eval.pipeline.aggregate import column_summary
from ztts_eval.pipeline.flags import duration_flags, text_units


def test_plausible_durations_are_not_flagged():
    text = "The birch canoe slid on the smooth planks."  # 8 words
    assert duration_flags(text, "en", 2.6, True) == []
    assert duration_flags(text, "en", 6.0, None) == []
    assert duration_flags("今天天气很好。", "zh", 1.5, True) == []


def test_runaways_and_truncations_are_flagged():
    assert duration_flags("Short one.", "en", 30.0, True) == ["too_long"]
    assert duration_flags("The birch canoe slid on the smooth planks again and again.", "en", 0.3, True) == ["too_short"]
    assert duration_flags("Short one.", "en", 1.0, False) == ["no_eos"]
    assert duration_flags("今天天气很好我们去公园散步吧", "zh", 60.0, False) == ["no_eos", "too_long"]


def test_units_follow_the_language_table():
    assert text_units("hello big world", "en") == 3
    assert text_units("你好 世界", "zh") == 4


def _row(wer, flags=()):
    return {"flags": list(flags), "scores": {"wer": {"status": "ok", "wer": wer, "S": int(wer), "D": 0, "I": 0, "N": 100}}}


def test_flagged_rows_are_counted_apart_from_wer():
    rows = [_row(10.0), _row(20.0), _row(400.0, ["too_long"]), _row(5.0, ["clipped"])]
    s = column_summary(rows, "wer", "wer", "edits")
    assert s["n"] == 3 and s["n_flagged"] == 1
    assert s["value"] == pytest.approx((10 + 20 + 5) / 3)  # clipped is informative, not a runaway
    assert s["value_incl_flagged"] == pytest.approx((10 + 20 + 5 + 400) / 4)
    assert s["corpus"] == pytest.approx(100 * 35 / 300)
