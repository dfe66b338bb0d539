"""Customer service tests: the simulated carrier's webhooks signed with a known secret (to ship and
deliver parcels), and the worker's periodic SLA and support jobs parked: each test runs the support
jobs itself, at the instants it is about."""

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
        live_heartbeat_seconds=1.0,
    )


@pytest.fixture
def container(settings: Settings, db: Database, provider: TestPaymentProvider) -> Container:
    made = bootstrap(settings, db=db, provider=provider)
    made._sla_last = utcnow()  # the worker's periodic SLA run waits sla_job_every_seconds from here
    made.support._last = utcnow()  # and its support run support_job_every_seconds (60 s)
    return made
