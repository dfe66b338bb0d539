"""Cart and order-placement use cases (single transaction each; the caller commits)."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session, selectinload

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.catalog.models import Category, Product, ProductStatus, Variant
from yellowcart.catalog.modes import SellingMode
from yellowcart.checkout import pricing, tax
from yellowcart.checkout.address import ShippingAddress
from yellowcart.checkout.models import Cart, CartLine, CartStatus, Payment, PaymentStatus
from yellowcart.db import utcnow
from yellowcart.errors import Conflict, Forbidden, InvalidInput, NotFound
from yellowcart.events import emit
from yellowcart.inventory.holds import Hold, attach_holds
from yellowcart.orders import service as orders
from yellowcart.orders.models import Order, OrderLine
from yellowcart.orders.state import OrderStatus
from yellowcart.promotions import engine, offers, redeem
from yellowcart.sellers.models import Seller, SellerStatus


class NotPurchasable(Conflict):
    code, title = "not_purchasable", "Product cannot be bought here"


def require_shopper(principal: Principal) -> None:
    if principal.role is not Role.SHOPPER:
        raise Forbidden("Only shoppers have carts and place orders.")


# ---- carts -------------------------------------------------------------------------------------


def get_cart(session: Session, *, principal: Principal, cart_id: int) -> Cart:
    cart = session.scalar(
        select(Cart).where(Cart.id == cart_id, Cart.shopper_id == principal.user_id).options(selectinload(Cart.lines))
    )
    if cart is None:
        raise NotFound(f"Cart {cart_id} does not exist.")
    return cart


def active_cart(session: Session, *, principal: Principal) -> Cart:
    """The shopper's open cart, created on first use."""
    require_shopper(principal)
    cart = session.scalar(
        select(Cart)
        .where(Cart.shopper_id == principal.user_id, Cart.status == CartStatus.ACTIVE)
        .order_by(Cart.id.desc())
        .options(selectinload(Cart.lines))
    )
    if cart is None:
        cart = Cart(shopper_id=principal.user_id, status=CartStatus.ACTIVE, lines=[])
        session.add(cart)
        session.flush()
    return cart


def open_cart(session: Session, *, principal: Principal, cart_id: int) -> Cart:
    """The shopper's cart, refusing one already checked out."""
    return _open_cart(session, principal, cart_id)


def _open_cart(session: Session, principal: Principal, cart_id: int) -> Cart:
    require_shopper(principal)
    cart = get_cart(session, principal=principal, cart_id=cart_id)
    if cart.status is not CartStatus.ACTIVE:
        raise Conflict("This cart has been checked out; start a new one.", cart_status=cart.status.value)
    return cart


def set_cart_line(session: Session, *, principal: Principal, cart_id: int, sku: str, quantity: int) -> Cart:
    """Add, change (quantity > 0) or remove (quantity == 0) a line."""
    if not 0 <= quantity <= 999:
        raise InvalidInput("quantity must be between 0 and 999.", field="quantity")
    cart = _open_cart(session, principal, cart_id)
    variant, _product = _purchasable(session, sku)
    line = next((ln for ln in cart.lines if ln.variant_id == variant.id), None)
    if quantity == 0:
        if line is not None:
            cart.lines.remove(line)
    elif line is None:
        cart.lines.append(CartLine(variant_id=variant.id, quantity=quantity))
    else:
        line.quantity = quantity
    cart.updated_at = utcnow()
    session.flush()
    return cart


def set_cart_address(session: Session, *, principal: Principal, cart_id: int, address: ShippingAddress) -> Cart:
    cart = _open_cart(session, principal, cart_id)
    cart.ship_to = address.model_dump()
    return cart


# ---- pricing -----------------------------------------------------------------------------------


def _purchasable(session: Session, sku: str) -> tuple[Variant, Product]:
    row = session.execute(
        select(Variant, Product, Seller.status)
        .join(Product, Product.id == Variant.product_id)
        .join(Seller, Seller.id == Product.seller_id)
        .where(Variant.sku == sku)
    ).one_or_none()
    if row is None:
        raise NotFound(f"SKU {sku} does not exist.", sku=sku)
    variant, product, seller_status = row
    _check_sellable(variant, product, seller_status)
    return variant, product


