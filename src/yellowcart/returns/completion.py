"""Orders complete when their return window closes: DELIVERED and PARTIALLY_RETURNED orders become
COMPLETED once every delivered line's ordinary return window (its policy's ``window_days``, to the end
of that local day in the shopper's time zone: ``policy.deadline``, the bound eligibility uses) has
closed and the order has no open return (pending, awaiting the parcel, shipped back, received).
RETURNED orders stay RETURNED.

Completion is what creators' commissions wait for (creators/handlers.py reacts to
``order.status_changed`` to COMPLETED), so it goes through ``orders.service.transition`` as the system:
history row and event included. It closes nothing for the shopper: the guarantee (damaged, defective,
wrong item) still applies, and a return of a COMPLETED order moves it to PARTIALLY_RETURNED / RETURNED
(the job completes it again once that return is settled; commissions are idempotent).

Cheap and idempotent: candidates come from the orders' status index, filtered in SQL by what rules an
order out for sure (a parcel delivered less than the shortest window any policy rule allows, an open
return), in id order, ``batch`` orders per transaction; each batch locks its orders (``SKIP LOCKED``:
a return being requested on one waits for us or is skipped until the next run), then checks the open
returns again and the exact per-line deadlines. A completed order is no longer a candidate.

An order that reached DELIVERED without a tracked parcel (an operator's move, the demo's orders) counts
its window from the history row that delivered it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import structlog
from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import Session, selectinload

from yellowcart.catalog.models import Category, Product, Variant
from yellowcart.db import Database, id_in
from yellowcart.fulfillment.models import Shipment, ShipmentLine, ShipmentStatus
from yellowcart.orders import service as orders
from yellowcart.orders.models import Order, OrderHistory, OrderLine
from yellowcart.orders.state import OrderStatus
from yellowcart.returns import facts
from yellowcart.returns import policy as rules
from yellowcart.returns.models import ReturnRequest
from yellowcart.returns.service import BUILT_IN_RULES, Config
from yellowcart.returns.state import ReturnStatus

R = ReturnStatus
BATCH = 500
REASON = "return window closed"
#: Orders that may complete.
COMPLETABLE = (OrderStatus.DELIVERED, OrderStatus.PARTIALLY_RETURNED)
#: Returns still under way: the order waits for them.
OPEN_RETURNS = (R.REQUEST_PENDING, R.AWAITING_BUYER_SHIP, R.BUYER_SHIPPED, R.RECEIVED)
log = structlog.get_logger(__name__)


def shortest_window(policies: Sequence[rules.Rule], base: rules.Policy) -> int:
    """The fewest days any line's window can last: no order delivered more recently can complete."""
    days = [base.window_days] + [int(r.settings["window_days"]) for r in policies if "window_days" in r.settings]
    return max(min(days), 0)


def candidates(*, now: dt.datetime, shortest_days: int, after_id: int, limit: int) -> Select[int]:
    """Orders that may complete, by id: completable status, no parcel (or, without parcels, no delivery
    in the history) more recent than the shortest window, no open return."""
    cutoff = now - dt.timedelta(days=shortest_days)
    delivered = (Shipment.order_id == Order.id, Shipment.status == ShipmentStatus.DELIVERED)
    parcel = exists().where(*delivered)
    recent_parcel = exists().where(*delivered, Shipment.delivered_at > cutoff)
    recent_history = exists().where(
        OrderHistory.order_id == Order.id, OrderHistory.to_status == OrderStatus.DELIVERED, OrderHistory.at > cutoff
    )
    open_return = exists().where(ReturnRequest.order_id == Order.id, ReturnRequest.status.in_(OPEN_RETURNS))
    return (
        select(Order.id)
        .where(
            Order.status.in_(COMPLETABLE),
            Order.id > after_id,
            ~recent_parcel,
            parcel | ~recent_history,
            ~open_return,
        )
        .order_by(Order.id)
        .limit(limit)
    )


def _line_deliveries(session: Session, order_ids: Sequence[int]) -> dict[int, dt.datetime | None]:
    """Each delivered line's latest delivery (None: delivered without a time, as facts reads it)."""
    rows = session.execute(
        select(ShipmentLine.order_line_id, func.max(Shipment.delivered_at))
        .join(Shipment, Shipment.id == ShipmentLine.shipment_id)
        .where(id_in(session, Shipment.order_id, order_ids), Shipment.status == ShipmentStatus.DELIVERED)
        .group_by(ShipmentLine.order_line_id)
    ).all()
    return {int(line_id): at for line_id, at in rows}


