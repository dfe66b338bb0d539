"""Full custody price check: the seller offers a supply price (and samples) per variant; an operator
accepts it with a retail price, rejects it, or counters with another supply price the seller accepts
or declines. Accepting prices the variant (``supply_price_cents``, ``price_cents``) and puts a draft
product on sale once every active variant is priced.

Each variant has at most one live offer (a new one supersedes it: UNIQUE ``open_variant_id``), and
every step appends a ``supply_offer_decisions`` row (who, when, prices, why). The variant row is
locked before its offers change, so two requests about one variant queue instead of racing.
The catalog owns these tables; money owed to the seller is the ledger's, from the supply price that
order lines snapshot at checkout.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.catalog.custody_models import (
    LIVE_OFFERS,
    DecisionAction,
    OfferStatus,
    SupplyOffer,
    SupplyOfferDecision,
)
from yellowcart.catalog.custody_rules import check_retail_price, margin_bps
from yellowcart.catalog.models import Product, ProductStatus, Variant
from yellowcart.catalog.modes import SellingMode
from yellowcart.catalog.schemas import MAX_PRICE_CENTS
from yellowcart.catalog.service import manages
from yellowcart.db import flush_guarded, utcnow
from yellowcart.errors import Conflict, Forbidden, InvalidInput, InvalidTransition, NotFound
from yellowcart.events import emit
from yellowcart.sellers.models import Seller, SellerStatus

__all__ = [
    "OfferView",
    "SupplyOffer",
    "accept_offer",
    "answer_counter",
    "counter_offer",
    "get_offer",
    "list_offers",
    "offer_supply_price",
    "reject_offer",
]

MAX_SAMPLES = 10_000
MAX_TEXT = 500


class NotFullCustody(InvalidInput):
    code, title = "not_full_custody", "Not a full-custody listing"


class OfferConflict(Conflict):
    code, title = "offer_conflict", "Another offer for this variant was made at the same time"


@dataclass(frozen=True, slots=True)
class OfferView:
    """An offer with what every view of it shows: its SKU and (on detail) its decision history."""

    offer: SupplyOffer
    sku: str
    decisions: Sequence[SupplyOfferDecision] = ()


# ---- the seller offers ---------------------------------------------------------------------------


def offer_supply_price(
    session: Session,
    *,
    principal: Principal,
    variant_id: int,
    supply_price_cents: int,
    samples: int = 0,
    note: str | None = None,
) -> SupplyOffer:
    """Offer a supply price for a full-custody variant of the caller's product (operators may record
    one on a seller's behalf). A live offer for the variant is superseded by this one."""
    _check_offer_input(supply_price_cents, samples, note)
    variant, product = _variant_for_offer(session, principal, variant_id)
    now = utcnow()
    live = session.scalar(select(SupplyOffer).where(SupplyOffer.open_variant_id == variant.id).with_for_update())
    if live is not None:
        _settle(live, OfferStatus.SUPERSEDED, now)
        _record(session, live, DecisionAction.SUPERSEDED, principal, now, reason="a newer offer replaced it")
    offer = SupplyOffer(
        variant_id=variant.id,
        product_id=product.id,
        seller_id=product.seller_id,
        open_variant_id=variant.id,
        status=OfferStatus.OPEN,
        supply_price_cents=supply_price_cents,
        samples=samples,
        note=note,
        created_by=principal.user_id,
        created_at=now,
    )
    flush_guarded(
        session,
        lambda: session.add(offer),
        lambda: OfferConflict("Another offer for this variant was made at the same time; retry."),
    )
    _record(session, offer, DecisionAction.OFFERED, principal, now, supply=supply_price_cents, reason=note)
    return offer


def _check_offer_input(supply_price_cents: int, samples: int, note: str | None) -> None:
    """The API validates these too; other domains call this function directly."""
    if not 0 < supply_price_cents <= MAX_PRICE_CENTS:
        raise InvalidInput(f"supply_price_cents must be 1..{MAX_PRICE_CENTS}.", field="supply_price_cents")
    if not 0 <= samples <= MAX_SAMPLES:
        raise InvalidInput(f"samples must be 0..{MAX_SAMPLES}.", field="samples")
    if note is not None and len(note) > MAX_TEXT:
        raise InvalidInput(f"note is at most {MAX_TEXT} characters.", field="note")


def _variant_for_offer(session: Session, principal: Principal, variant_id: int) -> tuple[Variant, Product]:
    """The variant, locked, if the caller manages its product and the product is full custody."""
    if principal.role not in (Role.SELLER, Role.OPERATOR):
        raise Forbidden("Only sellers and operators make supply offers.")
    row = session.execute(
        select(Variant, Product)
        .join(Product, Product.id == Variant.product_id)
        .where(Variant.id == variant_id)
        .with_for_update(of=Variant)
    ).one_or_none()
    if row is None or not manages(principal, row[1].seller_id):
        raise NotFound(f"Variant {variant_id} does not exist.", field="variant_id")
    variant, product = row
    if product.selling_mode is not SellingMode.FULL_CUSTODY:
        raise NotFullCustody(
            f"Product {product.id} sells as {product.selling_mode.value}; only full-custody listings have a "
            "supply price.",
            field="variant_id",
        )
    return variant, product


