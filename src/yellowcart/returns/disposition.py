"""What happens to a returned unit after inspection: the grade and the category decide (pure), then
the action runs through the owning domains (stock back to the warehouse, an open-box variant).

Grades: A like new, B open box, C damaged, D unsellable. Dispositions and their expected recovery as
a share of the unit's price (planning figures a merchandising team would set, not measured here):

=================  =========  =====================================================================
restock            100%       A: back into sellable stock at the warehouse it came back to
open_box           70%        B: resold as the listing's open-box variant (30% off, see OPEN_BOX_*)
liquidate          15%        C (and B where hygiene forbids resale): sold by the pallet
return_to_seller   0%         full custody, B-D: the consignor's goods go back to it (no platform value)
dispose            0%         D, and anything perishable: destroyed
=================  =========  =====================================================================

Perishable and hygiene categories never go back on the shelf once they left it (grocery, opened
beauty and health items): A is restocked only where the seal makes that safe (beauty A: sealed).
"""

from __future__ import annotations

import enum
from decimal import Decimal

from yellowcart.money import percent_of


class Grade(enum.StrEnum):
    A = "A"
    B = "B"
    C = "C"
    D = "D"


class Disposition(enum.StrEnum):
    RESTOCK = "restock"
    OPEN_BOX = "open_box"
    LIQUIDATE = "liquidate"
    RETURN_TO_SELLER = "return_to_seller"
    DISPOSE = "dispose"


RECOVERY_BPS = {
    Disposition.RESTOCK: 10_000,
    Disposition.OPEN_BOX: 7_000,
    Disposition.LIQUIDATE: 1_500,
    Disposition.RETURN_TO_SELLER: 0,
    Disposition.DISPOSE: 0,
}
OPEN_BOX_DISCOUNT_BPS = 3_000
PERISHABLE = ("grocery/",)
HYGIENE = ("beauty/", "health-household/", "baby/feeding/")


def disposition(grade: Grade, *, category_path: str, mode: str) -> Disposition:
    """The disposition for one graded unit."""
    if category_path.startswith(PERISHABLE):
        return Disposition.DISPOSE
    if grade is Grade.D:
        return Disposition.DISPOSE
    if grade is Grade.A:
        return Disposition.RESTOCK
    if mode == "full_custody":
        return Disposition.RETURN_TO_SELLER  # consigned goods that are not like new go back to their owner
    if grade is Grade.B and not category_path.startswith(HYGIENE):
        return Disposition.OPEN_BOX
    return Disposition.LIQUIDATE


def recovery_cents(kind: Disposition, *, unit_price_cents: int, units: int) -> int:
    return percent_of(unit_price_cents * units, Decimal(RECOVERY_BPS[kind]) / 10_000)