def _history_deliveries(session: Session, order_ids: Sequence[int]) -> dict[int, dt.datetime]:
    """When each order last moved to DELIVERED (for orders delivered without a tracked parcel)."""
    rows = session.execute(
        select(OrderHistory.order_id, func.max(OrderHistory.at))
        .where(id_in(session, OrderHistory.order_id, order_ids), OrderHistory.to_status == OrderStatus.DELIVERED)
        .group_by(OrderHistory.order_id)
    ).all()
    return {int(order_id): at for order_id, at in rows if at is not None}


def _category_paths(session: Session, order_ids: Sequence[int]) -> dict[int, str]:
    rows = session.execute(
        select(OrderLine.id, Category.path)
        .join(Variant, Variant.id == OrderLine.variant_id)
        .join(Product, Product.id == Variant.product_id)
        .join(Category, Category.id == Product.category_id)
        .where(id_in(session, OrderLine.order_id, order_ids))
    ).all()
    return {int(line_id): str(path) for line_id, path in rows}


def window_closed(
    order: Order,
    *,
    deliveries: dict[int, dt.datetime | None],
    delivered_at: dt.datetime | None,
    paths: dict[int, str],
    policies: Sequence[rules.Rule],
    base: rules.Policy,
    now: dt.datetime,
) -> bool:
    """Every delivered line's ordinary window is over (``delivered_at``: the order's delivery in its
    history, used for every line when none has a delivered parcel). False when nothing was delivered."""
    lines = {ln.id: deliveries[ln.id] for ln in order.lines if ln.id in deliveries}
    if not lines:
        if delivered_at is None:
            return False
        lines = {ln.id: delivered_at for ln in order.lines}
    tz = facts.shopper_tz(order)
    by_id = {ln.id: ln for ln in order.lines}
    for line_id, at in lines.items():
        if at is None:  # delivered with no time recorded: its window is long over (facts reads it so)
            continue
        ln = by_id[line_id]
        policy = rules.resolve(
            base, policies, mode=ln.selling_mode.value, category_path=paths.get(line_id, ""), seller_id=order.seller_id
        )
        if now < rules.deadline(at, policy.window_days, tz):
            return False
    return True


def complete_batch(session: Session, *, order_ids: Sequence[int], now: dt.datetime, config: Config) -> list[int]:
    """Complete those of ``order_ids`` whose windows closed (locked, checked again); their ids."""
    if not order_ids:
        return []
    locked = list(
        session.scalars(
            select(Order)
            .where(id_in(session, Order.id, order_ids), Order.status.in_(COMPLETABLE))
            .order_by(Order.id)
            .options(selectinload(Order.lines))
            .with_for_update(of=Order, skip_locked=True)
        )
    )
    ids = [o.id for o in locked]
    if not ids:
        return []
    busy = set(
        session.scalars(
            select(ReturnRequest.order_id).where(
                id_in(session, ReturnRequest.order_id, ids), ReturnRequest.status.in_(OPEN_RETURNS)
            )
        )
    )
    policies = facts.policy_rules(session, BUILT_IN_RULES)
    deliveries = _line_deliveries(session, ids)
    history = _history_deliveries(session, ids)
    paths = _category_paths(session, ids)
    done = []
    for order in locked:
        if order.id in busy:
            continue
        closed = window_closed(
            order, deliveries=deliveries, delivered_at=history.get(order.id), paths=paths,
            policies=policies, base=config.base, now=now,
        )  # fmt: skip
        if closed:
            orders.transition(session, order=order, target=OrderStatus.COMPLETED, actor=None, reason=REASON)
            done.append(order.id)
    return done


def complete_orders(db: Database, *, now: dt.datetime, config: Config, batch: int = BATCH) -> list[int]:
    """Complete every order whose return window closed, ``batch`` orders per transaction; the ids.
    A batch that fails is retried one order per transaction, so one bad order stops nothing else."""
    with db.transaction() as session:
        shortest = shortest_window(facts.policy_rules(session, BUILT_IN_RULES), config.base)
    done: list[int] = []
    after = 0
    while True:
        with db.transaction() as session:
            ids = list(session.scalars(candidates(now=now, shortest_days=shortest, after_id=after, limit=batch)))
        if not ids:
            return done
        try:
            with db.transaction() as session:
                done += complete_batch(session, order_ids=ids, now=now, config=config)
        except Exception:
            log.exception("order_completion_batch_failed", first=ids[0], last=ids[-1])
            done += _one_by_one(db, ids, now=now, config=config)
        if len(ids) < batch:
            return done
        after = ids[-1]


def _one_by_one(db: Database, ids: Sequence[int], *, now: dt.datetime, config: Config) -> list[int]:
    done: list[int] = []
    for order_id in ids:
        try:
            with db.transaction() as session:
                done += complete_batch(session, order_ids=[order_id], now=now, config=config)
        except Exception:
            log.exception("order_completion_failed", order_id=order_id)
    return done
