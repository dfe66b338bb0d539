"""Custody rules the database itself keeps (SQLite and PostgreSQL), and the service signature other
domains call: one live offer per variant, counts that add up, one receipt per document line."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from custody.custody_world import variant_of
from support import Market
from yellowcart.auth.models import Role, User
from yellowcart.auth.service import Principal
from yellowcart.catalog.custody import SupplyOffer, offer_supply_price
from yellowcart.catalog.custody_models import OfferStatus
from yellowcart.catalog.modes import SellingMode
from yellowcart.db import Database
from yellowcart.errors import NotFound
from yellowcart.inventory.custody_models import ConsignmentStatus, InboundConsignment, InboundLine, StockReceipt
from yellowcart.inventory.models import Stock


def _seller_principal(db: Database, market: Market, seller_id: int) -> Principal:
    market.user(f"staff-{seller_id}", Role.SELLER, seller_id)
    with db.transaction() as s:
        user = s.scalars(select(User).where(User.seller_id == seller_id)).one()
        return Principal(user_id=user.id, role=Role.SELLER, seller_id=seller_id)


def test_offer_supply_price_keeps_one_live_offer_per_variant(db: Database, market: Market) -> None:
    acme = market.seller("acme")
    sku = market.product(acme, stock=0, mode=SellingMode.FULL_CUSTODY)
    variant_id = variant_of(db, sku).id
    who = _seller_principal(db, market, acme)
    with db.transaction() as s:
        first = offer_supply_price(s, principal=who, variant_id=variant_id, supply_price_cents=1000)
        second = offer_supply_price(
            s, principal=who, variant_id=variant_id, supply_price_cents=950, samples=2, note="revised"
        )
        assert isinstance(second, SupplyOffer)
        first_id, second_id = first.id, second.id
    with db.transaction() as s:
        statuses = dict(s.execute(select(SupplyOffer.id, SupplyOffer.status)).all())
    assert statuses == {first_id: OfferStatus.SUPERSEDED, second_id: OfferStatus.OPEN}
    # the database refuses a second live offer even when Python is bypassed
    row: dict[str, Any] = {
        "variant_id": variant_id, "product_id": 1, "seller_id": acme, "open_variant_id": variant_id,
        "status": "open", "supply_price_cents": 900, "samples": 0,
    }  # fmt: skip
    with db.transaction() as s:
        row["product_id"] = s.get_one(SupplyOffer, second_id).product_id
    with pytest.raises(IntegrityError), db.transaction() as s:
        s.execute(insert(SupplyOffer).values(**row))
    with pytest.raises(IntegrityError), db.transaction() as s:  # open_variant_id must match the status
        s.execute(insert(SupplyOffer).values(**{**row, "status": "rejected"}))
    other = market.seller("other")
    stranger = _seller_principal(db, market, other)
    with pytest.raises(NotFound), db.transaction() as s:
        offer_supply_price(s, principal=stranger, variant_id=variant_id, supply_price_cents=1)


def test_receipts_add_up_and_are_unique_per_line(db: Database, market: Market) -> None:
    acme = market.seller("acme")
    sku = market.product(acme, stock=0, mode=SellingMode.FULL_CUSTODY)
    variant_id = variant_of(db, sku).id
    with db.transaction() as s:
        stock_id = s.scalars(select(Stock.id).where(Stock.variant_id == variant_id)).one()
        wh = s.get_one(Stock, stock_id).warehouse_id
        asn = InboundConsignment(
            seller_id=acme,
            warehouse_id=wh,
            status=ConsignmentStatus.SHIPPED,
            expected_arrival=dt.date(2030, 1, 7),
            lines=[InboundLine(variant_id=variant_id, quantity=10)],
        )
        s.add(asn)
        s.flush()
        line_id = asn.lines[0].id
    base = {
        "inbound_line_id": line_id, "warehouse_id": wh, "variant_id": variant_id, "stock_id": stock_id,
        "expected": 10, "received": 8, "damaged": 1, "short": 1, "surplus": 0,
    }  # fmt: skip
    broken = [
        {"short": 2},  # 8 + 1 + 2 is not 10
        {"received": 10, "short": 1, "surplus": 2},  # adds up, but short and surplus at once
        {"inbound_line_id": None},  # a receipt of no line
        {"received": -1, "short": 3},  # adds up, but a negative count
    ]
    for change in broken:
        with pytest.raises(IntegrityError), db.transaction() as s:
            s.execute(insert(StockReceipt).values(**{**base, **change}))
    with db.transaction() as s:
        s.execute(insert(StockReceipt).values(**base))
    with pytest.raises(IntegrityError), db.transaction() as s:
        s.execute(insert(StockReceipt).values(**base))
