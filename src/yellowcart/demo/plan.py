"""Shared shapes of the in-memory market plan: what each build step hands to the next and to the writer.

Rows are plain dicts ready for ``session.execute(insert(Model), rows)``; the small dataclasses are the
facts later steps need (who sells what, at what price, from which stock row).
"""

from __future__ import annotations

import datetime as dt
import random
from bisect import bisect
from dataclasses import dataclass, field
from typing import Any

from yellowcart.catalog.modes import SellingMode
from yellowcart.sellers.models import SellerStatus

Row = dict[str, Any]

#: Demo data is laid out relative to this instant, never the wall clock, so a seed always yields
#: the same market. Callers may pass another ``as_of`` (e.g. today) to get fresh-looking orders.
REFERENCE_DATE = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def rng_for(seed: int, step: str) -> random.Random:
    """One independent generator per step: changing one step's draws never reshuffles another's."""
    return random.Random(f"yellowcart-demo:{seed}:{step}")


def weighted_index(rng: random.Random, cum_weights: list[float]) -> int:
    return bisect(cum_weights, rng.random() * cum_weights[-1])


@dataclass(slots=True)
class SellerPlan:
    id: int
    name: str
    slug: str
    status: SellerStatus
    mode: SellingMode
    departments: tuple[str, ...]
    store_url: str
    created_at: dt.datetime
    house_brand: str
    weight: float
    owner_user_id: int = 0
    warehouse_ids: list[int] = field(default_factory=list)


@dataclass(slots=True)
class VariantPlan:
    id: int
    product_id: int
    seller_id: int
    sku: str
    line_title: str
    mode: SellingMode
    price_cents: int
    sellable: bool  # active listing, active variant, active seller, closed loop
    stock_rows: list[int] = field(default_factory=list)  # indexes into StockPlan lists


@dataclass(slots=True)
class ShopperPlan:
    user_id: int
    address: dict[str, Any]
    created_at: dt.datetime


@dataclass(slots=True)
class StockPlan:
    """Stock rows as parallel lists so the order simulation can update ``reserved`` in place."""

    ids: list[int] = field(default_factory=list)
    variant_ids: list[int] = field(default_factory=list)
    warehouse_ids: list[int] = field(default_factory=list)
    on_hand: list[int] = field(default_factory=list)
    reserved: list[int] = field(default_factory=list)

    def add(self, variant_id: int, warehouse_id: int, on_hand: int) -> int:
        self.ids.append(len(self.ids) + 1)
        self.variant_ids.append(variant_id)
        self.warehouse_ids.append(warehouse_id)
        self.on_hand.append(on_hand)
        self.reserved.append(0)
        return len(self.ids) - 1

    def rows(self, at: dt.datetime) -> list[Row]:
        # Held units must exist: a reservation made when the shelf was fuller keeps on_hand >= reserved.
        return [
            {
                "id": sid,
                "variant_id": vid,
                "warehouse_id": wid,
                "on_hand": max(on_hand, reserved),
                "reserved": reserved,
                "updated_at": at,
            }
            for sid, vid, wid, on_hand, reserved in zip(
                self.ids, self.variant_ids, self.warehouse_ids, self.on_hand, self.reserved, strict=True
            )
        ]
