"""Shipping tests sign simulated-carrier webhooks with a known secret."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from shipping.shipping_world import WEBHOOK_SECRET
from yellowcart.db import Database
from yellowcart.settings import Settings


@pytest.fixture
def settings(db: Database) -> Settings:
    return Settings(
        database_url=db.url,
        inline_worker=False,
        feed_warmup=False,
        log_level="WARNING",
        carrier_webhook_secret=SecretStr(WEBHOOK_SECRET),
    )
