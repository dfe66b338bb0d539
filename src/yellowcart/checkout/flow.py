"""Checkout as a use case spanning two transactions around one provider call.

1. Place: claim the Idempotency-Key, create UNPAID orders, reserve stock (one transaction).
2. Authorise with the provider, outside any transaction, with the payment's own idempotency key.
3. Record: approved -> AWAITING_SHIPMENT; declined -> cancelled, stock released; timeout -> left
   UNPAID with its reservation until the TTL job (or a retry with the same key) settles it.

This module owns transactions (it takes the Database), unlike service modules, because a provider
call must never run while stock rows are locked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy.exc import IntegrityError

from yellowcart.auth.service import Principal
from yellowcart.checkout import deals as checkout_deals
from yellowcart.checkout import explain, service
from yellowcart.checkout import idempotency as idem
from yellowcart.checkout.address import ShippingAddress
from yellowcart.checkout.models import Cart, IdempotencyState, Payment, PaymentStatus
from yellowcart.checkout.payments import PaymentProvider, PaymentProviderError, PaymentTimeout
from yellowcart.checkout.schemas import (
    CheckoutRequest,
    CheckoutResponse,
    DealLineOut,
    DiscountOut,
    checkout_response,
    paid_response,
)
from yellowcart.db import Database, utcnow
from yellowcart.errors import DomainError, IdempotencyInProgress, InvalidInput, PaymentDeclined, PaymentUnavailable
from yellowcart.fulfillment import service as fulfillment
from yellowcart.fulfillment.promise import CartPromise
from yellowcart.inventory import holds
from yellowcart.money import format_usd
from yellowcart.orders import service as orders_service
from yellowcart.orders.models import Order
from yellowcart.promotions import redeem
from yellowcart.risk import checks as risk_checks
from yellowcart.risk import enforcement
from yellowcart.risk.context import current as risk_context
from yellowcart.settings import Settings

log = structlog.get_logger(__name__)
ENDPOINT = "POST /v1/checkout"
#: How long a stock hold may wait to be attached to its order before the sweep releases it.
HOLD_TTL = dt.timedelta(minutes=2)
PAY_ENDPOINT = "POST /v1/orders/{id}/pay"


@dataclass(frozen=True, slots=True)
class Outcome:
    status: int
    body: dict[str, Any]
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class _ToAuthorize:
    payment_id: int
    key: str
    amount_cents: int
    method: str
    orders: tuple[Order, ...] = ()  # as placed (detached), to answer without reading them back
    deals: tuple[DealLineOut, ...] = ()  # lines bought through live deals, as priced
    discounts: tuple[DiscountOut, ...] = ()  # promotions applied, as placed

    @classmethod
    def of(cls, payment: Payment) -> _ToAuthorize:
        return cls(payment.id, payment.idempotency_key, payment.amount_cents, payment.payment_method)


class CheckoutFlow:
    """Wired once in bootstrap with the database, the payment provider and settings."""

    def __init__(self, db: Database, provider: PaymentProvider, settings: Settings) -> None:
        self.db, self.provider, self.settings = db, provider, settings
        self.policy = service.shipping_policy(
            flat_fee_cents=settings.standard_shipping_cents, free_threshold_cents=settings.free_shipping_threshold_cents
        )

    # -- entry point ---------------------------------------------------------------------------

    def checkout(self, *, principal: Principal, key: str, request: CheckoutRequest) -> Outcome:
        service.require_shopper(principal)
        fingerprint = idem.request_fingerprint(ENDPOINT, request.model_dump(mode="json"))
        try:
            placed = self._place(principal, key, fingerprint, request)
        except IntegrityError:
            placed = None  # a concurrent request with the same key got there first
        except DomainError as err:
            self._remember_failure(principal, key, fingerprint, err)
            raise
        if isinstance(placed, Outcome):
            return placed
        if placed is None:
            return self._resume(principal, key, fingerprint)
        return self._authorize_and_record(principal, key, placed, request.cart_id)

    # -- steps ---------------------------------------------------------------------------------

    def _place(
        self, principal: Principal, key: str, fingerprint: str, request: CheckoutRequest
    ) -> Outcome | _ToAuthorize | None:
        held: list[holds.Hold] = []
        claims: list[checkout_deals.Claim] = []
        try:
            with self.db.transaction() as session:
                existing = idem.find(session, user_id=principal.user_id, key=key, fingerprint=fingerprint)
                if existing is not None:
                    return self._from_existing(existing)  # None: in progress elsewhere -> resume
                risk_checks.checkout(  # risk: the hot-path check; fails open (logged) on any error or past 50 ms
                    session,
                    principal=principal,
                    payment_method=request.payment_method,
                    context=risk_context(),
                    ship_to=request.shipping_address.model_dump() if request.shipping_address else None,
                    now=utcnow(),
                )
                enforcement.require_may_checkout(session, user_id=principal.user_id)  # risk: step-up, suspension
                items, ship_to, cart = self._items_and_address(session, principal, request)
                lines = service.resolve_lines(session, items=items) if items else []
                deal_lines, offers = checkout_deals.resolve(session, request=request, now=utcnow())
                lines += deal_lines
                promotions, quote = self._price(session, principal, request, cart, lines, ship_to)
                promises = self._promises(session, lines, ship_to.zip)  # before the holds take the stock
                self._take_units(session, principal, lines, offers, held, claims)
                placement = service.place_orders(
                    session,
                    principal=principal,
                    lines=lines,
                    ship_to=ship_to,
                    payment_method=request.payment_method,
                    policy=self.policy,
                    reservation_ttl=dt.timedelta(seconds=self.settings.reservation_ttl_seconds),
                    low_stock_threshold=self.settings.low_stock_threshold,
                    holds=held + checkout_deals.holds_of(claims),
                    promotions=promotions,
                    quote=quote,
                )
                checkout_deals.record(session, claims=claims, orders=placement.orders, lines=lines)
                for order in placement.orders:
                    for name, value in fulfillment.promise_columns(promises.get(order.seller_id)).items():
                        setattr(order, name, value)
                p = placement.payment
                idem.claim(
                    session,
                    user_id=principal.user_id,
                    key=key,
                    endpoint=ENDPOINT,
                    fingerprint=fingerprint,
                    payment_id=p.id,
                )
                priced = tuple(checkout_deals.priced(lines, offers))
                explained = tuple(explain.of_orders(session, [o.id for o in placement.orders]))
                return _ToAuthorize(
                    p.id,
                    p.idempotency_key,
                    p.amount_cents,
                    p.payment_method,
                    tuple(placement.orders),
                    priced,
                    explained,
                )
        except BaseException:
            holds.release_holds(self.db, held)  # the order was not saved: give the units back
            checkout_deals.give_back(self.db, claims)  # (to the deal while it runs)
            raise

    def _take_units(
        self,
        session: Any,
        principal: Principal,
        lines: list[Any],
        offers: list[checkout_deals.Offer],
        held: list[holds.Hold],
        claims: list[checkout_deals.Claim],
    ) -> None:
        """Hold the open stock of plain lines; deal lines take theirs from the deal's set-aside. What is
        taken lands in ``held``/``claims`` as it is taken, so the caller can give it back on failure."""
        plain = [ln for ln in lines if ln.deal_id is None]
        if plain:
            seen = holds.candidates(session, variant_ids=[ln.variant_id for ln in plain])
            wants = [holds.Want(ln.variant_id, ln.sku, ln.quantity) for ln in plain]
            held.extend(holds.hold_stock(self.db, session, wants=wants, ttl=HOLD_TTL, seen=seen))
        claims.extend(checkout_deals.take(self.db, session, user_id=principal.user_id, offers=offers, ttl=HOLD_TTL))

    def _promises(self, session: Any, lines: list[Any], zip_code: str) -> dict[int, CartPromise | None]:
        """The delivery promise of each seller's order (one order per seller), stored on the order."""
        by_seller: dict[int, list[tuple[str, int]]] = {}
        for line in lines:
            by_seller.setdefault(line.seller_id, []).append((line.sku, line.quantity))
        now = utcnow()
        return {
            seller: fulfillment.promise_or_none(session, lines=items, ship_to_zip=zip_code, now=now)
            for seller, items in by_seller.items()
        }

    def _price(
        self,
        session: Any,
        principal: Principal,
        request: CheckoutRequest,
        cart: Cart | None,
        lines: list[Any],
        ship_to: ShippingAddress,
    ) -> tuple[service.Promotions, Any]:
        """The promotions and the quote the orders will carry, refusing (409 price_changed, before
        anything is written) a total other than the one the shopper was shown."""
        codes = request.coupon_codes if request.coupon_codes is not None else (cart.coupon_codes if cart else None)
        promotions = service.promotions_for(
            session,
            shopper_id=principal.user_id,
            lines=lines,
            codes=codes or [],
            policy=self.policy,
            now=utcnow(),
            strict_codes=True,
        )
        quote = service.quote_lines(
            session, lines=lines, state=ship_to.state, policy=self.policy, discounts=promotions.discounts
        )
        shown = request.expected_total_cents
        if shown is None and cart is not None and request.shipping_address is None:
            shown = cart.quoted_total_cents
        if shown is not None and shown != quote.total_cents:
            raise explain.PriceChanged(
                f"The total is now {format_usd(quote.total_cents)}, not the {format_usd(shown)} you were shown; "
                "nothing was charged. Review the cart and check out again.",
                shown_total_cents=shown,
                total_cents=quote.total_cents,
                discounts=[d.model_dump() for d in explain.of_quote(quote, promotions.discounts)],
            )
        return promotions, quote

    def _items_and_address(
        self, session: Any, principal: Principal, request: CheckoutRequest
    ) -> tuple[list[tuple[str, int]], ShippingAddress, Cart | None]:
        cart = None
        if request.cart_id is not None:
            cart = service.get_cart(session, principal=principal, cart_id=request.cart_id)
            items = service.cart_items(cart, session)
            if not items:
                raise InvalidInput("The cart is empty.", field="cart_id")
            ship_to = request.shipping_address or (
                ShippingAddress.model_validate(cart.ship_to) if cart.ship_to else None
            )
        else:
            items = checkout_deals.plain_items(request)  # deal items are priced by checkout_deals.resolve
            ship_to = request.shipping_address
        if ship_to is None:
            raise InvalidInput("A shipping address is required.", field="shipping_address")
        return items, ship_to, cart

    def _authorize_and_record(self, principal: Principal, key: str, todo: _ToAuthorize, cart_id: int | None) -> Outcome:
        decline_code = "processing_error"
        try:
            auth = self.provider.authorize(
                amount_cents=todo.amount_cents, currency="USD", payment_method=todo.method, idempotency_key=todo.key
            )
        except PaymentTimeout:
            log.warning("checkout.payment_timeout", payment_id=todo.payment_id)
            err = PaymentUnavailable(
                "The payment provider did not answer. Retry with the same Idempotency-Key; "
                "you will not be charged twice.",
                payment_id=todo.payment_id,
            )
            raise err from None
        except PaymentProviderError as exc:
            auth = None
            log.warning("checkout.payment_error", payment_id=todo.payment_id, error=str(exc))
        approved = auth is not None and auth.approved and auth.provider_ref
        if approved and todo.orders:
            return self._record_paid_fast(principal, key, todo, cart_id, str(auth.provider_ref) if auth else "")
        with self.db.transaction() as session:
            payment = service.lock_payment(session, payment_id=todo.payment_id)
            if auth is not None and auth.approved and auth.provider_ref:
                placed = service.record_authorized(
                    session, payment=payment, provider=self.provider.name, provider_ref=auth.provider_ref
                )
                if cart_id is not None:
                    service.close_cart(session, principal=principal, cart_id=cart_id)
                deals = checkout_deals.of_orders(session, placed)
                explained = explain.of_orders(session, [o.id for o in placed])
                outcome = Outcome(201, checkout_response(payment, placed, deals, explained).model_dump(mode="json"))
            else:
                code = auth.decline_code if auth is not None and auth.decline_code else decline_code
                placed = service.record_declined(
                    session, payment=payment, provider=self.provider.name, decline_code=code
                )
                problem = PaymentDeclined(
                    f"The card was declined ({code}). Nothing was charged and the items are back on sale.",
                    decline_code=code,
                    payment_id=payment.id,
                    order_ids=[o.id for o in placed],
                )
                outcome = Outcome(402, problem.to_problem())
            idem.finish(session, user_id=principal.user_id, key=key, status=outcome.status, body=outcome.body)
        return outcome

    def _record_paid_fast(
        self, principal: Principal, key: str, todo: _ToAuthorize, cart_id: int | None, provider_ref: str
    ) -> Outcome:
        """The common case, as set-based statements: payment authorised, orders paid, key answered."""
        now = utcnow()
        with self.db.transaction() as session:
            won = service.authorize_payment(
                session, payment_id=todo.payment_id, provider=self.provider.name, provider_ref=provider_ref
            )
            if won:
                orders_service.mark_paid(session, payment_id=todo.payment_id, now=now)
                redeem.mark_used(session, payment_id=todo.payment_id, now=now)
                if cart_id is not None:
                    service.close_cart(session, principal=principal, cart_id=cart_id)
                body = paid_response(
                    todo.payment_id, todo.amount_cents, self.provider.name, todo.orders, now, todo.deals, todo.discounts
                )
                outcome = Outcome(201, body.model_dump(mode="json"))
                idem.finish(session, user_id=principal.user_id, key=key, status=outcome.status, body=outcome.body)
        if not won:  # a racing retry settled this payment first: answer from what it recorded
            return self._settled_outcome(principal, key, todo.payment_id)
        return outcome

    def _from_existing(self, existing: idem.Existing) -> Outcome | None:
        if existing.state is IdempotencyState.DONE and existing.response_status and existing.response_body is not None:
            return Outcome(existing.response_status, existing.response_body, replayed=True)
        return None

    def pay_order(self, *, principal: Principal, key: str, order_id: int) -> Outcome:
        """Retry the payment of an UNPAID order (after a provider timeout), safe to repeat: the
        provider sees the payment's own idempotency key, so the card is charged at most once."""
        service.require_shopper(principal)
        fingerprint = idem.request_fingerprint(PAY_ENDPOINT, {"order_id": order_id})
        todo: _ToAuthorize | None = None
        try:
            with self.db.transaction() as session:
                if idem.find(session, user_id=principal.user_id, key=key, fingerprint=fingerprint) is None:
                    payment = service.pending_payment_of(session, principal=principal, order_id=order_id)
                    idem.claim(
                        session,
                        user_id=principal.user_id,
                        key=key,
                        endpoint=PAY_ENDPOINT,
                        fingerprint=fingerprint,
                        payment_id=payment.id,
                    )
                    todo = _ToAuthorize(
                        payment.id, payment.idempotency_key, payment.amount_cents, payment.payment_method
                    )
        except IntegrityError:
            todo = None  # a concurrent retry with the same key claimed it
        if todo is None:
            return self._resume(principal, key, fingerprint)
        return self._authorize_and_record(principal, key, todo, None)

    def _resume(self, principal: Principal, key: str, fingerprint: str) -> Outcome:
        """A retry (or a racing duplicate) of a request whose orders already exist."""
        with self.db.transaction() as session:
            existing = idem.find(session, user_id=principal.user_id, key=key, fingerprint=fingerprint)
            if existing is None:
                raise IdempotencyInProgress("The first request with this key failed; retry.")
            done = self._from_existing(existing)
            if done is not None:
                return done
            if existing.payment_id is None:
                raise IdempotencyInProgress("A request with this Idempotency-Key is still being processed.")
            payment = service.lock_payment(session, payment_id=existing.payment_id)
            todo = _ToAuthorize.of(payment)
            settled = payment.status is not PaymentStatus.PENDING
        if settled:
            return self._settled_outcome(principal, key, todo.payment_id)
        return self._authorize_and_record(principal, key, todo, None)

    def _settled_outcome(self, principal: Principal, key: str, payment_id: int) -> Outcome:
        with self.db.transaction() as session:
            payment = service.lock_payment(session, payment_id=payment_id)
            placed = service.payment_orders(session, payment_id=payment_id)
            if payment.status is PaymentStatus.DECLINED:
                problem = PaymentDeclined(
                    f"The card was declined ({payment.decline_code}).",
                    decline_code=payment.decline_code,
                    payment_id=payment.id,
                    order_ids=[o.id for o in placed],
                )
                return Outcome(402, problem.to_problem(), replayed=True)
            deals = checkout_deals.of_orders(session, placed)
            explained = explain.of_orders(session, [o.id for o in placed])
            body = checkout_response(payment, placed, deals, explained).model_dump(mode="json")
            return Outcome(201, body, replayed=True)

    def _remember_failure(self, principal: Principal, key: str, fingerprint: str, err: DomainError) -> None:
        """A request that failed on business grounds replays the same answer (Stripe's rule)."""
        if err.status >= 500 or err.code in ("idempotency_key_reused", "idempotency_in_progress"):
            return
        try:
            with self.db.transaction() as session:
                idem.claim(session, user_id=principal.user_id, key=key, endpoint=ENDPOINT, fingerprint=fingerprint)
                idem.finish(session, user_id=principal.user_id, key=key, status=err.status, body=err.to_problem())
        except IntegrityError:
            pass  # a concurrent retry recorded it first


__all__ = ["CheckoutFlow", "CheckoutResponse", "Outcome"]
