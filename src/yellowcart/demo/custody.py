"""Full custody and platform-owned stock in the demo market: supply offers at every step of the price
check (some accepted, one countered, one rejected, the rest waiting), one consignment received into a
platform warehouse (with a damaged and a missing unit), a removal request, and one purchase order for
the platform's own store, received.

Unlike the bulk writers this step goes through the real services, after the market is written (ids
and sequences are settled by then), so every row is one the API could have made. Choices are
deterministic (lowest ids first) and times are laid out from the reference instant, never the wall
clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from yellowcart.auth.models import Role, User
from yellowcart.auth.service import Principal
from yellowcart.catalog import custody
from yellowcart.catalog.custody_models import SupplyOffer, SupplyOfferDecision
from yellowcart.catalog.models import Product, ProductStatus, Variant
from yellowcart.catalog.modes import SellingMode
from yellowcart.db import Database
from yellowcart.fulfillment.carriers.tracking_numbers import ups_check_digit
from yellowcart.inventory import inbound, purchasing, removals
from yellowcart.inventory.custody_rules import Count
from yellowcart.inventory.models import Warehouse, WarehouseOperator
from yellowcart.sellers.models import Seller, SellerStatus

OFFERS = 8
MIN_MARGIN_BPS = 1500  # the Settings default
SUPPLIER = "Lakeside Wholesale Supply"


@dataclass(frozen=True)
class CustodySummary:
    offers: int
    accepted: int
    consignment_id: int | None
    purchase_order_id: int | None


def add_custody(db: Database, reference: dt.datetime) -> CustodySummary:
    """Add the custody rows to a freshly written demo market (one transaction)."""
    with db.transaction() as session:
        ops = _principal(session, role=Role.OPERATOR)
        warehouse = session.scalar(
            select(Warehouse.id).where(Warehouse.operator == WarehouseOperator.PLATFORM).order_by(Warehouse.id)
        )
        if ops is None or warehouse is None:
            return CustodySummary(0, 0, None, None)
        picks = _consigned_variants(session)
        accepted = _price_checks(session, ops, picks, reference)
        consignment_id = _consignment(session, ops, accepted, warehouse, reference)
        purchase_order_id = _purchase_order(session, ops, warehouse, reference)
        return CustodySummary(len(picks), len(accepted), consignment_id, purchase_order_id)


def _principal(session: Session, *, role: Role, seller_id: int | None = None) -> Principal | None:
    query = select(User).where(User.role == role, User.is_active.is_(True)).order_by(User.id).limit(1)
    if seller_id is not None:
        query = query.where(User.seller_id == seller_id)
    user = session.scalar(query)
    return None if user is None else Principal(user_id=user.id, role=user.role, seller_id=user.seller_id)


def _consigned_variants(session: Session) -> list[Variant]:
    """Full-custody variants on sale by active sellers, the demo seller's (#1) first."""
    rows = session.scalars(
        select(Variant)
        .join(Product, Product.id == Variant.product_id)
        .join(Seller, Seller.id == Product.seller_id)
        .where(
            Product.selling_mode == SellingMode.FULL_CUSTODY,
            Product.status == ProductStatus.ACTIVE,
            Seller.status == SellerStatus.ACTIVE,
            Variant.is_active.is_(True),
            Variant.price_cents >= 100,
        )
        .order_by((Product.seller_id != 1), Variant.id)
        .limit(OFFERS)
    )
    return list(rows)