def _check_sellable(variant: Variant, product: Product, seller_status: SellerStatus) -> None:
    if product.status is not ProductStatus.ACTIVE or not variant.is_active or seller_status is not SellerStatus.ACTIVE:
        raise NotPurchasable(f"SKU {variant.sku} is not on sale.", sku=variant.sku)
    if not product.selling_mode.closed_loop:
        # The store's address is never handed out here: the tracked redirect (and the cutover) decide.
        raise NotPurchasable(
            f"SKU {variant.sku} is sold on the seller's own store; use the product's redirect_click.",
            sku=variant.sku,
            product_id=product.id,
            redirect_click=f"/v1/products/{product.id}/redirect-clicks",
        )
    if product.selling_mode is SellingMode.FULL_CUSTODY and variant.supply_price_cents is None:
        raise NotPurchasable(f"SKU {variant.sku} is waiting for the platform's price check.", sku=variant.sku)


def resolve_lines(session: Session, *, items: Sequence[tuple[str, int]]) -> list[pricing.LineInput]:
    """Turn (sku, quantity) pairs into priced inputs, refusing unknown or unsellable SKUs."""
    merged: dict[str, int] = {}
    for sku, qty in items:
        merged[sku] = merged.get(sku, 0) + qty
    too_many = [sku for sku, qty in merged.items() if qty > 999]
    if too_many:
        raise InvalidInput("At most 999 units of one SKU per order.", field="items", skus=too_many)
    rows = session.execute(
        select(Variant, Product, Seller.status, Category.path)
        .join(Product, Product.id == Variant.product_id)
        .join(Seller, Seller.id == Product.seller_id)
        .join(Category, Category.id == Product.category_id)
        .where(Variant.sku.in_(list(merged)))
    ).all()
    found = {variant.sku: (variant, product, status, path) for variant, product, status, path in rows}
    missing = sorted(set(merged) - set(found))
    if missing:
        raise NotFound(f"Unknown SKU: {', '.join(missing)}.", skus=missing)
    lines = []
    for sku, qty in merged.items():
        variant, product, status, path = found[sku]
        _check_sellable(variant, product, status)
        lines.append(
            pricing.LineInput(
                variant_id=variant.id,
                sku=sku,
                title=_line_title(product, variant),
                seller_id=product.seller_id,
                selling_mode=product.selling_mode.value,
                quantity=qty,
                unit_price_cents=variant.price_cents,
                supply_price_cents=(
                    variant.supply_price_cents if product.selling_mode is SellingMode.FULL_CUSTODY else None
                ),
                product_id=product.id,
                category_path=path,
            )
        )
    return lines


def _line_title(product: Product, variant: Variant) -> str:
    options = " / ".join(str(v) for v in (variant.options or {}).values())
    return f"{product.title} ({options})"[:250] if options else product.title[:250]


def shipping_policy(*, flat_fee_cents: int, free_threshold_cents: int) -> pricing.ShippingPolicy:
    return pricing.ShippingPolicy(flat_fee_cents=flat_fee_cents, free_threshold_cents=free_threshold_cents)


def quote_lines(
    session: Session,
    *,
    lines: list[pricing.LineInput],
    state: str | None,
    policy: pricing.ShippingPolicy,
    discounts: engine.Discounts = engine.NONE,
) -> pricing.Quote:
    rate = tax.rate_for_state(session, state) if state else Decimal(0)
    return pricing.quote(lines, tax_rate=rate, policy=policy, discounts=discounts)


@dataclass(frozen=True, slots=True)
class Promotions:
    """The promotions a checkout's lines get (``offers.discounts``)."""

    discounts: engine.Discounts
    available: offers.Available

    @classmethod
    def none(cls) -> Promotions:
        return cls(engine.NONE, offers.Available([], {}, {}))


def promotions_for(
    session: Session,
    *,
    shopper_id: int | None,
    lines: list[pricing.LineInput],
    codes: Sequence[str],
    policy: pricing.ShippingPolicy,
    now: dt.datetime,
    strict_codes: bool,
) -> Promotions:
    found, available = offers.discounts(
        session,
        shopper_id=shopper_id,
        lines=[ln.for_engine() for ln in lines],
        codes=codes,
        now=now,
        fee_for=policy.fee_for,
        strict_codes=strict_codes,
    )
    return Promotions(found, available)


