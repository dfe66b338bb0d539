"""Flash deals: a ``flash_deal`` promotion is sold through the live-deals machinery as a deal without a
room. Activating the promotion creates the ``LiveDeal`` (price = list price minus the discount, was =
list price, quantity = the cap, the promotion's per-shopper limit and window); the deal sets its units
aside when it starts and gives the unsold ones back when it ends, exactly as a room's deal does, so a
flash deal can never be oversold. Ending the promotion ends the deal; the deal ending (its window, sold
out, stock short) ends the promotion (``jobs``).

Live's own tables are written only through ``yellowcart.live.deals``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from yellowcart.catalog.models import Product, ProductStatus, Variant
from yellowcart.catalog.modes import SellingMode
from yellowcart.errors import Conflict, InvalidInput
from yellowcart.live import deal_rules, deals
from yellowcart.live.deal_models import DealStatus, LiveDeal
from yellowcart.money import percent_of
from yellowcart.promotions.models import Promotion

OPEN = (DealStatus.SCHEDULED, DealStatus.RUNNING)
#: deal_rules' names for the deal's terms -> the promotion's fields.
_FIELDS = {"price_cents": "percent_off_bps", "quantity": "quantity_cap"}


class FlashDealExists(Conflict):
    code, title = "flash_deal_exists", "The variant already has a scheduled or running flash deal"


def deal_price(was_cents: int, *, percent_off_bps: int | None, amount_off_cents: int | None) -> int:
    """The list price minus the discount (percentages round half-up to the cent)."""
    if percent_off_bps is not None:
        return was_cents - percent_of(was_cents, Decimal(percent_off_bps) / Decimal(10_000))
    return was_cents - (amount_off_cents or 0)


def _listing(session: Session, variant_id: int) -> tuple[Variant, Product] | None:
    row = session.execute(
        select(Variant, Product).join(Product, Product.id == Variant.product_id).where(Variant.id == variant_id)
    ).one_or_none()
    return None if row is None else (row[0], row[1])


def problems(session: Session, values: Mapping[str, Any], *, now: dt.datetime) -> dict[str, str]:
    """What is wrong with a flash deal's listing and terms (field -> why); empty when it can run.
    The variant must be on sale in the app; a deal the seller (co-)funds only on listings it prices
    itself (seller fulfilled); the price above zero and, in full custody, not below the supply price;
    10 seconds to 24 hours, as a live deal."""
    ids = values.get("variant_ids") or []
    found = _listing(session, int(ids[0])) if len(ids) == 1 else None
    if found is None:
        return {}  # the missing or unknown variant is reported by the scope checks
    variant, product = found
    sellable = product.status is ProductStatus.ACTIVE and variant.is_active and product.selling_mode.closed_loop
    supply = variant.supply_price_cents if product.selling_mode is SellingMode.FULL_CUSTODY else None
    if not sellable or (product.selling_mode is SellingMode.FULL_CUSTODY and supply is None):
        return {"variant_ids": f"variant {variant.id} ({variant.sku}) is not on sale in the app"}
    if values["seller_share_bps"] > 0 and product.selling_mode is not SellingMode.SELLER_FULFILLED:
        return {"variant_ids": "a seller funds deals only on listings it prices and ships itself (seller fulfilled)"}
    price = deal_price(
        variant.price_cents, percent_off_bps=values["percent_off_bps"], amount_off_cents=values["amount_off_cents"]
    )
    terms = deal_rules.Terms(
        price_cents=price,
        was_cents=variant.price_cents,
        supply_price_cents=supply,
        quantity=int(values["quantity_cap"] or 0),
        per_shopper_limit=values["per_shopper_limit"],
        starts_at=values["starts_at"],
        ends_at=values["ends_at"],
    )
    wrong = deal_rules.term_problems(terms, now=now)
    if "price_cents" in wrong and values["percent_off_bps"] is None:
        wrong["amount_off_cents"] = wrong.pop("price_cents")
    return {_FIELDS.get(k, k): f"{v} (deal price {price} cents)" if k == "price_cents" else v for k, v in wrong.items()}


def open_deal(session: Session, promotion: Promotion, *, now: dt.datetime) -> LiveDeal:
    """Create the promotion's live deal (room-less) and, when its window has begun, start it at once:
    the units are set aside now (409 ``insufficient_stock`` when the SKU is short, nothing kept)."""
    variant_id = int((promotion.variant_ids or [0])[0])
    found = _listing(session, variant_id)
    wrong = problems(session, _values(promotion), now=now)
    if found is None or wrong:
        field = next(iter(wrong), "variant_ids")
        raise InvalidInput(f"{field} {wrong.get(field, 'unknown variant')}.", field=field, problems=wrong)
    variant, product = found
    taken = session.scalar(
        select(exists().where(LiveDeal.room_id.is_(None), LiveDeal.variant_id == variant.id, LiveDeal.status.in_(OPEN)))
    )
    if taken:
        raise FlashDealExists(f"SKU {variant.sku} already has a scheduled or running flash deal.", sku=variant.sku)
    deal = LiveDeal(
        room_id=None,
        product_id=product.id,
        variant_id=variant.id,
        sku=variant.sku,
        created_by=promotion.created_by,
        price_cents=deal_price(
            variant.price_cents,
            percent_off_bps=promotion.percent_off_bps,
            amount_off_cents=promotion.amount_off_cents,
        ),
        was_cents=variant.price_cents,
        quantity=int(promotion.quantity_cap or 0),
        remaining=int(promotion.quantity_cap or 0),
        per_shopper_limit=promotion.per_shopper_limit,
        status=DealStatus.SCHEDULED,
        starts_at=promotion.starts_at,
        ends_at=promotion.ends_at,
    )
    session.add(deal)
    session.flush()
    promotion.deal_id = deal.id
    if promotion.starts_at <= now:
        deals.start_deal(session, deal_id=deal.id, now=now)
    return deal


def close_deal(session: Session, promotion: Promotion, *, reason: str, now: dt.datetime) -> None:
    """End the promotion's deal (running: the unsold units go back to the SKU; scheduled: cancelled)."""
    if promotion.deal_id is not None:
        deals.end_deal(session, deal_id=promotion.deal_id, reason=reason, now=now)


def deals_of(session: Session, promotions: Iterable[Promotion]) -> dict[int, LiveDeal]:
    """The live deals of some flash promotions, in one query (deal id -> deal)."""
    ids = sorted({p.deal_id for p in promotions if p.deal_id is not None})
    if not ids:
        return {}
    return {d.id: d for d in session.scalars(select(LiveDeal).where(LiveDeal.id.in_(ids)))}


def _values(p: Promotion) -> dict[str, Any]:
    return {
        "variant_ids": p.variant_ids,
        "seller_share_bps": p.seller_share_bps,
        "percent_off_bps": p.percent_off_bps,
        "amount_off_cents": p.amount_off_cents,
        "quantity_cap": p.quantity_cap,
        "per_shopper_limit": p.per_shopper_limit,
        "starts_at": p.starts_at,
        "ends_at": p.ends_at,
    }
