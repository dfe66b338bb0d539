"""Full custody price check tables: the seller's supply offers and the append-only log of decisions.

One live offer per variant is a database rule, not only a Python one: ``open_variant_id`` equals
``variant_id`` while the offer is open or countered and is NULL once it is settled, and it is UNIQUE
(NULLs never collide, on SQLite and PostgreSQL alike, which a partial index would not give portably).
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from yellowcart.db import Base, UTCDateTime, str_enum, utcnow


class OfferStatus(enum.StrEnum):
    OPEN = "open"  # waiting for the operator's price check
    COUNTERED = "countered"  # the operator proposed another supply price: the seller answers
    ACCEPTED = "accepted"  # the variant is priced (supply and retail)
    REJECTED = "rejected"  # the operator said no
    DECLINED = "declined"  # the seller declined the counter-offer
    SUPERSEDED = "superseded"  # a newer offer for the variant replaced it


#: Offers still waiting for someone: at most one per variant.
LIVE_OFFERS = frozenset({OfferStatus.OPEN, OfferStatus.COUNTERED})


class DecisionAction(enum.StrEnum):
    OFFERED = "offered"
    SUPERSEDED = "superseded"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    COUNTERED = "countered"
    COUNTER_ACCEPTED = "counter_accepted"
    COUNTER_DECLINED = "counter_declined"


class SupplyOffer(Base):
    """A seller's supply price for one full-custody variant, and where the price check left it."""

    __tablename__ = "supply_offers"
    __table_args__ = (
        CheckConstraint("supply_price_cents > 0", name="supply_price_positive"),
        CheckConstraint("samples >= 0", name="samples_not_negative"),
        CheckConstraint("counter_supply_cents IS NULL OR counter_supply_cents > 0", name="counter_positive"),
        CheckConstraint("price_cents IS NULL OR price_cents > 0", name="price_positive"),
        CheckConstraint(
            "accepted_supply_cents IS NULL OR (price_cents IS NOT NULL AND price_cents >= accepted_supply_cents)",
            name="price_covers_supply",
        ),
        CheckConstraint(
            "(status IN ('open', 'countered') AND open_variant_id = variant_id)"
            " OR (status NOT IN ('open', 'countered') AND open_variant_id IS NULL)",
            name="open_slot",
        ),
        CheckConstraint("status <> 'accepted' OR accepted_supply_cents IS NOT NULL", name="accepted_has_price"),
        Index("ix_supply_offers_seller_status", "seller_id", "status"),
        Index("ix_supply_offers_status", "status"),
        Index("ix_supply_offers_variant", "variant_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"))
    open_variant_id: Mapped[int | None] = mapped_column(unique=True)  # the one-live-offer slot (see module doc)
    status: Mapped[OfferStatus] = mapped_column(str_enum(OfferStatus, 16), default=OfferStatus.OPEN)
    supply_price_cents: Mapped[int]  # what the seller offered
    samples: Mapped[int] = mapped_column(default=0)  # units sent for the quality check
    note: Mapped[str | None] = mapped_column(String(500))
    counter_supply_cents: Mapped[int | None]  # the operator's counter-offer
    price_cents: Mapped[int | None]  # retail: set on acceptance, proposed with a counter-offer
    accepted_supply_cents: Mapped[int | None]  # the supply price in force once accepted
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class SupplyOfferDecision(Base):
    """Append-only history of an offer: who did what, when, at which prices, and why."""

    __tablename__ = "supply_offer_decisions"
    __table_args__ = (
        CheckConstraint("supply_price_cents IS NULL OR supply_price_cents > 0", name="supply_positive"),
        CheckConstraint("price_cents IS NULL OR price_cents > 0", name="price_positive"),
        CheckConstraint("NOT margin_override OR reason IS NOT NULL", name="override_has_reason"),
        Index("ix_supply_offer_decisions_offer", "offer_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("supply_offers.id", ondelete="CASCADE"))
    action: Mapped[DecisionAction] = mapped_column(str_enum(DecisionAction, 24))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_role: Mapped[str] = mapped_column(String(16))
    supply_price_cents: Mapped[int | None]
    price_cents: Mapped[int | None]
    margin_bps: Mapped[int | None]  # (retail - supply) / retail in basis points, when a retail price was set
    margin_override: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