def _price_checks(
    session: Session, ops: Principal, picks: Sequence[Variant], reference: dt.datetime
) -> list[tuple[Variant, Principal]]:
    """Offer ~55% of retail for each pick; the first half is accepted at the current retail price,
    then one counter-offer waits for its seller, one is rejected, the rest wait in the queue."""
    accepted: list[tuple[Variant, Principal]] = []
    for i, variant in enumerate(picks):
        seller_id = session.get_one(Product, variant.product_id).seller_id
        seller = _principal(session, role=Role.SELLER, seller_id=seller_id)
        if seller is None:
            continue
        offered_at = reference - dt.timedelta(days=30 - i)
        supply = max(1, variant.price_cents * (52 + i % 7) // 100)
        offer = custody.offer_supply_price(
            session, principal=seller, variant_id=variant.id, supply_price_cents=supply, samples=2 + i % 3,
            note="samples sent with the offer" if i % 2 == 0 else None,
        )  # fmt: skip
        _backdate(session, offer, offered_at)
        decided_at = offered_at + dt.timedelta(days=2)
        if i < len(picks) // 2:
            custody.accept_offer(
                session, principal=ops, offer_id=offer.id, price_cents=variant.price_cents,
                min_margin_bps=MIN_MARGIN_BPS, now=decided_at,
            )  # fmt: skip
            accepted.append((variant, seller))
        elif i == len(picks) // 2:
            custody.counter_offer(
                session, principal=ops, offer_id=offer.id, supply_price_cents=max(1, supply * 9 // 10),
                price_cents=variant.price_cents, min_margin_bps=MIN_MARGIN_BPS,
                reason="similar items sell for less", now=decided_at,
            )  # fmt: skip
        elif i == len(picks) // 2 + 1:
            custody.reject_offer(
                session, principal=ops, offer_id=offer.id, reason="samples failed the quality check", now=decided_at
            )
    return accepted


def _backdate(session: Session, offer: SupplyOffer, at: dt.datetime) -> None:
    """``offer_supply_price`` stamps the wall clock; the demo lives at its reference instant."""
    session.execute(update(SupplyOffer).where(SupplyOffer.id == offer.id).values(created_at=at))
    session.execute(update(SupplyOfferDecision).where(SupplyOfferDecision.offer_id == offer.id).values(created_at=at))
    session.refresh(offer)


def _consignment(
    session: Session,
    ops: Principal,
    accepted: Sequence[tuple[Variant, Principal]],
    warehouse_id: int,
    reference: dt.datetime,
) -> int | None:
    """The first accepted seller's priced SKUs arrive: one damaged and one missing unit on the first
    line; then the seller asks for two units of it back."""
    if not accepted:
        return None
    seller = accepted[0][1]
    skus = [v.sku for v, who in accepted if who.seller_id == seller.seller_id]
    lines = [(sku, 24 - 6 * (n % 3)) for n, sku in enumerate(skus)]
    created = reference - dt.timedelta(days=20)
    spec = inbound.NewConsignment(
        warehouse_id=warehouse_id,
        expected_arrival=(reference - dt.timedelta(days=14)).date(),
        lines=lines,
        note="2 cartons",
    )
    asn = inbound.create_consignment(session, principal=seller, spec=spec, now=created)
    tracking = "1ZYC" + f"{asn.id:013d}"[-13:]
    inbound.ship_consignment(
        session, principal=seller, consignment_id=asn.id, carrier="ups",
        tracking_number=tracking + str(ups_check_digit(tracking[2:])), now=created + dt.timedelta(days=1),
    )  # fmt: skip
    counts = {sku: Count(received=qty) for sku, qty in lines}
    first_sku, first_qty = lines[0]
    counts[first_sku] = Count(received=first_qty - 2, damaged=1, short=1)
    inbound.receive_consignment(
        session, principal=ops, consignment_id=asn.id, counts=counts, now=reference - dt.timedelta(days=14)
    )
    removals.request_removal(
        session, principal=seller, sku=first_sku, warehouse_id=warehouse_id, quantity=2,
        note="for a trade show", now=reference - dt.timedelta(days=3),
    )  # fmt: skip
    return asn.id


def _purchase_order(session: Session, ops: Principal, warehouse_id: int, reference: dt.datetime) -> int | None:
    """The platform's own store restocks its two first listings from a wholesaler, at ~40% of retail."""
    variants = session.scalars(
        select(Variant)
        .join(Product, Product.id == Variant.product_id)
        .where(Product.selling_mode == SellingMode.PLATFORM_OWNED, Variant.is_active.is_(True))
        .order_by(Variant.id)
        .limit(2)
    ).all()
    if not variants:
        return None
    spec = purchasing.NewPurchaseOrder(
        supplier_name=SUPPLIER,
        supplier_contact="orders@lakeside-wholesale.example",
        warehouse_id=warehouse_id,
        expected_arrival=(reference - dt.timedelta(days=10)).date(),
        lines=[(v.sku, 48 // (n + 1), max(1, v.price_cents * 2 // 5)) for n, v in enumerate(variants)],
    )
    po = purchasing.create_purchase_order(session, principal=ops, spec=spec, now=reference - dt.timedelta(days=18))
    purchasing.place_purchase_order(session, principal=ops, order_id=po.id, now=reference - dt.timedelta(days=17))
    counts = {sku: Count(received=qty) for sku, qty, _ in spec.lines}
    purchasing.receive_purchase_order(
        session, principal=ops, order_id=po.id, counts=counts, now=reference - dt.timedelta(days=10)
    )
    return po.id