# ---- the operator's price check ------------------------------------------------------------------


def accept_offer(
    session: Session,
    *,
    principal: Principal,
    offer_id: int,
    price_cents: int,
    min_margin_bps: int,
    override_margin: bool = False,
    reason: str | None = None,
    now: dt.datetime,
) -> SupplyOffer:
    """Accept the offered supply price and set the retail price (at least the supply price, and the
    minimum margin unless overridden with a reason); the variant is priced at once."""
    _require_operator(principal)
    offer = _locked_offer(session, principal, offer_id)
    _check_status(offer, OfferStatus.OPEN, "accepted")
    margin = check_retail_price(
        supply_cents=offer.supply_price_cents,
        price_cents=price_cents,
        min_margin_bps=min_margin_bps,
        override=override_margin,
        reason=reason,
    )
    _price_variant(session, offer, supply_cents=offer.supply_price_cents, price_cents=price_cents, now=now)
    _record(
        session, offer, DecisionAction.ACCEPTED, principal, now, supply=offer.supply_price_cents,
        price=price_cents, margin=margin, override=override_margin and margin < min_margin_bps, reason=reason,
    )  # fmt: skip
    return offer


def reject_offer(
    session: Session, *, principal: Principal, offer_id: int, reason: str, now: dt.datetime
) -> SupplyOffer:
    """Refuse the offer (quality check failed, price out of line); the reason is kept and shown."""
    _require_operator(principal)
    _require_reason(reason)
    offer = _locked_offer(session, principal, offer_id)
    _check_status(offer, OfferStatus.OPEN, "rejected")
    _settle(offer, OfferStatus.REJECTED, now)
    _record(session, offer, DecisionAction.REJECTED, principal, now, reason=reason)
    return offer


def counter_offer(
    session: Session,
    *,
    principal: Principal,
    offer_id: int,
    supply_price_cents: int,
    price_cents: int,
    min_margin_bps: int,
    override_margin: bool = False,
    reason: str | None = None,
    now: dt.datetime,
) -> SupplyOffer:
    """Propose another supply price, with the retail price the platform would set on it (checked now,
    so the seller's "yes" prices the variant without another round)."""
    _require_operator(principal)
    if not 0 < supply_price_cents <= MAX_PRICE_CENTS:
        raise InvalidInput(f"supply_price_cents must be 1..{MAX_PRICE_CENTS}.", field="supply_price_cents")
    offer = _locked_offer(session, principal, offer_id)
    _check_status(offer, OfferStatus.OPEN, "countered")
    margin = check_retail_price(
        supply_cents=supply_price_cents,
        price_cents=price_cents,
        min_margin_bps=min_margin_bps,
        override=override_margin,
        reason=reason,
    )
    offer.status, offer.counter_supply_cents, offer.price_cents = OfferStatus.COUNTERED, supply_price_cents, price_cents
    _record(
        session, offer, DecisionAction.COUNTERED, principal, now, supply=supply_price_cents, price=price_cents,
        margin=margin, override=override_margin and margin < min_margin_bps, reason=reason,
    )  # fmt: skip
    return offer


def answer_counter(
    session: Session, *, principal: Principal, offer_id: int, accept: bool, reason: str | None = None, now: dt.datetime
) -> SupplyOffer:
    """The seller accepts the counter-offer (the variant is priced with it) or declines it."""
    if principal.role is not Role.SELLER:
        raise Forbidden("The seller answers a counter-offer.")
    offer = _locked_offer(session, principal, offer_id)
    _check_status(offer, OfferStatus.COUNTERED, "accepted" if accept else "declined")
    supply, price = int(offer.counter_supply_cents or 0), int(offer.price_cents or 0)
    if not accept:
        _settle(offer, OfferStatus.DECLINED, now)
        _record(session, offer, DecisionAction.COUNTER_DECLINED, principal, now, supply=supply, reason=reason)
        return offer
    _price_variant(session, offer, supply_cents=supply, price_cents=price, now=now)
    _record(
        session, offer, DecisionAction.COUNTER_ACCEPTED, principal, now, supply=supply, price=price,
        margin=margin_bps(supply_cents=supply, price_cents=price), reason=reason,
    )  # fmt: skip
    return offer


