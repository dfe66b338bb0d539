"""Open-box resale: a returned unit graded "open box" is sold again as its own variant of the same
listing (same product page, content anchors and reviews), marked down from the new price."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from yellowcart.catalog.models import Variant
from yellowcart.errors import NotFound
from yellowcart.money import percent_of

CONDITION = "Condition"
OPEN_BOX = "Open box"
SUFFIX = "-OB"


def open_box_variant(session: Session, *, variant_id: int, discount_bps: int) -> Variant:
    """The open-box twin of a variant (created once, then reused): SKU ``<sku>-OB``, the same options
    plus ``Condition: Open box``, priced ``discount_bps`` below the new price, which becomes its
    compare-at price."""
    new = session.get(Variant, variant_id)
    if new is None:
        raise NotFound(f"Variant {variant_id} does not exist.")
    if (new.options or {}).get(CONDITION) == OPEN_BOX:
        return new
    sku = f"{new.sku}{SUFFIX}"[:64]
    twin = session.scalar(select(Variant).where(Variant.sku == sku))
    if twin is not None:
        return twin
    price = new.price_cents - percent_of(new.price_cents, Decimal(discount_bps) / 10_000)
    twin = Variant(
        product_id=new.product_id,
        sku=sku,
        options={**(new.options or {}), CONDITION: OPEN_BOX},
        price_cents=price,
        compare_at_cents=new.price_cents,
        weight_grams=new.weight_grams,
        supply_price_cents=new.supply_price_cents,
        is_active=True,
    )
    session.add(twin)
    session.flush()
    return twin
