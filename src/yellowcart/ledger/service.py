"""Posting use cases: sales on capture, refunds, chargebacks, redirect commissions.

Every entry goes through :func:`post_entry`, which checks the postings sum to zero and posts each
``source_key`` at most once (UNIQUE in the database), so replayed events and rerun jobs change nothing.
Services never commit: the outbox worker, a job or the API layer owns the transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from yellowcart.auth.service import Principal
from yellowcart.catalog.models import Product, Variant
from yellowcart.catalog.modes import SellingMode
from yellowcart.db import utcnow
from yellowcart.errors import Conflict, Forbidden, InvalidInput, NotFound
from yellowcart.ledger import funding, rates
from yellowcart.ledger.chart import Account, EntryKind
from yellowcart.ledger.models import LedgerEntry, LedgerPosting
from yellowcart.ledger.postings import (
    LineState,
    PostedRow,
    Posting,
    Reversal,
    SaleLine,
    bps_of,
    check_balanced,
    line_states,
    reversal_postings,
    sale_postings,
)
from yellowcart.money import allocate
from yellowcart.orders.models import Order, OrderLine


def sale_key(order_id: int) -> str:
    return f"order:{order_id}:sale"


def find_entry(session: Session, source_key: str) -> LedgerEntry | None:
    return session.scalar(select(LedgerEntry).where(LedgerEntry.source_key == source_key))


def post_entry(
    session: Session,
    *,
    source_key: str,
    kind: EntryKind,
    postings: Sequence[Posting],
    posted_at: dt.datetime,
    seller_id: int | None = None,
    order_id: int | None = None,
    **details: int | str | None,
) -> LedgerEntry | None:
    """Record one balanced entry; None when ``source_key`` was posted already (or nothing moves).

    The insert runs in a savepoint: losing a race on the key to another worker is the same as finding
    it, and leaves the caller's transaction usable."""
    kept = check_balanced(postings)
    if not kept or find_entry(session, source_key) is not None:
        return None
    entry = LedgerEntry(
        source_key=source_key, kind=kind, posted_at=posted_at, seller_id=seller_id, order_id=order_id, **details
    )
    session.flush()
    try:
        with session.begin_nested():
            session.add(entry)
            session.flush()
            session.execute(insert(LedgerPosting), [_posting_row(entry.id, posted_at, p, order_id) for p in kept])
    except IntegrityError:
        if find_entry(session, source_key) is not None:
            return None
        raise
    return entry


def _posting_row(entry_id: int, posted_at: dt.datetime, p: Posting, order_id: int | None) -> dict[str, object]:
    return {
        "entry_id": entry_id,
        "account": p.account,
        "amount_cents": p.amount,
        "component": p.component,
        "posted_at": posted_at,
        "seller_id": p.seller_id,
        "selling_mode": p.mode,
        "order_id": order_id,
        "order_line_id": p.line_id,
        "units": p.units,
        "rate_bps": p.rate_bps,
        "creator_id": p.creator_id,
    }


# ---- sales -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RateContext:
    """What pricing a sale needs beyond the order, loaded once for many orders: the category of each
    variant sold, the rate each category pays, and the platform-funded part of the orders' promotions
    (``ledger.funding``: per line, and per order for a waived shipping fee)."""

    category_of: Mapping[int, int]
    rates: Mapping[int, rates.Rate]
    funding: Mapping[int, funding.OrderFunding] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session, orders: Iterable[Order]) -> RateContext:
        orders = list(orders)
        variant_ids = {ln.variant_id for order in orders for ln in order.lines}
        category_of = {
            vid: cid
            for vid, cid in session.execute(
                select(Variant.id, Product.category_id)
                .join(Product, Product.id == Variant.product_id)
                .where(Variant.id.in_(variant_ids))
            ).all()
        }
        found = funding.platform_funding(session, [o.id for o in orders])
        return cls(category_of, rates.rates_for(session, category_of.values()), found)


def goods_paid(order: Order, lines: Sequence[OrderLine] | None = None) -> list[int]:
    """What the shopper paid for the goods of each of the order's lines (``lines``: all of them, when
    loaded apart): the subtotal less the line's promotions' discounts (``line_discount_cents``); an order
    discount no line carries (orders from before promotions wrote per-line discounts) is spread over the
    lines in proportion to what is left of them."""
    lines = list(order.lines) if lines is None else list(lines)
    net = [ln.line_subtotal_cents - ln.line_discount_cents for ln in lines]
    unspread = max(order.discount_cents - sum(ln.line_discount_cents for ln in lines), 0)
    return [n - d for n, d in zip(net, allocate(min(unspread, sum(net)), net), strict=True)]


