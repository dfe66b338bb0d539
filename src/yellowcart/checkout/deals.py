"""Checkout's side of deals: an item with ``deal_id`` (and the ``room_id`` of a live deal; none for a
flash deal) is priced at the deal price (taxed on it; the normal price shown as ``was_cents``) and its
units come from the deal's set-aside instead of the SKU's open stock. The deal's own rules live in
``yellowcart.live``."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from sqlalchemy.orm import Session

from yellowcart.checkout import pricing, service
from yellowcart.checkout.schemas import CheckoutRequest, DealLineOut
from yellowcart.db import Database
from yellowcart.inventory.holds import Hold
from yellowcart.live import deal_checkout
from yellowcart.live.deal_checkout import Claim, Offer

__all__ = ["Claim", "Offer"]
from yellowcart.orders.models import Order


def plain_items(request: CheckoutRequest) -> list[tuple[str, int]]:
    """The items bought at the normal price."""
    return [(i.sku, i.quantity) for i in request.items or [] if i.deal_id is None]


def resolve(
    session: Session, *, request: CheckoutRequest, now: dt.datetime
) -> tuple[list[pricing.LineInput], list[Offer]]:
    """Deal items as priced lines, refusing (409, before anything is written) a deal that is not
    running in that room right now. A deal never charges more than the listing's price of the moment."""
    offers = [
        deal_checkout.offer(session, deal_id=i.deal_id, room_id=i.room_id, sku=i.sku, quantity=i.quantity, now=now)
        for i in request.items or []
        if i.deal_id is not None
    ]
    if not offers:
        return [], []
    normal = {ln.sku: ln for ln in service.resolve_lines(session, items=[(o.sku, o.quantity) for o in offers])}
    lines = [
        dataclasses.replace(
            normal[o.sku],
            unit_price_cents=min(o.price_cents, normal[o.sku].unit_price_cents),
            deal_id=o.deal_id,
            was_cents=normal[o.sku].unit_price_cents,
        )
        for o in offers
    ]
    return lines, offers


def take(db: Database, session: Session, *, user_id: int, offers: Sequence[Offer], ttl: dt.timedelta) -> list[Claim]:
    return deal_checkout.claim(db, session, user_id=user_id, offers=offers, ttl=ttl) if offers else []


def holds_of(claims: Sequence[Claim]) -> list[Hold]:
    return [h for c in claims for h in c.holds]


def give_back(db: Database, claims: Sequence[Claim]) -> None:
    deal_checkout.give_back(db, claims)


def record(
    session: Session, *, claims: Sequence[Claim], orders: Sequence[Order], lines: Sequence[pricing.LineInput]
) -> None:
    was = {ln.variant_id: ln.was_cents or ln.unit_price_cents for ln in lines if ln.deal_id is not None}
    deal_checkout.record(session, claims=claims, orders=orders, was_cents=was)


def priced(lines: Sequence[pricing.LineInput], offers: Sequence[Offer]) -> list[DealLineOut]:
    """What the shopper paid through deals, beside the normal price."""
    rooms = {o.deal_id: o.room_id for o in offers}
    return [
        DealLineOut(
            sku=ln.sku,
            deal_id=ln.deal_id,
            room_id=rooms[ln.deal_id],
            quantity=ln.quantity,
            unit_price_cents=ln.unit_price_cents,
            was_cents=ln.was_cents or ln.unit_price_cents,
        )
        for ln in lines
        if ln.deal_id is not None
    ]


def of_orders(session: Session, orders: Sequence[Order]) -> list[DealLineOut]:
    found = deal_checkout.bought(session, order_ids=[o.id for o in orders])
    return [DealLineOut.model_validate(b, from_attributes=True) for b in found]
