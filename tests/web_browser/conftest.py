"""Real-browser tests: Playwright driving Debian's chromium (never a downloaded browser) against the live
``server``. Without chromium they skip with the reason, unless YC_REQUIRE_BROWSER=1 (CI), where they fail.
With YC_SCREENSHOTS=1 the tests save their key pages to docs/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sla.conftest import container, settings
from support import BROWSER_TIMEOUT_MS

__all__ = ["container", "page", "settings"]  # ``browser``: tests/conftest.py (one per process)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A phone-sized page (the shopper app is mobile first) in a fresh context: no cookies."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1)
    context.set_default_timeout(BROWSER_TIMEOUT_MS)
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()
