"""Sellers' message templates and quick replies: create, list, change, delete (each seller its own;
operators read and manage any), and filling one in for a conversation's order."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from yellowcart.auth.models import Role, User
from yellowcart.auth.service import Principal
from yellowcart.db import flush_guarded
from yellowcart.errors import Conflict, Forbidden, InvalidInput, NotFound
from yellowcart.fulfillment.models import Shipment, ShipmentStatus
from yellowcart.orders.models import Order
from yellowcart.sellers.models import Seller
from yellowcart.support import placeholders
from yellowcart.support.models import MAX_TEXT, Conversation, Template, TemplateKind


def _owner(principal: Principal, seller_id: int | None) -> int:
    """The seller whose templates the caller manages: its own; operators name one."""
    if principal.role is Role.SELLER and principal.seller_id is not None:
        if seller_id is not None and seller_id != principal.seller_id:
            raise NotFound(f"Seller {seller_id} does not exist.")
        return principal.seller_id
    if principal.is_operator:
        if seller_id is None:
            raise InvalidInput("Operators say whose templates: seller_id.", field="seller_id")
        return seller_id
    raise Forbidden("Templates are for sellers (and operators).")


def _own_seller(principal: Principal) -> int | None:
    return principal.seller_id if principal.role is Role.SELLER else None


def _checked(body: str, title: str, kind: TemplateKind, shortcut: str | None) -> str:
    body = body.strip()
    if not body or len(body) > MAX_TEXT:
        raise InvalidInput(f"A template has 1 to {MAX_TEXT} characters.", field="body")
    if not title.strip():
        raise InvalidInput("A template needs a title.", field="title")
    if kind is TemplateKind.TEMPLATE and shortcut:
        raise InvalidInput("Only quick replies have a shortcut.", field="shortcut")
    try:
        placeholders.check(body)
    except placeholders.TemplateError as exc:
        raise InvalidInput(str(exc), field="body") from exc
    return body


def _duplicate(title: str) -> Conflict:
    return Conflict(f"You already have a template titled {title!r}.", field="title")


def create_template(
    session: Session,
    *,
    principal: Principal,
    seller_id: int | None,
    kind: TemplateKind,
    title: str,
    body: str,
    shortcut: str | None,
) -> Template:
    owner = _owner(principal, seller_id)
    if session.get(Seller, owner) is None:
        raise NotFound(f"Seller {owner} does not exist.")
    template = Template(
        seller_id=owner, kind=kind, title=title.strip(), body=_checked(body, title, kind, shortcut),
        shortcut=shortcut, created_by=principal.user_id,
    )  # fmt: skip
    flush_guarded(session, lambda: session.add(template), lambda: _duplicate(title))
    return template


def get_template(session: Session, *, principal: Principal, template_id: int) -> Template:
    template = session.get(Template, template_id)
    if template is None or not (principal.is_operator or template.seller_id == _own_seller(principal)):
        raise NotFound(f"Template {template_id} does not exist.")
    return template


def list_templates(
    session: Session, *, principal: Principal, seller_id: int | None, kind: TemplateKind | None
) -> Sequence[Template]:
    query = select(Template).where(Template.seller_id == _owner(principal, seller_id))
    if kind is not None:
        query = query.where(Template.kind == kind)
    return session.scalars(query.order_by(Template.kind, Template.title)).all()


def update_template(
    session: Session,
    *,
    principal: Principal,
    template_id: int,
    kind: TemplateKind,
    title: str,
    body: str,
    shortcut: str | None,
) -> Template:
    template = get_template(session, principal=principal, template_id=template_id)
    checked = _checked(body, title, kind, shortcut)

    def change() -> None:
        template.kind, template.title, template.body, template.shortcut = kind, title.strip(), checked, shortcut

    flush_guarded(session, change, lambda: _duplicate(title))
    return template


def delete_template(session: Session, *, principal: Principal, template_id: int) -> None:
    session.delete(get_template(session, principal=principal, template_id=template_id))


def order_values(session: Session, conv: Conversation) -> dict[str, str | None]:
    """What placeholders are filled with: the order, its shopper's first name, its latest package."""
    order = session.get(Order, conv.order_id)
    assert order is not None
    shopper = session.get(User, conv.shopper_id)
    seller = session.get(Seller, conv.seller_id)
    shipment = session.scalar(
        select(Shipment)
        .where(Shipment.order_id == order.id, Shipment.status != ShipmentStatus.CANCELLED)
        .order_by(Shipment.tracking_number.is_(None), Shipment.id.desc())
    )
    carrier = shipment.carrier if shipment else None
    number = shipment.tracking_number if shipment else None
    return {
        "order_id": str(order.id),
        "order_status": order.status.value.lower(),
        "shopper_name": shopper.display_name.split()[0] if shopper and shopper.display_name.strip() else None,
        "seller_name": seller.name if seller else None,
        "carrier": carrier.upper() if carrier else None,
        "tracking_number": number,
        "tracking_url": placeholders.tracking_url(carrier, number),
        "promised_date": order.promised_delivery_date.isoformat() if order.promised_delivery_date else None,
        "estimated_date": shipment.estimated_date.isoformat() if shipment and shipment.estimated_date else None,
    }


def render_for(session: Session, *, principal: Principal, template_id: int, conv: Conversation) -> str:
    """The seller's template filled in for the conversation's order (another seller's is missing)."""
    template = get_template(session, principal=principal, template_id=template_id)
    if template.seller_id != conv.seller_id:
        raise NotFound(f"Template {template_id} does not exist.")
    return placeholders.render(template.body, order_values(session, conv))
