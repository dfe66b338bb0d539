"""Ninety days of order history, simulated one checkout at a time in placement order.

Each order lives a plausible life (paid, label printed, picked up, delivered, auto-completed; some
cancelled, some returned) and is cut at the reference instant, so its status, history, payment and
stock reservations agree with each other and with the state machine in :mod:`yellowcart.orders.state`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import random
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import accumulate
from typing import NamedTuple

from yellowcart.checkout.models import PaymentStatus
from yellowcart.checkout.pricing import LineInput, SellerQuote, ShippingPolicy, quote
from yellowcart.demo.catalog import supply_price
from yellowcart.demo.names import PAYMENT_METHOD_WEIGHTS, PAYMENT_METHODS
from yellowcart.demo.plan import Row, SellerPlan, ShopperPlan, StockPlan, VariantPlan, weighted_index
from yellowcart.demo.stock import PLATFORM_MODES
from yellowcart.inventory.models import ReservationStatus
from yellowcart.orders.state import PRE_SHIPMENT, SHIPPED, OrderStatus

S = OrderStatus
PLATFORM_MODE_VALUES = frozenset(m.value for m in PLATFORM_MODES)
SHOPPER_CANCEL_REASONS = ("changed_mind", "ordered_by_mistake", "found_better_price", "delivery_too_slow")


class Event(NamedTuple):
    at: dt.datetime
    status: OrderStatus
    actor: str  # "shopper" | "seller" | "system"
    reason: str


@dataclass(slots=True)
class OrderRows:
    payments: list[Row] = field(default_factory=list)
    orders: list[Row] = field(default_factory=list)
    lines: list[Row] = field(default_factory=list)
    history: list[Row] = field(default_factory=list)
    reservations: list[Row] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Shelf:
    """What can be bought: sellable listings, weighted by a heavy-tailed popularity."""

    products: list[int]
    cum: list[float]
    variants: dict[int, list[VariantPlan]]
    by_seller: dict[int, list[int]]
    seller_of: dict[int, int]
    by_variant: dict[int, VariantPlan]

    @classmethod
    def of(cls, rng: random.Random, variants: list[VariantPlan]) -> Shelf:
        by_product: dict[int, list[VariantPlan]] = {}
        for v in variants:
            if v.sellable and v.stock_rows:
                by_product.setdefault(v.product_id, []).append(v)
        products = sorted(by_product)
        by_seller: dict[int, list[int]] = {}
        for pid in products:
            by_seller.setdefault(by_product[pid][0].seller_id, []).append(pid)
        cum = list(accumulate(rng.lognormvariate(0, 1.2) for _ in products))
        seller_of = {p: by_product[p][0].seller_id for p in products}
        by_variant = {v.id: v for vs in by_product.values() for v in vs}
        return cls(products, cum, by_product, by_seller, seller_of, by_variant)


class OrderSimulator:
    """Turns checkouts into payment, order, line, history and reservation rows."""

    def __init__(
        self,
        rng: random.Random,
        *,
        variants: list[VariantPlan],
        sellers: list[SellerPlan],
        shoppers: list[ShopperPlan],
        stock: StockPlan,
        tax_rates: dict[str, Decimal],
        policy: ShippingPolicy,
        reference: dt.datetime,
    ) -> None:
        self.rng, self.stock, self.tax_rates, self.policy, self.reference = rng, stock, tax_rates, policy, reference
        self.shelf = Shelf.of(rng, variants)
        self.owner = {s.id: s.owner_user_id for s in sellers}
        self.shoppers = shoppers
        self.shopper_cum = list(accumulate(rng.lognormvariate(0, 1.0) for _ in shoppers[1:]))
        self.out = OrderRows()

    def run(self, checkouts: int, *, demo_orders: int = 6) -> OrderRows:
        if not self.shelf.products:
            return self.out
        times = sorted(self._placed_at() for _ in range(checkouts))
        demo = set(self.rng.sample(range(checkouts), min(demo_orders, checkouts)))
        for i, placed in enumerate(times):
            shopper = self.shoppers[0] if i in demo else self.shoppers[1 + weighted_index(self.rng, self.shopper_cum)]
            self._checkout(shopper, placed)
        return self.out

    def _placed_at(self) -> dt.datetime:
        """Busier lately (a growing market), plus a burst in the last three days so there is open work."""
        burst = self.rng.random() < 0.1
        age_hours = self.rng.uniform(1, 72) if burst else 1 + 90 * 24 * self.rng.random() ** 1.35
        return self.reference - dt.timedelta(hours=age_hours)

    # ---- one checkout ------------------------------------------------------------------------------

    def _checkout(self, shopper: ShopperPlan, placed: dt.datetime) -> None:
        rng = self.rng
        address = shopper.address
        rate = self.tax_rates.get(address["state"], Decimal(0))
        priced = quote(self._basket(), tax_rate=rate, policy=self.policy)
        payment_id = len(self.out.payments) + 1
        key = f"pay_{rng.getrandbits(96):024x}{payment_id:08x}"
        declined = rng.random() < 0.015
        method = "tok_chargeDeclined" if declined else rng.choices(PAYMENT_METHODS, PAYMENT_METHOD_WEIGHTS)[0]
        money = {"captured": 0, "voided": 0, "refunded": 0}
        statuses, last = [], placed
        for seller_quote in priced.orders:
            events = [e for e in self._timeline(placed, seller_quote, declined) if e.at <= self.reference]
            order_id = len(self.out.orders) + 1
            self._order_rows(order_id, payment_id, shopper, seller_quote, rate, events, money)
            statuses.append(events[-1].status)
            last = max(last, events[-1].at)
        self.out.payments.append({
            "id": payment_id, "shopper_id": shopper.user_id, "provider": "test",
            "provider_ref": None if declined else "testpay_" + hashlib.sha256(key.encode()).hexdigest()[:24],
            "idempotency_key": key, "payment_method": method,
            "status": _payment_status(declined, statuses, money), "amount_cents": priced.total_cents,
            "captured_cents": money["captured"], "refunded_cents": money["refunded"], "voided_cents": money["voided"],
            "decline_code": "card_declined" if declined else None, "created_at": placed, "updated_at": last,
        })  # fmt: skip

    def _basket(self) -> list[LineInput]:
        """Usually one shop, sometimes two or three; one to three listings per shop."""
        rng, shelf = self.rng, self.shelf
        first = shelf.products[weighted_index(rng, shelf.cum)]
        picks = [first]
        sellers = [shelf.seller_of[first]]
        for _ in range(rng.choices((0, 1, 2), (78, 18, 4))[0]):
            for _attempt in range(20):
                candidate = shelf.products[weighted_index(rng, shelf.cum)]
                if shelf.seller_of[candidate] not in sellers:
                    picks.append(candidate)
                    sellers.append(shelf.seller_of[candidate])
                    break
        for seller_id in list(sellers):
            extra = rng.choices((0, 1, 2), (68, 24, 8))[0]
            others = [p for p in shelf.by_seller[seller_id] if p not in picks]
            picks += rng.sample(others, min(extra, len(others)))
        lines = []
        for pid in picks:
            v = rng.choice(shelf.variants[pid])
            qty = rng.choices((1, 2, 3, 4, 5), (80, 13, 4, 2, 1))[0]
            supply = supply_price(v.id, v.price_cents, v.mode)
            lines.append(LineInput(v.id, v.sku, v.line_title, v.seller_id, v.mode.value, qty, v.price_cents, supply))
        return lines

    def _timeline(self, placed: dt.datetime, order: SellerQuote, declined: bool) -> list[Event]:
        rng = self.rng
        events = [Event(placed, S.UNPAID, "shopper", "placed")]
        if declined:
            return [*events, Event(placed + _s(rng.uniform(2, 20)), S.CANCELLED, "system", "payment_declined")]
        paid = placed + _s(rng.uniform(3, 40))
        events.append(Event(paid, S.AWAITING_SHIPMENT, "system", "paid"))
        by_platform = all(pl.line.selling_mode in PLATFORM_MODE_VALUES for pl in order.lines)
        handling = _clip(rng.lognormvariate(math.log(14 if by_platform else 26), 0.6), 1.5, 110)
        shipped = paid + _h(handling)
        label = shipped - _h(rng.uniform(0.5, handling / 2)) if rng.random() < 0.65 else None
        cancel = self._cancellation(paid, label, shipped, by_platform)
        if label is not None and (cancel is None or label < cancel.at):
            events.append(Event(label, S.AWAITING_COLLECTION, "system" if by_platform else "seller", "label_created"))
        if cancel is not None:
            return [*events, cancel]
        events.append(Event(shipped, S.IN_TRANSIT, "system", "carrier_pickup"))
        delivered = shipped + _h(_clip(rng.lognormvariate(math.log(70), 0.45), 18, 240))
        events.append(Event(delivered, S.DELIVERED, "system", "carrier_delivered"))
        completed = delivered + dt.timedelta(days=7)
        returned = delivered + dt.timedelta(days=rng.uniform(4, 28)) if rng.random() < 0.04 else None
        if returned is None or returned > completed:
            events.append(Event(completed, S.COMPLETED, "system", "auto_completed"))
        if returned is not None:
            partial = len(order.lines) > 1 and rng.random() < 0.4
            kind = S.PARTIALLY_RETURNED if partial else S.RETURNED
            events.append(Event(returned, kind, "system", "partial_return_received" if partial else "return_received"))
        return events

    def _cancellation(
        self, paid: dt.datetime, label: dt.datetime | None, shipped: dt.datetime, by_platform: bool
    ) -> Event | None:
        """Shoppers cancel until the label is printed; sellers (out of stock) until pickup."""
        rng, draw = self.rng, self.rng.random()
        if draw < 0.035:
            at = paid + _h(_clip(rng.lognormvariate(math.log(3), 1.0), 0.05, 48))
            reason = rng.choice(SHOPPER_CANCEL_REASONS)
            return Event(at, S.CANCELLED, "shopper", reason) if at < (label or shipped) else None
        if draw < 0.047 and not by_platform:
            at = paid + _h(rng.uniform(2, 40))
            return Event(at, S.CANCELLED, "seller", "out_of_stock") if at < shipped else None
        return None

    # ---- rows --------------------------------------------------------------------------------------

    def _order_rows(
        self,
        order_id: int,
        payment_id: int,
        shopper: ShopperPlan,
        order: SellerQuote,
        rate: Decimal,
        events: list[Event],
        money: dict[str, int],
    ) -> None:
        status = events[-1].status
        cancelled = events[-1] if status is S.CANCELLED else None
        paid = next((e.at for e in events if e.reason == "paid"), None)
        self.out.orders.append({
            "id": order_id, "shopper_id": shopper.user_id, "seller_id": order.seller_id, "payment_id": payment_id,
            "status": status, "currency": "USD", "subtotal_cents": order.subtotal_cents,
            "shipping_cents": order.shipping_cents, "discount_cents": 0, "tax_cents": order.tax_cents,
            "total_cents": order.total_cents, "tax_rate": str(rate), "ship_to": dict(shopper.address),
            "placed_at": events[0].at, "paid_at": paid, "cancelled_at": cancelled.at if cancelled else None,
            "cancel_reason": cancelled.reason if cancelled else None, "reservation_expires_at": None,
        })  # fmt: skip
        self._history(order_id, shopper.user_id, order.seller_id, events)
        returned_line = self.rng.randrange(len(order.lines)) if status is S.PARTIALLY_RETURNED else -1
        for i, pl in enumerate(order.lines):
            line_id = len(self.out.lines) + 1
            self.out.lines.append({
                "id": line_id, "order_id": order_id, "variant_id": pl.line.variant_id, "sku": pl.line.sku,
                "title": pl.line.title, "selling_mode": pl.line.selling_mode, "quantity": pl.line.quantity,
                "unit_price_cents": pl.line.unit_price_cents, "line_subtotal_cents": pl.subtotal_cents,
                "line_tax_cents": pl.tax_cents, "line_shipping_cents": pl.shipping_cents,
                "supply_price_cents": pl.line.supply_price_cents,
            })  # fmt: skip
            self._reserve(order_id, line_id, pl.line, events)
            if i == returned_line:
                money["refunded"] += pl.subtotal_cents + pl.tax_cents
        if status in SHIPPED:
            money["captured"] += order.total_cents
        if status is S.RETURNED:
            money["refunded"] += order.total_cents
        if status is S.CANCELLED and paid is not None:
            money["voided"] += order.total_cents

    def _history(self, order_id: int, shopper_id: int, seller_id: int, events: list[Event]) -> None:
        previous: OrderStatus | None = None
        for e in events:
            user = {"shopper": shopper_id, "seller": self.owner[seller_id]}.get(e.actor)
            self.out.history.append({
                "id": len(self.out.history) + 1, "order_id": order_id, "at": e.at, "actor_user_id": user,
                "actor_role": e.actor, "from_status": previous, "to_status": e.status, "reason": e.reason,
            })  # fmt: skip
            previous = e.status

    def _reserve(self, order_id: int, line_id: int, line: LineInput, events: list[Event]) -> None:
        """Held from the fullest warehouse at placement; still held, shipped or released by now."""
        stock, final = self.stock, events[-1]
        candidates = self.shelf.by_variant[line.variant_id].stock_rows
        row = max(candidates, key=lambda r: (stock.on_hand[r] - stock.reserved[r], -r))
        if final.status in PRE_SHIPMENT:
            status, settled = ReservationStatus.ACTIVE, None
            stock.reserved[row] += line.quantity
        elif final.status is S.CANCELLED:
            status, settled = ReservationStatus.RELEASED, final.at
        else:
            status = ReservationStatus.COMMITTED
            settled = next(e.at for e in events if e.status is S.IN_TRANSIT)
        self.out.reservations.append({
            "id": len(self.out.reservations) + 1, "order_id": order_id, "order_line_id": line_id,
            "stock_id": stock.ids[row], "variant_id": line.variant_id, "quantity": line.quantity,
            "status": status, "expires_at": None, "created_at": events[0].at, "settled_at": settled,
        })  # fmt: skip


def _payment_status(declined: bool, statuses: list[OrderStatus], money: dict[str, int]) -> PaymentStatus:
    """What the payment handlers would have recorded: captured on shipment, voided when all cancelled."""
    if declined:
        return PaymentStatus.DECLINED
    if money["captured"]:
        if money["refunded"] == money["captured"]:
            return PaymentStatus.REFUNDED
        return PaymentStatus.PARTIALLY_REFUNDED if money["refunded"] else PaymentStatus.CAPTURED
    if all(s is S.CANCELLED for s in statuses):
        return PaymentStatus.VOIDED
    return PaymentStatus.AUTHORIZED


def _clip(value: float, low: float, high: float) -> float:
    return min(high, max(low, value))


def _h(hours: float) -> dt.timedelta:
    return dt.timedelta(hours=hours)


def _s(seconds: float) -> dt.timedelta:
    return dt.timedelta(seconds=seconds)
