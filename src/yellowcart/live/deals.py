"""Live-only deals: the host creates, starts and ends them; starting sets the units aside, ending gives
the unsold ones back to the SKU exactly once. Buying through a deal is in ``deal_checkout``; the
periodic job and the event handlers are in ``deal_jobs``.

The room is content's row (read through content's service); stock is inventory's (changed only through
``inventory.set_asides``); this module writes only the deals' own tables.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.catalog.models import Product, ProductStatus, Variant
from yellowcart.catalog.modes import SellingMode
from yellowcart.content import service as content_service
from yellowcart.content.models import Content, ContentKind, LiveState
from yellowcart.db import flush_guarded
from yellowcart.errors import Conflict, Forbidden, InvalidInput, NotFound
from yellowcart.events import emit
from yellowcart.inventory import set_asides
from yellowcart.inventory.models import Reservation, ReservationStatus
from yellowcart.live import deal_rules
from yellowcart.live.deal_models import DealSetAside, DealStatus, LiveDeal
from yellowcart.live.deal_schemas import DealIn, DealOut

#: Listings whose price the platform sets: a creator hosting a room may put these on a deal.
PLATFORM_PRICED = frozenset({SellingMode.FULL_CUSTODY, SellingMode.PLATFORM_OWNED})


class DealNotFound(NotFound):
    code, title = "deal_not_found", "Deal not found"


class DealExists(Conflict):
    code, title = "deal_exists", "The listing already has a deal in this room"


class DealOver(Conflict):
    code, title = "deal_over", "The deal is over"


class RoomNotLive(Conflict):
    code, title = "room_not_live", "The room is not on air"


class RoomEnded(Conflict):
    code, title = "room_ended", "The room has ended"


class ListingNotOnSale(Conflict):
    code, title = "not_purchasable", "Product cannot be bought here"


# ---- the room and who may run its deals -------------------------------------------------------------


def live_room(session: Session, *, principal: Principal | None, room_id: int) -> Content:
    """A live room as content shows it (drafts only to their host and operators)."""
    room = content_service.get_content(session, principal=principal, content_id=room_id)
    if room.kind is not ContentKind.LIVE:
        raise NotFound(f"Live room {room_id} does not exist.")
    return room


def require_host(principal: Principal, room: Content) -> None:
    """The room's host (its owner) and operators run its deals."""
    if principal.role is Role.OPERATOR:
        return
    if room.owner_user_id != principal.user_id or principal.role not in (Role.SELLER, Role.CREATOR):
        raise Forbidden("Only the room's host and operators manage its deals.")


def _listing(session: Session, principal: Principal, room: Content, sku: str) -> tuple[Variant, Product]:
    """The anchored listing a deal may be put on, by whom: a seller its own listings; a creator only
    listings whose price the platform sets (it cannot discount a seller's own price); operators any."""
    row = session.execute(
        select(Variant, Product).join(Product, Product.id == Variant.product_id).where(Variant.sku == sku)
    ).one_or_none()
    if row is None:
        raise NotFound(f"SKU {sku} does not exist.", sku=sku)
    variant, product = row
    if product.id not in {a.product_id for a in room.anchors}:
        raise InvalidInput("Tag the listing in the room before putting it on a deal.", field="sku")
    if principal.role is Role.SELLER and product.seller_id != principal.seller_id:
        raise Forbidden("A seller can only put its own listings on a deal.", sku=sku)
    if principal.role is Role.CREATOR and product.selling_mode not in PLATFORM_PRICED:
        raise Forbidden("The seller sets this listing's price; only it or an operator can discount it.", sku=sku)
    sellable = product.status is ProductStatus.ACTIVE and variant.is_active and product.selling_mode.closed_loop
    if not sellable or (product.selling_mode is SellingMode.FULL_CUSTODY and variant.supply_price_cents is None):
        raise ListingNotOnSale(f"SKU {sku} is not on sale in the app.", sku=sku)
    return variant, product


# ---- create, read ------------------------------------------------------------------------------------


