"""Seller onboarding tests: the seed markets in every fresh database (the shared ``db`` fixture wipes
every table, reference data included) and a known key for the keyed hashes of EINs and ID numbers."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from yellowcart.db import Database
from yellowcart.sellers.policies import seed_markets
from yellowcart.settings import Settings

PII_KEY = "onboarding-tests-pii-key"


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
    )
