"""Operations console tests: the browser fixtures of the shopper's app (Debian's chromium, skipped without
it), a desktop-sized page, the seed markets (seller onboarding needs them), a known key for the keyed
hashes and the carrier webhook secret (parcels are scanned delivered)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import SecretStr

from sellers.conftest import PII_KEY
from shipping.shipping_world import WEBHOOK_SECRET
from support import BROWSER_TIMEOUT_MS
from web_browser.conftest import container
from yellowcart.db import Database
from yellowcart.sellers.policies import seed_markets
from yellowcart.settings import Settings

__all__ = ["container", "db", "page", "settings"]


@pytest.fixture
def db(db: Database) -> Database:
    with db.transaction() as session:
        seed_markets(session)
    return db


@pytest.fixture
def settings(db: Database) -> Settings:
    return Settings(
        database_url=db.url,
        inline_worker=False,
        feed_warmup=False,
        log_level="WARNING",
        pii_hash_key=SecretStr(PII_KEY),
        carrier_webhook_secret=SecretStr(WEBHOOK_SECRET),
    )


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A laptop-sized page (the console is a desk tool) in a fresh context: no cookies."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
    context.set_default_timeout(BROWSER_TIMEOUT_MS)
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()
