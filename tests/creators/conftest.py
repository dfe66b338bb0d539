"""Creators tests: the simulated carrier's webhooks signed with a known secret (to deliver parcels), and
the worker's periodic jobs parked (each test drains the outbox itself)."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from shipping.shipping_world import WEBHOOK_SECRET
from yellowcart.bootstrap import Container, bootstrap
from yellowcart.checkout.payments import TestPaymentProvider
from yellowcart.db import Database, utcnow
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


@pytest.fixture
def container(settings: Settings, db: Database, provider: TestPaymentProvider) -> Container:
    made = bootstrap(settings, db=db, provider=provider)
    made._sla_last = utcnow()
    return made
