"""Risk signal tests: a fixed PII hash key (so tests can compute the expected keyed hashes), the proxy
trusted (so a test can come from another network with X-Forwarded-For), the worker parked."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from risk_signals.scenarios import KEY_TEXT
from shipping.shipping_world import WEBHOOK_SECRET
from yellowcart.bootstrap import Container, bootstrap
from yellowcart.checkout.payments import TestPaymentProvider
from yellowcart.db import Database, utcnow
from yellowcart.risk import anomaly
from yellowcart.risk.signals import token_uses
from yellowcart.settings import Settings, get_settings


@pytest.fixture
def settings(db: Database) -> Settings:
    return Settings(
        database_url=db.url,
        inline_worker=False,
        feed_warmup=False,
        log_level="WARNING",
        carrier_webhook_secret=SecretStr(WEBHOOK_SECRET),
        pii_hash_key=SecretStr(KEY_TEXT),
        trust_proxy=True,
        risk_job_every_seconds=0,
    )


@pytest.fixture
def container(
    settings: Settings, db: Database, provider: TestPaymentProvider, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Container]:
    made = bootstrap(settings, db=db, provider=provider)
    made._sla_last = utcnow()
    made.support._last = utcnow()  # type: ignore[attr-defined]
    # The hooks read the key from the process settings: the same key as the app's.
    monkeypatch.setenv("YC_PII_HASH_KEY", KEY_TEXT)
    get_settings.cache_clear()
    token_uses.forget()  # each test's database starts empty: forget the tokens seen by earlier tests
    anomaly.ACTIVE.invalidate()
    yield made
    get_settings.cache_clear()
