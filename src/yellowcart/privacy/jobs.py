"""The privacy job the worker runs: expired exports lose their documents (at most once an hour)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from yellowcart.db import Database, utcnow
from yellowcart.privacy.service import purge_expired

EVERY = dt.timedelta(hours=1)


def run(db: Database, now: dt.datetime) -> int:
    with db.transaction() as session:
        return purge_expired(session, now=now)


def periodic(db: Database) -> Callable[[], int]:
    """The worker's entry: purges at most once per ``EVERY``."""
    last: list[dt.datetime] = []

    def tick() -> int:
        now = utcnow()
        if last and now - last[0] < EVERY:
            return 0
        last[:] = [now]
        return run(db, now)

    return tick
