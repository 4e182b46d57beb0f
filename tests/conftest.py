"""Shared fixtures: the committed demo suite (real human speech)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes.cli import DEMO_MANIFEST


@pytest.fixture
def demo_manifest() -> Path:
    return DEMO_MANIFEST
