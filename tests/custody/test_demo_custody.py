"""The demo market carries full custody and platform-owned stock made through the real services:
offers at every step of the price check, a received consignment whose good units are on the shelves,
a removal request, and a received purchase order."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from yellowcart import models
from yellowcart.catalog.custody_models import OfferStatus, SupplyOffer
from yellowcart.catalog.models import Variant
from yellowcart.db import Database
from yellowcart.demo.generate import generate_market
from yellowcart.demo.plan import REFERENCE_DATE
from yellowcart.inventory.custody_models import (
    ConsignmentStatus,
    InboundConsignment,
    PurchaseOrder,
    PurchaseOrderStatus,
    StockReceipt,
    StockRemoval,
)
from yellowcart.inventory.models import Stock


def test_demo_market_has_custody_rows(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path}/demo.db")
    models.Base.metadata.create_all(db.engine)
    generate_market(db, seed=3, scale=0.05, progress=False)
    with db.transaction() as s:
        statuses = dict(s.execute(select(SupplyOffer.status, func.count()).group_by(SupplyOffer.status)).all())
        assert {OfferStatus.ACCEPTED, OfferStatus.OPEN, OfferStatus.COUNTERED, OfferStatus.REJECTED} <= set(statuses)
        for offer in s.scalars(select(SupplyOffer).where(SupplyOffer.status == OfferStatus.ACCEPTED)):
            variant = s.get_one(Variant, offer.variant_id)
            assert (variant.supply_price_cents, variant.price_cents) == (offer.accepted_supply_cents, offer.price_cents)
            assert offer.created_at < REFERENCE_DATE  # laid out from the reference instant, not the wall clock
        asn = s.scalars(select(InboundConsignment)).one()
        assert asn.status is ConsignmentStatus.RECEIVED
        receipts = s.scalars(select(StockReceipt)).all()
        assert any(r.damaged and r.short for r in receipts)
        for r in receipts:  # every good unit is on the shelf it was received to
            assert s.get_one(Stock, r.stock_id).on_hand >= r.received > 0
        assert s.scalars(select(PurchaseOrder)).one().status is PurchaseOrderStatus.RECEIVED
        assert s.scalars(select(StockRemoval)).one().seller_id == asn.seller_id
    db.dispose()
