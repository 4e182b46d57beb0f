"""A results folder with real audio, laid out as `run` writes it (see tests/fakes/audio_results.py)."""

from __future__ import annotations

import pytest

from tests.fakes.audio_results import write_results


@pytest.fixture
def audio_results(tmp_path):
    res, _manifest = write_results(tmp_path)
    return res
