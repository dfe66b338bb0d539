"""The host's recap of a room: audience over time, cart taps, orders, GMV, conversion, top products.

Everything is derived from the rows the room left: viewer visits (live_room_visits), the interaction
log (cart taps with the room's content id) and the orders placed through its deals. Nothing is
stored twice, so a recap asked for during the room is simply the recap so far.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yellowcart.auth.service import Principal
from yellowcart.catalog.models import Product
from yellowcart.content.models import Content, LiveState
from yellowcart.interactions.models import EventType, InteractionEvent
from yellowcart.live import room_rules, room_sales, rooms
from yellowcart.live.room_models import RoomRun, RoomVisit
from yellowcart.live.room_rules import Stay
from yellowcart.live.room_schemas import MinuteOut, RecapOut, TopProductOut

TOP_PRODUCTS = 5


def _stays(session: Session, room_id: int, now: dt.datetime) -> list[Stay]:
    rows = session.execute(
        select(RoomVisit.user_id, RoomVisit.session_key, RoomVisit.joined_at, RoomVisit.last_seen_at, RoomVisit.left_at)
        .where(RoomVisit.content_id == room_id)
        .order_by(RoomVisit.id)
    )
    return [
        Stay(
            viewer=f"u{user_id}" if user_id is not None else f"s{key}",
            start=joined,
            end=left if left is not None else min(seen, now),
        )
        for user_id, key, joined, seen, left in rows
    ]


def _window(
    room: Content, run: RoomRun | None, stays: Sequence[Stay], now: dt.datetime
) -> tuple[dt.datetime, dt.datetime]:
    """On air from the run's start to its end (or now); rooms from before runs were recorded: the
    first visit to the last one."""
    start = run.started_at if run else min((s.start for s in stays), default=room.published_at or now)
    if run and run.ended_at:
        end = run.ended_at
    elif room.live_state is LiveState.LIVE:
        end = now
    else:
        end = max((s.end for s in stays), default=start)
    return start, max(start, end)


def _taps(session: Session, room_id: int) -> Counter[int | None]:
    rows = session.execute(
        select(InteractionEvent.product_id, func.count())
        .where(InteractionEvent.content_id == room_id, InteractionEvent.type == EventType.CART_TAP)
        .group_by(InteractionEvent.product_id)
    )
    return Counter({product_id: int(n) for product_id, n in rows})


def _top_products(session: Session, room: Content, taps: Counter[int | None]) -> list[TopProductOut]:
    """Best sellers by GMV, then units, then cart taps; listings the room tagged or sold."""
    sales = {s.product_id: s for s in room_sales.sales_by_product(session, room_id=room.id)}
    ids = {a.product_id for a in room.anchors} | set(sales) | {p for p in taps if p is not None}
    titles = {int(p): str(t) for p, t in session.execute(select(Product.id, Product.title).where(Product.id.in_(ids)))}
    items = []
    for product_id in ids:
        sold = sales.get(product_id)
        items.append(
            TopProductOut(
                product_id=product_id,
                title=titles.get(product_id, ""),
                cart_taps=taps.get(product_id, 0),
                orders=sold.orders if sold else 0,
                units=sold.units if sold else 0,
                gmv_cents=sold.gmv_cents if sold else 0,
            )
        )
    items.sort(key=lambda p: (-p.gmv_cents, -p.units, -p.cart_taps, p.product_id))
    return [p for p in items if p.gmv_cents or p.units or p.cart_taps][:TOP_PRODUCTS]


def room_recap(session: Session, *, principal: Principal, room_id: int, now: dt.datetime) -> RecapOut:
    """For the host and operators only (anyone else: 404, as for editing the room)."""
    room = rooms.live_room(session, principal=principal, room_id=room_id, manage=True)
    run = session.get(RoomRun, room_id)
    stays = _stays(session, room_id, now)
    start, end = _window(room, run, stays, now)
    minutes = room_rules.viewers_per_minute(stays, start=start, end=end)
    taps = _taps(session, room_id)
    orders = room_sales.room_orders(session, room_id=room_id)
    unique = len({s.viewer for s in stays})
    return RecapOut(
        room_id=room.id,
        title=room.title,
        live_state=room.live_state,
        started_at=run.started_at if run else None,
        ended_at=run.ended_at if run else None,
        unique_viewers=unique,
        peak_viewers=max((n for _, n in minutes), default=0),
        watch_seconds=room_rules.watch_seconds(stays),
        viewers_per_minute=[MinuteOut(minute=m, viewers=n) for m, n in minutes],
        cart_taps=sum(taps.values()),
        orders=orders.count,
        units=orders.units,
        gmv_cents=orders.gmv_cents,
        conversion_per_mille=room_rules.per_mille(orders.count, unique),
        top_products=_top_products(session, room, taps),
    )