def _price_variant(
    session: Session, offer: SupplyOffer, *, supply_cents: int, price_cents: int, now: dt.datetime
) -> None:
    """Set the accepted supply and retail prices on the variant and put a draft product on sale when
    every active variant is priced (its seller active); emits ``custody.supply_price_accepted``."""
    variant = session.get_one(Variant, offer.variant_id, with_for_update=True)
    product = session.get_one(Product, offer.product_id)
    if product.selling_mode is not SellingMode.FULL_CUSTODY:
        raise NotFullCustody(f"Product {product.id} no longer sells as full custody.", field="offer_id")
    variant.supply_price_cents, variant.price_cents = supply_cents, price_cents
    if variant.compare_at_cents is not None and variant.compare_at_cents < price_cents:
        variant.compare_at_cents = None  # a "was" price below the new price would advertise a fake discount
    offer.accepted_supply_cents, offer.price_cents = supply_cents, price_cents
    _settle(offer, OfferStatus.ACCEPTED, now)
    session.flush()
    # Priced means every active variant has an accepted supply price and none awaits a decision (a
    # price left from an earlier spell in full custody does not count while a new offer is pending).
    active = [v.id for v in product.variants if v.is_active]
    pending = session.scalar(select(SupplyOffer.id).where(SupplyOffer.open_variant_id.in_(active)).limit(1))
    priced = pending is None and all(v.supply_price_cents is not None for v in product.variants if v.is_active)
    seller = session.get_one(Seller, product.seller_id)
    if product.status is ProductStatus.DRAFT and priced and seller.status is SellerStatus.ACTIVE:
        product.status = ProductStatus.ACTIVE
    session.flush()
    emit(
        session,
        "custody.supply_price_accepted",
        variant_id=variant.id,
        supply_price_cents=supply_cents,
        price_cents=price_cents,
    )


# ---- reading -------------------------------------------------------------------------------------


def list_offers(
    session: Session,
    *,
    principal: Principal,
    status: OfferStatus | None = None,
    sku: str | None = None,
    seller_id: int | None = None,
    after_id: int | None = None,
    limit: int = 50,
) -> list[OfferView]:
    """Offers newest first: a seller's own, every seller's for operators (``seller_id`` narrows)."""
    query = select(SupplyOffer, Variant.sku).join(Variant, Variant.id == SupplyOffer.variant_id)
    if principal.role is Role.SELLER:
        query = query.where(SupplyOffer.seller_id == principal.seller_id)
    elif not principal.is_operator:
        raise Forbidden("Only sellers and operators see supply offers.")
    if seller_id is not None:
        query = query.where(SupplyOffer.seller_id == seller_id)
    if status is not None:
        query = query.where(SupplyOffer.status == status)
    if sku is not None:
        query = query.where(Variant.sku == sku)
    if after_id is not None:
        query = query.where(SupplyOffer.id < after_id)
    rows = session.execute(query.order_by(SupplyOffer.id.desc()).limit(limit))
    return [OfferView(offer, found_sku) for offer, found_sku in rows]


def get_offer(session: Session, *, principal: Principal, offer_id: int) -> OfferView:
    """One offer with its decision history (oldest first)."""
    offer = _visible_offer(session, principal, offer_id, lock=False)
    decisions = session.scalars(
        select(SupplyOfferDecision).where(SupplyOfferDecision.offer_id == offer.id).order_by(SupplyOfferDecision.id)
    ).all()
    return OfferView(offer, session.get_one(Variant, offer.variant_id).sku, decisions)


# ---- helpers -------------------------------------------------------------------------------------


def _require_operator(principal: Principal) -> None:
    if not principal.is_operator:
        raise Forbidden("The price check is an operator's decision.")


def _require_reason(reason: str | None) -> None:
    if not (reason and reason.strip()):
        raise InvalidInput("Give a reason.", field="reason")


def _visible_offer(session: Session, principal: Principal, offer_id: int, *, lock: bool) -> SupplyOffer:
    """An offer the caller may see; another seller's reads as missing."""
    offer = session.get(SupplyOffer, offer_id, with_for_update=lock)
    if offer is None or not manages(principal, offer.seller_id):
        raise NotFound(f"Supply offer {offer_id} does not exist.")
    return offer


def _locked_offer(session: Session, principal: Principal, offer_id: int) -> SupplyOffer:
    """The offer, after its variant row is locked (the order every writer of a variant's offers uses)."""
    offer = _visible_offer(session, principal, offer_id, lock=False)
    session.get_one(Variant, offer.variant_id, with_for_update=True)
    session.refresh(offer, with_for_update=True)
    return offer


def _check_status(offer: SupplyOffer, expected: OfferStatus, target: str) -> None:
    if offer.status is not expected:
        raise InvalidTransition(
            f"Supply offer {offer.id} is {offer.status.value}; only a {expected.value} offer can be {target}.",
            current=offer.status.value,
            target=target,
        )


def _settle(offer: SupplyOffer, status: OfferStatus, now: dt.datetime) -> None:
    """The offer stops being live: its one-per-variant slot is freed."""
    if status in LIVE_OFFERS:
        raise ValueError(f"{status.value} is a live status")
    offer.status, offer.open_variant_id, offer.decided_at = status, None, now


def _record(
    session: Session,
    offer: SupplyOffer,
    action: DecisionAction,
    principal: Principal,
    now: dt.datetime,
    *,
    supply: int | None = None,
    price: int | None = None,
    margin: int | None = None,
    override: bool = False,
    reason: str | None = None,
) -> None:
    session.add(
        SupplyOfferDecision(
            offer_id=offer.id,
            action=action,
            actor_user_id=principal.user_id,
            actor_role=principal.role.value,
            supply_price_cents=supply,
            price_cents=price,
            margin_bps=margin,
            margin_override=override,
            reason=reason.strip() if reason and reason.strip() else None,
            created_at=now,
        )
    )
    session.flush()
