"""Hold-out assignment: a fixed, configurable share of shoppers is never shown a promotion, so its lift
can be measured against them. The assignment is a pure function of (promotion, shopper): stable across
processes and restarts, independent between promotions, and needs no table."""

from __future__ import annotations

import hashlib

BUCKETS = 10_000


def bucket(promotion_id: int, shopper_id: int) -> int:
    """The shopper's bucket for this promotion, uniform in [0, 10,000)."""
    digest = hashlib.blake2b(f"yc-holdout:{promotion_id}:{shopper_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % BUCKETS


def held_out(promotion_id: int, shopper_id: int, holdout_bps: int) -> bool:
    """True when the shopper is in the promotion's hold-out group (``holdout_bps`` of 10,000)."""
    return holdout_bps > 0 and bucket(promotion_id, shopper_id) < holdout_bps
