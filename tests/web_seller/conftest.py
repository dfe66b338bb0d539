"""Seller centre browser tests: the shopper app's browser fixtures (Debian's chromium, skipped without it
unless YC_REQUIRE_BROWSER=1) plus a desktop-sized page, the seller centre's usual screen."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from support import BROWSER_TIMEOUT_MS
from web_browser.conftest import container, settings

__all__ = ["container", "desk", "settings"]


@pytest.fixture
def desk(browser: Any) -> Iterator[Any]:
    """A laptop-sized page in a fresh context (no cookies)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
    context.set_default_timeout(BROWSER_TIMEOUT_MS)
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()