def cart_items(cart: Cart, session: Session) -> list[tuple[str, int]]:
    if not cart.lines:
        return []
    skus = dict(
        session.execute(
            select(Variant.id, Variant.sku).where(Variant.id.in_([ln.variant_id for ln in cart.lines]))
        ).all()
    )
    return [(skus[ln.variant_id], ln.quantity) for ln in cart.lines]


# ---- placing and paying ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Placement:
    payment: Payment
    orders: list[Order]


def place_orders(
    session: Session,
    *,
    principal: Principal,
    lines: list[pricing.LineInput],
    ship_to: ShippingAddress,
    payment_method: str,
    policy: pricing.ShippingPolicy,
    reservation_ttl: dt.timedelta,
    low_stock_threshold: int,
    holds: Sequence[Hold],
    promotions: Promotions | None = None,
    quote: pricing.Quote | None = None,
) -> Placement:
    """Price and create one UNPAID order per seller, binding the stock already held for it, and count
    the promotions it uses (a promotion that ran out refuses the whole placement with a 409).

    The units were held just before (inventory.holds) so no hot stock row is locked here.
    """
    require_shopper(principal)
    promotions = promotions or Promotions.none()
    if quote is None:
        quote = quote_lines(session, lines=lines, state=ship_to.state, policy=policy, discounts=promotions.discounts)
    now = utcnow()
    payment = Payment(
        shopper_id=principal.user_id,
        provider="",
        idempotency_key="pay_" + secrets.token_hex(16),
        payment_method=payment_method,
        status=PaymentStatus.PENDING,
        amount_cents=quote.total_cents,
    )
    session.add(payment)
    session.flush()
    placed = _create_orders(session, principal, quote, payment, ship_to.model_dump(), now + reservation_ttl)
    deal_lines = [
        (ln.deal_id, ln.variant_id, (ln.was_cents - ln.unit_price_cents) * ln.quantity)
        for ln in lines
        if ln.deal_id is not None and ln.was_cents is not None
    ]
    if promotions.discounts.adjustments or deal_lines:
        redeem.record(
            session,
            shopper_id=principal.user_id,
            discounts=promotions.discounts,
            available=promotions.available,
            orders=placed,
            deal_lines=deal_lines,
            now=now,
        )
    by_variant = {ln.variant_id: order for order in placed for ln in order.lines}
    for order in placed:
        mine = [h for h in holds if by_variant[h.variant_id] is order]
        line_ids = {ln.variant_id: ln.id for ln in order.lines}
        attach_holds(session, holds=mine, order_id=order.id, line_ids=line_ids)
    for hold in holds:
        if hold.available_after <= low_stock_threshold < hold.available_after + hold.quantity:
            emit(
                session, "stock.low", stock_id=hold.stock_id, variant_id=hold.variant_id, available=hold.available_after
            )
    for order in placed:
        emit(
            session,
            "order.placed",
            order_id=order.id,
            seller_id=order.seller_id,
            shopper_id=order.shopper_id,
            total_cents=order.total_cents,
        )
    return Placement(payment=payment, orders=placed)


def _create_orders(
    session: Session,
    principal: Principal,
    quote: pricing.Quote,
    payment: Payment,
    ship_to: dict[str, Any],
    expires_at: dt.datetime,
) -> list[Order]:
    placed: list[Order] = []
    for seller_quote in quote.orders:
        order = Order(
            shopper_id=principal.user_id,
            seller_id=seller_quote.seller_id,
            payment_id=payment.id,
            status=OrderStatus.UNPAID,
            subtotal_cents=seller_quote.subtotal_cents,
            shipping_cents=seller_quote.shipping_cents,
            discount_cents=seller_quote.discount_cents,
            tax_cents=seller_quote.tax_cents,
            total_cents=seller_quote.total_cents,
            tax_rate=str(quote.tax_rate),
            ship_to=ship_to,
            reservation_expires_at=expires_at,
            lines=[
                OrderLine(
                    variant_id=pl.line.variant_id,
                    sku=pl.line.sku,
                    title=pl.line.title,
                    selling_mode=pl.line.selling_mode,
                    quantity=pl.line.quantity,
                    unit_price_cents=pl.line.unit_price_cents,
                    line_subtotal_cents=pl.subtotal_cents,
                    line_discount_cents=pl.discount_cents,
                    line_tax_cents=pl.tax_cents,
                    line_shipping_cents=pl.shipping_cents,
                    supply_price_cents=pl.line.supply_price_cents,
                )
                for pl in seller_quote.lines
            ],
        )
        session.add(order)
        placed.append(order)
    session.flush()
    for order in placed:
        orders.record_placed(session, order=order, actor=principal)
    return placed


