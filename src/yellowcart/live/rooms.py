"""Live room use cases: the room's state and product list, viewer sessions (join, heartbeat, leave,
timeout) and the room's on-air timeline.

The room is content's row; this module reads it through content's service and writes only its own
tables (visits, runs). Viewers are counted from the database, so every API process agrees.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping, Sequence

from sqlalchemy import and_, case, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yellowcart.auth.service import Principal
from yellowcart.catalog.models import Product, Variant
from yellowcart.content import service as content_service
from yellowcart.content.models import Anchor, Content, ContentKind, LiveState
from yellowcart.errors import Conflict, Forbidden, InvalidInput, NotFound
from yellowcart.inventory.service import available_by_variant
from yellowcart.live import room_rules, room_sales
from yellowcart.live.room_models import RoomRun, RoomVisit
from yellowcart.live.room_schemas import RoomDealOut, RoomProductOut, RoomStateOut


def live_room(session: Session, *, principal: Principal | None, room_id: int, manage: bool = False) -> Content:
    """A live room as content shows it: public once published; drafts only to the host and operators."""
    room = content_service.get_content(session, principal=principal, content_id=room_id, manage=manage)
    if room.kind is not ContentKind.LIVE:
        raise NotFound(f"Live room {room_id} does not exist.")
    return room


# ---- state ------------------------------------------------------------------------------------------


def viewers_now(session: Session, *, room_id: int, now: dt.datetime, timeout_s: float) -> int:
    cutoff = now - dt.timedelta(seconds=timeout_s)
    query = select(func.count()).where(
        RoomVisit.content_id == room_id, RoomVisit.left_at.is_(None), RoomVisit.last_seen_at >= cutoff
    )
    return int(session.scalar(query) or 0)


def room_products(
    session: Session, *, room: Content, now: dt.datetime, running: Sequence[RoomDealOut] | None = None
) -> list[RoomProductOut]:
    """The yellow cart: anchored listings in the host's order, price, stock and the deal running on each
    (``running``: the room's running deals when the caller already read them)."""
    anchors: Sequence[Anchor] = room.anchors
    ids = [a.product_id for a in anchors]
    products = {p.id: p for p in session.scalars(select(Product).where(Product.id.in_(ids)))} if ids else {}
    variants = session.execute(
        select(Variant.product_id, Variant.id, Variant.price_cents).where(
            Variant.product_id.in_(ids), Variant.is_active.is_(True)
        )
    ).all()
    available = available_by_variant(session, [v.id for v in variants])
    price: dict[int, int] = {}
    stocked: set[int] = set()
    for product_id, variant_id, cents in variants:
        price[product_id] = min(cents, price.get(product_id, cents))
        if available.get(variant_id, 0) > 0:
            stocked.add(product_id)
    if running is None:
        running = room_sales.running_deals(session, room_id=room.id, now=now)
    deals = {d.product_id: d for d in running}
    items = []
    for anchor in anchors:
        product, deal = products[anchor.product_id], deals.get(anchor.product_id)
        items.append(
            RoomProductOut(
                product_id=product.id,
                position=anchor.position,
                title=product.title,
                price_cents=price.get(product.id),
                selling_mode=product.selling_mode.value,
                in_stock=product.id in stocked or (deal is not None and deal.remaining > 0),
                pinned=room.pinned_product_id == product.id,
                deal_id=deal.deal_id if deal else None,
                deal_price_cents=deal.price_cents if deal else None,
                deal_remaining=deal.remaining if deal else None,
            )
        )
    return items


def room_state(session: Session, *, room: Content, now: dt.datetime, timeout_s: float) -> RoomStateOut:
    """The whole state a viewer's screen shows. In ``products`` the deal's remaining units are left
    out (they are in ``deals``), so a sale changes one small key of the stream, not the product list."""
    running = room_sales.running_deals(session, room_id=room.id, now=now)
    listed = room_products(session, room=room, now=now, running=running)
    products = [p.model_copy(update={"deal_remaining": None}) for p in listed]
    return RoomStateOut(
        room_id=room.id,
        title=room.title,
        host_user_id=room.owner_user_id,
        live_state=room.live_state,
        viewers=viewers_now(session, room_id=room.id, now=now, timeout_s=timeout_s),
        pinned_product_id=room.pinned_product_id,
        products=products,
        deals=running,
        orders=room_sales.room_orders(session, room_id=room.id),
        server_time=now,
    )


# ---- viewers ----------------------------------------------------------------------------------------


def new_session_key() -> str:
    return secrets.token_urlsafe(18)


def check_session_key(key: str) -> str:
    if not room_rules.SESSION_KEY.match(key):
        raise InvalidInput("A viewer session is 16-64 characters of A-Z, a-z, 0-9, _ and -.", field="session")
    return key


def _open_visit(session: Session, room_id: int, key: str) -> RoomVisit | None:
    return session.scalar(
        select(RoomVisit).where(
            RoomVisit.content_id == room_id, RoomVisit.session_key == key, RoomVisit.left_at.is_(None)
        )
    )


def _check_owner(visit: RoomVisit, principal: Principal | None) -> None:
    """A signed-in viewer's session is theirs: nobody else may beat for it or end it."""
    if visit.user_id is not None and (principal is None or principal.user_id != visit.user_id):
        raise Forbidden("This viewer session belongs to another account.", field="session")


def join(
    session: Session,
    *,
    principal: Principal | None,
    room: Content,
    key: str,
    now: dt.datetime,
    timeout_s: float,
    retry: bool = True,
) -> bool:
    """Join or heartbeat (idempotent). True when a visit started (the count may have changed)."""
    if room.live_state is not LiveState.LIVE:
        raise Conflict("The room is not on air.", field="live_state", live_state=str(room.live_state))
    visit = _open_visit(session, room.id, key)
    if visit is not None:
        _check_owner(visit, principal)
        if room_rules.present(last_seen_at=visit.last_seen_at, left_at=None, now=now, timeout_s=timeout_s):
            visit.last_seen_at = max(now, visit.last_seen_at)
            return False
        visit.left_at = visit.last_seen_at  # timed out: that stay ended at its last heartbeat
        session.flush()
    user_id = principal.user_id if principal is not None else None
    try:
        with session.begin_nested():
            session.add(
                RoomVisit(content_id=room.id, session_key=key, user_id=user_id, joined_at=now, last_seen_at=now)
            )
    except IntegrityError:  # the same session joined concurrently (a retry): that visit counts
        if not retry:
            raise
        return join(session, principal=principal, room=room, key=key, now=now, timeout_s=timeout_s, retry=False)
    return True


def leave(session: Session, *, principal: Principal | None, room_id: int, key: str, now: dt.datetime) -> bool:
    """End the session's visit now (idempotent). True when one was open."""
    visit = _open_visit(session, room_id, key)
    if visit is None:
        return False
    _check_owner(visit, principal)
    visit.left_at = max(now, visit.joined_at)
    visit.last_seen_at = max(visit.left_at, visit.last_seen_at)
    return True


def keep_alive(session: Session, *, room_id: int, viewers: Mapping[str, int | None], now: dt.datetime) -> int:
    """Heartbeat for the sessions watching through an open stream, in one statement per 500; a
    session whose visit was closed meanwhile (timed out while its process was busy) joins again.
    Returns how many visits started."""
    keys = list(viewers)
    alive: set[str] = set()
    for i in range(0, len(keys), 500):
        chunk = keys[i : i + 500]
        open_ = RoomVisit.content_id == room_id, RoomVisit.left_at.is_(None), RoomVisit.session_key.in_(chunk)
        session.execute(
            update(RoomVisit).where(*open_).values(last_seen_at=now).execution_options(synchronize_session=False)
        )
        alive.update(session.scalars(select(RoomVisit.session_key).where(*open_)))
    rejoined = [k for k in keys if k not in alive]
    for key in rejoined:
        session.add(
            RoomVisit(content_id=room_id, session_key=key, user_id=viewers[key], joined_at=now, last_seen_at=now)
        )
    return len(rejoined)


def close_stale(session: Session, *, now: dt.datetime, timeout_s: float) -> set[int]:
    """Close visits without a heartbeat for ``timeout_s``, at their last heartbeat. Returns the rooms."""
    stale = and_(RoomVisit.left_at.is_(None), RoomVisit.last_seen_at < now - dt.timedelta(seconds=timeout_s))
    rooms = set(session.scalars(select(RoomVisit.content_id).where(stale).distinct()))
    if rooms:
        session.execute(
            update(RoomVisit)
            .where(stale)
            .values(left_at=RoomVisit.last_seen_at)
            .execution_options(synchronize_session=False)
        )
    return rooms


# ---- on-air timeline --------------------------------------------------------------------------------


def record_live_change(session: Session, *, room_id: int, live_state: str, at: dt.datetime) -> None:
    """From content's ``content.live_changed`` event (idempotent): the run's start and end; when the
    room ends every open visit ends with it."""
    run = session.get(RoomRun, room_id)
    if live_state == LiveState.LIVE.value and run is None:
        session.add(RoomRun(content_id=room_id, started_at=at))
    elif live_state == LiveState.ENDED.value:
        if run is not None and run.ended_at is None:
            run.ended_at = max(at, run.started_at)
        ended = case((RoomVisit.joined_at > at, RoomVisit.joined_at), else_=at)
        session.execute(
            update(RoomVisit)
            .where(RoomVisit.content_id == room_id, RoomVisit.left_at.is_(None))
            .values(left_at=ended)
            .execution_options(synchronize_session=False)
        )