def sale_lines(order: Order, context: RateContext) -> list[SaleLine]:
    """The order's lines as sold: goods paid, the platform-funded part of their promotions, the
    category rates of today.

    A full-custody line without a supply price snapshot (orders from before checkout took one) is
    owed its retail price less the category commission."""
    lines = list(order.lines)
    goods = goods_paid(order)
    paid_for = context.funding.get(order.id, funding.NO_FUNDING)
    shipping = paid_for.shipping_by_line(lines, goods)
    out = []
    for ln, paid in zip(lines, goods, strict=True):
        rate = context.rates[context.category_of[ln.variant_id]]
        supply = ln.supply_price_cents
        if supply is None:
            supply = ln.unit_price_cents - bps_of(ln.unit_price_cents, rate.commission_bps)
        out.append(
            SaleLine(
                line_id=ln.id,
                mode=ln.selling_mode,
                units=ln.quantity,
                goods=paid,
                shipping=ln.line_shipping_cents,
                tax=ln.line_tax_cents,
                supply_unit=supply if ln.selling_mode is SellingMode.FULL_CUSTODY else 0,
                commission_bps=rate.commission_bps,
                fee_bps=rate.fee_bps,
                promo_goods=paid_for.goods.get(ln.id, 0),
                promo_shipping=shipping.get(ln.id, 0),
            )
        )
    return out


def post_sale(session: Session, *, order_id: int, posted_at: dt.datetime) -> LedgerEntry | None:
    """The order's payment was captured: recognise the sale (once)."""
    if find_entry(session, sale_key(order_id)) is not None:
        return None
    order = session.scalar(select(Order).where(Order.id == order_id).options(selectinload(Order.lines)))
    if order is None:
        raise NotFound(f"Order {order_id} does not exist.")
    postings = sale_postings(order.seller_id, sale_lines(order, RateContext.load(session, [order])))
    return post_entry(
        session,
        source_key=sale_key(order_id),
        kind=EntryKind.SALE,
        postings=postings,
        posted_at=posted_at,
        seller_id=order.seller_id,
        order_id=order_id,
        memo=f"order {order_id} captured",
    )


def post_sales(session: Session, *, orders: Sequence[tuple[Order, dt.datetime]]) -> int:
    """Recognise many sales with two bulk inserts (the backfill's fast path). The caller checked none
    is posted yet; a key posted meanwhile fails the statement (IntegrityError: fall back to post_sale)."""
    if not orders:
        return 0
    context = RateContext.load(session, [order for order, _ in orders])
    drafts = [
        (order, at, check_balanced(sale_postings(order.seller_id, sale_lines(order, context)))) for order, at in orders
    ]
    rows = [
        {"source_key": sale_key(o.id), "kind": EntryKind.SALE, "posted_at": at, "created_at": utcnow(),
         "seller_id": o.seller_id, "order_id": o.id, "memo": f"order {o.id} captured"}
        for o, at, _ in drafts
    ]  # fmt: skip
    ids = session.scalars(insert(LedgerEntry).returning(LedgerEntry.id, sort_by_parameter_order=True), rows).all()
    postings = [
        _posting_row(entry_id, at, p, order.id)
        for entry_id, (order, at, kept) in zip(ids, drafts, strict=True)
        for p in kept
    ]
    session.execute(insert(LedgerPosting), postings)
    return len(ids)


# ---- refunds and chargebacks -----------------------------------------------------------------------


def order_state(session: Session, *, order_id: int) -> dict[int, LineState]:
    """What each sold line of the order still holds, from its postings (one grouped query)."""
    p, e = LedgerPosting, LedgerEntry
    rows = session.execute(
        select(
            p.order_line_id,
            p.selling_mode,
            e.kind,
            p.component,
            p.account,
            func.sum(p.amount_cents),
            func.coalesce(func.sum(p.units), 0),
        )
        .join(e, e.id == p.entry_id)
        .where(p.order_id == order_id, p.order_line_id.is_not(None))
        .group_by(p.order_line_id, p.selling_mode, e.kind, p.component, p.account)
    ).all()
    return line_states(
        PostedRow(lid, mode, kind is EntryKind.SALE, comp, account, int(amount or 0), int(units or 0))
        for lid, mode, kind, comp, account, amount, units in rows
        if lid is not None and mode is not None
    )


