"""Shopify webhooks for a connected store: verify, de-duplicate, dispatch by topic.

Order of work matters: the HMAC is checked on the raw bytes before anything is parsed (a forged body
is never even read as JSON); then the delivery is claimed by inserting (connection, X-Shopify-Event-Id)
in a savepoint, so a retried or concurrently duplicated delivery hits the UNIQUE constraint and is
acknowledged without doing anything. Shopify retries every non-2xx answer, so whatever we understood
and recorded is a 200; only a bad signature (401), an unknown connection (404) and a body that is not
JSON (422) are not.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yellowcart.errors import InvalidInput, Unauthorized
from yellowcart.redirect import attribution, rules, stores
from yellowcart.redirect.attribution import AttributionConfig, Handled
from yellowcart.redirect.models import StoreConnection, StoreWebhookEvent

EVENT_ID_HEADER = "X-Shopify-Event-Id"
TOPIC_HEADER = "X-Shopify-Topic"


class BadSignature(Unauthorized):
    code, title = "bad_signature", "Webhook signature missing or wrong"


class MissingEventId(InvalidInput):
    code, title = "missing_event_id", "X-Shopify-Event-Id is required"


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header by case-insensitive name (ASGI lower-cases them; a plain dict may not)."""
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), None)


def parse_body(body: bytes) -> dict[str, Any]:
    """JSON with every non-integer number as a Decimal: money never passes through a float."""
    try:
        data = json.loads(body, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("The webhook body is not JSON.", field="body") from exc
    if not isinstance(data, dict):
        raise InvalidInput("The webhook body is not a JSON object.", field="body")
    return data


def _claim(
    session: Session, connection: StoreConnection, event_id: str, topic: str, now: dt.datetime
) -> StoreWebhookEvent | None:
    """Insert the delivery row; None when this event id was already handled (or is being handled)."""
    row = StoreWebhookEvent(
        connection_id=connection.id, event_id=event_id, topic=topic, outcome="received", received_at=now
    )
    session.flush()
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    return row


def _handler(
    topic: str, config: AttributionConfig
) -> Callable[[Session, StoreConnection, dict[str, Any], dt.datetime], Handled] | None:
    if topic == "orders/create":
        return lambda s, c, body, now: attribution.attribute_order(s, connection=c, order=body, config=config, now=now)
    if topic == "orders/cancelled":
        return lambda s, c, body, now: attribution.cancel_order(s, connection=c, order=body, now=now)
    if topic == "refunds/create":
        return lambda s, c, body, now: attribution.refund_order(s, connection=c, refund=body, now=now)
    return None


def handle_webhook(
    session: Session,
    *,
    connection_id: int,
    body: bytes,
    headers: Mapping[str, str],
    config: AttributionConfig,
    now: dt.datetime,
) -> Handled:
    """Verify, claim and handle one delivery; returns what was done (``duplicate`` for a repeat)."""
    connection = stores.webhook_connection(session, connection_id=connection_id)
    try:
        rules.verify_shopify(body, header(headers, rules.HMAC_HEADER), connection.webhook_secret)
    except rules.SignatureError as exc:
        raise BadSignature(str(exc)) from exc
    event_id = (header(headers, EVENT_ID_HEADER) or "").strip()
    if not event_id or len(event_id) > 128:
        raise MissingEventId(f"Send {EVENT_ID_HEADER} (1-128 characters).", field=EVENT_ID_HEADER)
    topic = (header(headers, TOPIC_HEADER) or "").strip()[:64]
    payload = parse_body(body)
    delivery = _claim(session, connection, event_id, topic, now)
    if delivery is None:
        return Handled("duplicate")
    handler = _handler(topic, config)
    done = handler(session, connection, payload, now) if handler else Handled("ignored", f"topic {topic or '-'}")
    delivery.outcome, delivery.detail = done.outcome[:32], done.detail[:200]
    session.flush()
    return done
