"""Real-browser tests: Playwright driving Debian's chromium (never a downloaded browser) against the live
``server``. Without chromium they skip with the reason, unless YC_REQUIRE_BROWSER=1 (CI), where they fail.
With YC_SCREENSHOTS=1 the tests save their key pages to docs/screenshots/."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sla.conftest import container, settings

__all__ = ["browser", "container", "page", "settings"]

CHROMIUM = os.environ.get("YC_CHROMIUM", "/usr/bin/chromium")


def _chromium() -> str | None:
    if Path(CHROMIUM).exists():
        return CHROMIUM
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = _chromium()
    why = None
    if executable is None:
        why = f"chromium is not installed ({CHROMIUM}); apt-get install -y chromium"
    else:
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            why = "playwright is not installed (pip install -e '.[dev]')"
    if why is not None:
        if os.environ.get("YC_REQUIRE_BROWSER") == "1":
            pytest.fail(f"YC_REQUIRE_BROWSER=1 but {why}")
        pytest.skip(why)
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=executable, headless=True, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A phone-sized page (the shopper app is mobile first) in a fresh context: no cookies."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()
