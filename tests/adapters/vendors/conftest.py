"""Fixtures of the vendor tests: no proxy or real key in the environment, and one run per vendor."""

from __future__ import annotations

import pytest

from tests.fakes.vendor_specs import SPECS


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    for spec in SPECS.values():
        monkeypatch.delenv(spec.env, raising=False)
        monkeypatch.delenv(spec.base_env, raising=False)


@pytest.fixture(params=list(SPECS))
def vendor(request: pytest.FixtureRequest) -> str:
    return request.param