def payment_orders(session: Session, *, payment_id: int) -> list[Order]:
    return list(
        session.scalars(
            select(Order).where(Order.payment_id == payment_id).order_by(Order.id).options(selectinload(Order.lines))
        )
    )


class OrderNotPayable(Conflict):
    code, title = "order_not_payable", "Order cannot be paid"


def pending_payment_of(session: Session, *, principal: Principal, order_id: int) -> Payment:
    """The payment still awaiting an answer for one of the shopper's UNPAID orders."""
    order = orders.get_order(session, principal=principal, order_id=order_id)
    payment = lock_payment(session, payment_id=order.payment_id) if order.payment_id else None
    if order.status is not OrderStatus.UNPAID or payment is None or payment.status is not PaymentStatus.PENDING:
        raise OrderNotPayable(
            f"Order {order_id} is {order.status.value}; only an unpaid order awaiting its payment can be paid.",
            status_now=order.status.value,
        )
    return payment


def lock_payment(session: Session, *, payment_id: int) -> Payment:
    payment = session.scalar(select(Payment).where(Payment.id == payment_id).with_for_update())
    if payment is None:
        raise NotFound(f"Payment {payment_id} does not exist.")
    return payment


def authorize_payment(session: Session, *, payment_id: int, provider: str, provider_ref: str) -> bool:
    """Mark a pending payment authorised; False when it was settled already (a racing retry)."""
    result = session.execute(
        update(Payment)
        .where(Payment.id == payment_id, Payment.status == PaymentStatus.PENDING)
        .values(status=PaymentStatus.AUTHORIZED, provider=provider, provider_ref=provider_ref, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], result).rowcount == 1


def record_authorized(session: Session, *, payment: Payment, provider: str, provider_ref: str) -> list[Order]:
    """Approved: every UNPAID order of the payment becomes AWAITING_SHIPMENT (idempotent)."""
    if payment.status is PaymentStatus.PENDING:
        payment.status, payment.provider, payment.provider_ref = PaymentStatus.AUTHORIZED, provider, provider_ref
    placed = payment_orders(session, payment_id=payment.id)
    now = utcnow()
    redeem.mark_used(session, payment_id=payment.id, now=now)
    for order in placed:
        if order.status is OrderStatus.UNPAID:
            orders.transition(session, order=order, target=OrderStatus.AWAITING_SHIPMENT, actor=None, reason="paid")
            order.paid_at, order.reservation_expires_at = now, None
            emit(
                session,
                "order.paid",
                order_id=order.id,
                seller_id=order.seller_id,
                shopper_id=order.shopper_id,
                total_cents=order.total_cents,
            )
    return placed


def record_declined(session: Session, *, payment: Payment, provider: str, decline_code: str) -> list[Order]:
    """Declined: the orders are cancelled and their stock released at once (a flash sale cannot wait
    for a TTL on a card that will never pay)."""
    if payment.status is PaymentStatus.PENDING:
        payment.status, payment.provider, payment.decline_code = PaymentStatus.DECLINED, provider, decline_code
    placed = payment_orders(session, payment_id=payment.id)
    for order in placed:
        if order.status is OrderStatus.UNPAID:
            orders.transition(session, order=order, target=OrderStatus.CANCELLED, actor=None, reason="payment_declined")
            redeem.release(session, order_id=order.id, now=utcnow())  # at once: a budget cannot wait for the worker
    return placed


def close_cart(session: Session, *, principal: Principal, cart_id: int) -> None:
    cart = _open_cart(session, principal, cart_id)
    cart.status = CartStatus.CHECKED_OUT
