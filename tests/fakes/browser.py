"""Headless Debian chromium through selenium, as the HTML tests drive it (make test installs both)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def chromium(width: int = 1400, height: int = 1800, downloads: Path | None = None) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver = shutil.which("chromium"), shutil.which("chromedriver")
    assert binary and driver, "the test setup installs Debian's chromium and chromium-driver (make test does)"
    opts = webdriver.ChromeOptions()
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--autoplay-policy=no-user-gesture-required",
        f"--window-size={width},{height}",
    ):
        opts.add_argument(arg)
    if downloads is not None:
        opts.add_experimental_option(
            "prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False}
        )
    opts.binary_location = binary
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(service=Service(driver), options=opts)
    if downloads is not None:
        browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    try:
        yield browser
    finally:
        browser.quit()


def wait_for(check: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def severe_errors(browser: Any) -> list[dict]:
    return [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]


# readyState ≥ 1 (HAVE_METADATA) and a finite duration for every <audio> matching `selector`.
AUDIO_STATE_JS = """
return Array.from(document.querySelectorAll(arguments[0])).map(function (a) {
  return {id: a.id, src: a.getAttribute('src'), ready: a.readyState, duration: a.duration, error: a.error ? a.error.code : null};
});
"""