def cash_left(session: Session, *, order_id: int) -> int:
    """Cash the order still holds in payment clearing (captured less refunds and chargebacks)."""
    total = session.scalar(
        select(func.coalesce(func.sum(LedgerPosting.amount_cents), 0)).where(
            LedgerPosting.order_id == order_id, LedgerPosting.account == Account.PAYMENT_CLEARING
        )
    )
    return int(total or 0)


def post_reversal(
    session: Session,
    *,
    order_id: int,
    reversal: Reversal,
    source_key: str,
    posted_at: dt.datetime,
    reference: str | None = None,
    actor_user_id: int | None = None,
) -> LedgerEntry | None:
    """Money taken back from an order (refund or chargeback). Money coming back proves the capture,
    so the sale is posted first when its own event has not been handled yet; units coming back
    without money on an order never captured post nothing."""
    if find_entry(session, source_key) is not None:
        return None
    if reversal.amount > 0:
        post_sale(session, order_id=order_id, posted_at=posted_at)
    sale = find_entry(session, sale_key(order_id))
    if sale is None or sale.seller_id is None:
        return None
    lines = order_state(session, order_id=order_id)
    if reversal.units is not None and not set(reversal.units) <= set(lines):
        raise InvalidInput(f"Some lines are not lines of order {order_id}.", field="lines")
    return post_entry(
        session,
        source_key=source_key,
        kind=reversal.kind,
        postings=reversal_postings(sale.seller_id, lines, reversal),
        posted_at=posted_at,
        seller_id=sale.seller_id,
        order_id=order_id,
        reference=reference,
        actor_user_id=actor_user_id,
        memo=f"order {order_id} {reversal.kind.value}",
    )


def refund_key(order_id: int, idempotency_key: str) -> str:
    return f"order:{order_id}:refund:{idempotency_key}"[:160]


def post_refund(
    session: Session,
    *,
    order_id: int,
    amount_cents: int,
    idempotency_key: str,
    lines: Mapping[int, int] | None,
    posted_at: dt.datetime,
) -> LedgerEntry | None:
    """A refund made through ``checkout.refunds.refund_order`` (partial or full, units when known)."""
    return post_reversal(
        session,
        order_id=order_id,
        reversal=Reversal(EntryKind.REFUND, amount_cents, lines),
        source_key=refund_key(order_id, idempotency_key),
        posted_at=posted_at,
        reference=idempotency_key[:120],
    )


def record_chargeback(
    session: Session, *, principal: Principal, order_id: int, amount_cents: int, reference: str, now: dt.datetime
) -> tuple[LedgerEntry, bool]:
    """An operator records a chargeback the processor reported (the payment layer has no disputes).
    Idempotent per (order, reference): a replay answers the same entry (False: not new)."""
    if not principal.is_operator:
        raise Forbidden("Chargebacks are recorded by operators.")
    key = f"order:{order_id}:chargeback:{reference}"
    known = find_entry(session, key)
    if known is not None:
        if -sum(p.amount_cents for p in known.postings if p.account is Account.PAYMENT_CLEARING) != amount_cents:
            raise Conflict("This chargeback reference was recorded with another amount.", entry_id=known.id)
        return known, False
    if session.get(Order, order_id) is None:
        raise NotFound(f"Order {order_id} does not exist.")
    if find_entry(session, sale_key(order_id)) is None:
        raise Conflict(f"Order {order_id} has no captured payment to charge back.")
    left = cash_left(session, order_id=order_id)
    if amount_cents > left:
        raise InvalidInput(f"The order holds {left} cents; a chargeback cannot exceed it.", field="amount_cents")
    entry = post_reversal(
        session,
        order_id=order_id,
        reversal=Reversal(EntryKind.CHARGEBACK, amount_cents),
        source_key=key,
        posted_at=now,
        reference=reference,
        actor_user_id=principal.user_id,
    )
    if entry is None:  # a concurrent request recorded it first
        raced = find_entry(session, key)
        assert raced is not None
        return raced, False
    return entry, True