def create_deal(session: Session, *, principal: Principal, room_id: int, data: DealIn, now: dt.datetime) -> LiveDeal:
    room = live_room(session, principal=principal, room_id=room_id)
    require_host(principal, room)
    if room.live_state is LiveState.ENDED:
        raise RoomEnded(f"Live room {room_id} has ended.")
    variant, product = _listing(session, principal, room, data.sku)
    starts_at = data.starts_at or now
    ends_at = data.ends_at or starts_at + dt.timedelta(seconds=data.duration_seconds or 0)
    supply = variant.supply_price_cents if product.selling_mode is SellingMode.FULL_CUSTODY else None
    terms = deal_rules.Terms(
        data.price_cents, variant.price_cents, supply, data.quantity, data.per_shopper_limit, starts_at, ends_at
    )
    wrong = deal_rules.term_problems(terms, now=now)
    if wrong:
        field = next(iter(wrong))
        raise InvalidInput(f"{field} {wrong[field]}.", field=field, problems=wrong)
    deal = LiveDeal(
        room_id=room.id,
        product_id=product.id,
        variant_id=variant.id,
        sku=variant.sku,
        created_by=principal.user_id,
        price_cents=data.price_cents,
        was_cents=variant.price_cents,
        quantity=data.quantity,
        remaining=data.quantity,
        per_shopper_limit=data.per_shopper_limit,
        status=DealStatus.SCHEDULED,
        starts_at=starts_at.astimezone(dt.UTC),
        ends_at=ends_at.astimezone(dt.UTC),
    )
    flush_guarded(
        session,
        lambda: session.add(deal),
        lambda: DealExists(f"SKU {data.sku} already has a scheduled or running deal in this room.", sku=data.sku),
    )
    return deal


def list_deals(session: Session, *, principal: Principal | None, room_id: int) -> Sequence[LiveDeal]:
    """Every deal of a room, newest first (public like the room)."""
    live_room(session, principal=principal, room_id=room_id)
    return session.scalars(select(LiveDeal).where(LiveDeal.room_id == room_id).order_by(LiveDeal.id.desc())).all()


def get_deal(session: Session, *, principal: Principal | None, room_id: int, deal_id: int) -> LiveDeal:
    live_room(session, principal=principal, room_id=room_id)
    deal = session.get(LiveDeal, deal_id)
    if deal is None or deal.room_id != room_id:
        raise DealNotFound(f"Deal {deal_id} does not exist in room {room_id}.")
    return deal


def deal_out(deal: LiveDeal, *, now: dt.datetime) -> DealOut:
    starts_in, left = deal_rules.countdown(deal.status.value, starts_at=deal.starts_at, ends_at=deal.ends_at, now=now)
    return DealOut(
        id=deal.id,
        room_id=deal.room_id,
        product_id=deal.product_id,
        sku=deal.sku,
        price_cents=deal.price_cents,
        was_cents=deal.was_cents,
        quantity=deal.quantity,
        remaining=deal.remaining,
        per_shopper_limit=deal.per_shopper_limit,
        status=deal.status,
        starts_at=deal.starts_at,
        ends_at=deal.ends_at,
        started_at=deal.started_at,
        ended_at=deal.ended_at,
        end_reason=deal.end_reason,
        released_units=deal.released_units,
        starts_in_seconds=starts_in,
        seconds_left=left,
        server_time=now,
    )


# ---- start, end --------------------------------------------------------------------------------------


def lock_deal(session: Session, deal_id: int) -> LiveDeal:
    """The deal row under its lock, read fresh: every change of a deal's state starts here."""
    deal = session.scalar(
        select(LiveDeal).where(LiveDeal.id == deal_id).with_for_update().execution_options(populate_existing=True)
    )
    if deal is None:
        raise DealNotFound(f"Deal {deal_id} does not exist.")
    return deal


def set_aside_ids(session: Session, *, deal_id: int) -> list[int]:
    rows = session.scalars(select(DealSetAside.reservation_id).where(DealSetAside.deal_id == deal_id))
    return [int(r) for r in rows]


def set_aside_units(session: Session, *, deal_id: int) -> list[tuple[int, int]]:
    """(set-aside id, units still in it) of the deal's active set-asides, oldest first: one read."""
    rows = session.execute(
        select(Reservation.id, Reservation.quantity)
        .join(DealSetAside, DealSetAside.reservation_id == Reservation.id)
        .where(DealSetAside.deal_id == deal_id, Reservation.status == ReservationStatus.ACTIVE)
        .order_by(Reservation.id)
    ).all()
    return [(int(rid), int(qty)) for rid, qty in rows]


