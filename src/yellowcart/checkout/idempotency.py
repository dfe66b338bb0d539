"""Idempotency-Key handling (the Stripe model).

The key row is inserted in the same transaction that creates the orders, under a UNIQUE constraint:
a concurrent retry waits on that index (PostgreSQL) or on the write lock (SQLite) and then finds the
key taken. A finished request's response is stored and replayed byte for byte; a request cut off
between placing and paying is resumed from its recovery point (the payment row), so it is charged at
most once.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from yellowcart.checkout.models import IdempotencyKey, IdempotencyState
from yellowcart.db import utcnow
from yellowcart.errors import IdempotencyKeyReused, InvalidInput


def request_fingerprint(endpoint: str, body: Any) -> str:
    canonical = json.dumps({"endpoint": endpoint, "body": body}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def validate_key(key: str | None) -> str:
    if key is None or not key.strip():
        raise InvalidInput("The Idempotency-Key header is required for this call.", field="Idempotency-Key")
    if len(key) > 255 or not key.isprintable():
        raise InvalidInput("Idempotency-Key must be at most 255 printable characters.", field="Idempotency-Key")
    return key


@dataclass(frozen=True, slots=True)
class Existing:
    """What a retry found."""

    state: IdempotencyState
    payment_id: int | None
    response_status: int | None
    response_body: dict[str, Any] | None


def find(session: Session, *, user_id: int, key: str, fingerprint: str) -> Existing | None:
    row = session.scalar(select(IdempotencyKey).where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key))
    if row is None:
        return None
    if row.request_hash != fingerprint:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was used with a different request body; use a new key for a new request."
        )
    return Existing(row.state, row.payment_id, row.response_status, row.response_body)


def claim(
    session: Session, *, user_id: int, key: str, endpoint: str, fingerprint: str, payment_id: int | None = None
) -> IdempotencyKey:
    """Insert the key row in the caller's transaction (raises IntegrityError if taken); ``payment_id``
    is the recovery point a retry resumes from."""
    row = IdempotencyKey(
        user_id=user_id,
        key=key,
        endpoint=endpoint,
        request_hash=fingerprint,
        state=IdempotencyState.IN_PROGRESS,
        payment_id=payment_id,
    )
    session.add(row)
    session.flush()
    return row


def finish(session: Session, *, user_id: int, key: str, status: int, body: dict[str, Any]) -> None:
    session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
        .values(state=IdempotencyState.DONE, response_status=status, response_body=body, updated_at=utcnow())
    )
