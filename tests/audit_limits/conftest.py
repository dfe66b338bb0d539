"""Fixtures of the audit log and limits tests: the shared ones, with settings a test may tighten.

A test sets limits with ``@pytest.mark.parametrize("limits", [{...}])``: the dict becomes Settings fields
of its server (``rate_limit_token_burst=2``, ``rate_limit_exempt_networks=[]``, ...).
"""

from __future__ import annotations

from typing import Any

import pytest

from yellowcart.db import Database
from yellowcart.settings import Settings


@pytest.fixture
def limits() -> dict[str, Any]:
    return {}


@pytest.fixture
def settings(db: Database, limits: dict[str, Any]) -> Settings:
    return Settings(
        database_url=db.url,
        inline_worker=False,
        feed_warmup=False,
        log_level="WARNING",
        reservation_ttl_seconds=900,
        **limits,
    )