def carve(session: Session, *, deal: LiveDeal, quantity: int, partial: bool) -> int:
    """Set ``quantity`` units of the SKU aside for the deal (until its end plus the sweep's grace)."""
    made = set_asides.set_aside(
        session,
        variant_id=deal.variant_id,
        sku=deal.sku,
        quantity=quantity,
        until=deal.ends_at + deal_rules.SET_ASIDE_GRACE,
        partial=partial,
    )
    session.add_all(DealSetAside(deal_id=deal.id, reservation_id=s.reservation_id, quantity=s.quantity) for s in made)
    session.flush()
    return sum(s.quantity for s in made)


def start_deal(session: Session, *, deal_id: int, now: dt.datetime) -> LiveDeal:
    """Scheduled -> running: the room must be on air and the SKU must have the units, which are set
    aside now (all or nothing: InsufficientStock leaves the deal scheduled). Starting keeps the
    deal's length. Starting a running deal changes nothing. A deal without a room (a flash deal) has
    no room to check and keeps its window: it ends at ``ends_at`` however late it started."""
    deal = lock_deal(session, deal_id)
    if deal.status is DealStatus.RUNNING:
        return deal
    if deal.status is not DealStatus.SCHEDULED:
        raise DealOver(f"Deal {deal_id} is {deal.status.value}.", status=deal.status.value)
    if deal.room_id is not None:
        room = session.get(Content, deal.room_id)
        if room is None or room.live_state is not LiveState.LIVE:
            raise RoomNotLive("A deal runs only while its room is on air.")
        deal.starts_at, deal.ends_at = deal_rules.shifted(deal.starts_at, deal.ends_at, now)
    with session.begin_nested():  # a shortfall undoes the rows it already set aside
        carve(session, deal=deal, quantity=deal.quantity, partial=False)
    deal.status, deal.started_at, deal.remaining = DealStatus.RUNNING, now, deal.quantity
    emit(
        session,
        "live.deal_started",
        deal_id=deal.id,
        room_id=deal.room_id,
        remaining=deal.remaining,
        price_cents=deal.price_cents,
        ends_at=deal.ends_at.isoformat(),
    )
    session.flush()
    return deal


def end_deal(session: Session, *, deal_id: int, reason: str, now: dt.datetime) -> LiveDeal:
    """Running -> ended, giving the unsold units back to the SKU; scheduled -> cancelled. Exactly
    once: the status moves under the deal's lock, so a second call (the job, the host, the room's
    end, a retry) finds it over and changes nothing."""
    deal = lock_deal(session, deal_id)
    if deal.status is DealStatus.SCHEDULED:
        deal.status, deal.ended_at, deal.end_reason = DealStatus.CANCELLED, now, reason
        emit(session, "live.deal_cancelled", deal_id=deal.id, room_id=deal.room_id, reason=reason)
    elif deal.status is DealStatus.RUNNING:
        released = set_asides.release(session, reservation_ids=set_aside_ids(session, deal_id=deal.id))
        deal.status, deal.ended_at, deal.end_reason = DealStatus.ENDED, now, reason
        deal.released_units = released
        emit(
            session,
            "live.deal_ended",
            deal_id=deal.id,
            room_id=deal.room_id,
            remaining=deal.remaining,
            released=released,
            reason=reason,
        )
    session.flush()
    return deal


def manage(
    session: Session, *, principal: Principal, room_id: int, deal_id: int, action: deal_rules.Action, now: dt.datetime
) -> LiveDeal:
    """The host's (or an operator's) start or end."""
    room = live_room(session, principal=principal, room_id=room_id)
    require_host(principal, room)
    get_deal(session, principal=principal, room_id=room_id, deal_id=deal_id)
    if action is deal_rules.Action.START:
        return start_deal(session, deal_id=deal_id, now=now)
    return end_deal(session, deal_id=deal_id, reason="operator" if principal.is_operator else "host", now=now)
