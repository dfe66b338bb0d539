"""Selling modes (see DESIGN.md): who sells, holds stock, ships and sets the price."""

from __future__ import annotations

import enum


class SellingMode(enum.StrEnum):
    REDIRECT = "redirect"
    SELLER_FULFILLED = "seller_fulfilled"
    FULL_CUSTODY = "full_custody"
    PLATFORM_OWNED = "platform_owned"

    @property
    def closed_loop(self) -> bool:
        """Closed-loop listings check out in-app; redirect listings link out to the seller's store."""
        return self is not SellingMode.REDIRECT
