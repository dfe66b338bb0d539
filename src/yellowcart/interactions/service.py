"""Recording interactions: validate each row, store the good ones once, report the bad ones."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from yellowcart.auth.models import User
from yellowcart.catalog.models import Product
from yellowcart.content.models import Content
from yellowcart.db import utcnow
from yellowcart.interactions.models import EventType, InteractionEvent
from yellowcart.interactions.schemas import EventIn, RowError

#: Client clocks drift; an event "from the future" beyond this is refused, older than MAX_AGE too.
MAX_SKEW = dt.timedelta(minutes=5)
MAX_AGE = dt.timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Recorded:
    accepted: int
    duplicates: int
    rejected: list[RowError]
    received_at: dt.datetime


def _parse(rows: Sequence[Any], now: dt.datetime) -> tuple[list[tuple[int, EventIn]], list[RowError]]:
    good: list[tuple[int, EventIn]] = []
    bad: list[RowError] = []
    for index, raw in enumerate(rows):
        cid = raw.get("client_event_id") if isinstance(raw, dict) else None
        cid = cid if isinstance(cid, str) else None
        try:
            event = EventIn.model_validate(raw)
        except ValidationError as exc:
            errors = [
                {"field": ".".join(str(p) for p in e["loc"]) or "event", "message": e["msg"]} for e in exc.errors()
            ]
            bad.append(RowError(index=index, client_event_id=cid, errors=errors))
            continue
        if not now - MAX_AGE <= event.occurred_at <= now + MAX_SKEW:
            bad.append(
                RowError(
                    index=index,
                    client_event_id=cid,
                    errors=[
                        {
                            "field": "occurred_at",
                            "message": "outside the accepted window (7 days ago to 5 minutes ahead)",
                        }
                    ],
                )
            )
            continue
        good.append((index, event))
    return good, bad


def _known(session: Session, model: Any, ids: set[int]) -> set[int]:
    if not ids:
        return set()
    return set(session.scalars(select(model.id).where(model.id.in_(ids))))


def _unknown_refs(
    session: Session, good: list[tuple[int, EventIn]]
) -> tuple[list[tuple[int, EventIn]], list[RowError]]:
    """Rows pointing at content, products or users that do not exist are rejected, not crashed on."""
    contents = _known(session, Content, {e.content_id for _, e in good if e.content_id})
    products = _known(session, Product, {e.product_id for _, e in good if e.product_id})
    users = _known(session, User, {e.target_user_id for _, e in good if e.target_user_id})
    kept, bad = [], []
    for index, e in good:
        missing = [
            name
            for name, value, known in (
                ("content_id", e.content_id, contents),
                ("product_id", e.product_id, products),
                ("target_user_id", e.target_user_id, users),
            )
            if value is not None and value not in known
        ]
        if missing:
            bad.append(
                RowError(
                    index=index,
                    client_event_id=e.client_event_id,
                    errors=[{"field": m, "message": "does not exist"} for m in missing],
                )
            )
        else:
            kept.append((index, e))
    return kept, bad


def _insert_new(session: Session, rows: list[dict[str, Any]]) -> int:
    """Insert, skipping (user, client_event_id) pairs already stored; returns how many were new."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(InteractionEvent).on_conflict_do_nothing(index_elements=["user_id", "client_event_id"])
    return len(session.execute(stmt.returning(InteractionEvent.id), rows).all())


def record_events(session: Session, *, user_id: int, rows: Sequence[Any]) -> Recorded:
    """Store a client's batch: good rows once, bad rows reported with their index and reasons."""
    now = utcnow()
    good, bad = _parse(rows, now)
    good, unknown = _unknown_refs(session, good)
    unique: dict[str, EventIn] = {}
    for _, e in good:
        unique.setdefault(e.client_event_id, e)  # the same id twice in one batch counts once
    values = [{**e.model_dump(), "type": e.type, "user_id": user_id, "received_at": now} for e in unique.values()]
    accepted = _insert_new(session, values)
    rejected = sorted(bad + unknown, key=lambda r: r.index)
    return Recorded(accepted, len(good) - accepted, rejected, now)


def record_server_event(
    session: Session,
    *,
    user_id: int,
    client_event_id: str,
    type: EventType,
    product_id: int | None = None,
    content_id: int | None = None,
    at: dt.datetime | None = None,
) -> bool:
    """Events the platform itself observes (purchase, return); idempotent on ``client_event_id``."""
    at = at or utcnow()
    row = {
        "user_id": user_id,
        "client_event_id": client_event_id,
        "type": type,
        "product_id": product_id,
        "content_id": content_id,
        "occurred_at": at,
        "received_at": utcnow(),
    }
    return _insert_new(session, [row]) == 1
