"""Live room tests: fast heartbeats and a short viewer timeout, so streams and timeouts can be
watched within a test; the outbox worker is parked (tests drain it themselves)."""

from __future__ import annotations

import pytest

from yellowcart.db import Database
from yellowcart.settings import Settings


@pytest.fixture
def settings(db: Database) -> Settings:
    return Settings(
        database_url=db.url,
        inline_worker=False,
        feed_warmup=False,
        log_level="WARNING",
        live_heartbeat_seconds=1.0,
        live_viewer_timeout_seconds=3.0,
        live_flush_ms=100,
    )
