"""A results folder with real audio (ground truth, alpha, beta on two languages) and a listening test."""

from __future__ import annotations

import json

import pytest

from tests.fakes.audio_results import SUITE, write_results


@pytest.fixture
def audio_results(tmp_path):
    res, manifest = write_results(tmp_path)
    return res


@pytest.fixture
def listening_test(audio_results):
    from ztts_eval.listen.page import write_listening_test

    folder, key = write_listening_test(audio_results, SUITE, "lite", n_trials=10, questions=("overall", "similarity"))
    assert json.loads((folder / "key.json").read_text())["test_id"] == key["test_id"]
    return folder, key
