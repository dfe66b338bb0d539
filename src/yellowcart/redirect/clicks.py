"""Tracked clicks: a tap on a redirect listing creates a click; ``/r/{click_id}`` sends the shopper to
the store with UTM parameters and the click id (until the market's cutover, then to the in-app page or
a "no longer available" page, never the external store).

A click is recorded for anonymous visitors too (the store order is what proves the sale); a known
shopper's tap is also an interaction (``cart_tap``) through the interactions service.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from yellowcart.auth.service import Principal
from yellowcart.catalog.models import Product, ProductStatus
from yellowcart.catalog.modes import SellingMode
from yellowcart.content.models import Anchor, Content, ContentKind, ContentStatus
from yellowcart.errors import Conflict, DomainError, InvalidInput, NotFound
from yellowcart.interactions.models import EventType
from yellowcart.interactions.service import record_server_event
from yellowcart.redirect import rules
from yellowcart.redirect.cutover_state import links_open_for_seller
from yellowcart.redirect.models import ClickMedium, RedirectClick
from yellowcart.sellers.models import Seller, SellerStatus


class NotARedirectListing(Conflict):
    code, title = "not_a_redirect_listing", "This listing sells in the app"


class RedirectEnded(DomainError):
    status, code, title = 410, "redirect_ended", "Redirect links have ended"


class ContentNotTagging(InvalidInput):
    code, title = "content_not_tagging_product", "The content does not tag this product"


def in_app_path(product_id: int) -> str:
    return f"/products/{product_id}"


def click_path(click_id: str) -> str:
    return f"/r/{click_id}"


def _on_sale(session: Session, product: Product) -> bool:
    seller = session.get(Seller, product.seller_id)
    return product.status is ProductStatus.ACTIVE and seller is not None and seller.status is SellerStatus.ACTIVE


def _in_app(session: Session, product: Product) -> str | None:
    """The in-app page, when the listing now sells in the app and is on sale."""
    return in_app_path(product.id) if product.selling_mode.closed_loop and _on_sale(session, product) else None


def _medium(session: Session, product: Product, content_id: int | None, source: ClickMedium) -> Content | None:
    """The content the tap came from must be live and tag the product (its creator gets the credit)."""
    if content_id is None:
        return None
    content = session.get(Content, content_id)
    tags = exists().where(Anchor.content_id == content_id, Anchor.product_id == product.id)
    if content is None or content.status is not ContentStatus.PUBLISHED:
        raise ContentNotTagging(f"Content {content_id} is not published.", field="content_id")
    if not session.scalar(select(or_(tags, Content.pinned_product_id == product.id)).where(Content.id == content_id)):
        raise ContentNotTagging(f"Content {content_id} does not tag product {product.id}.", field="content_id")
    return content


def create_click(
    session: Session,
    *,
    principal: Principal | None,
    product_id: int,
    content_id: int | None,
    source: ClickMedium,
    user_agent: str | None,
    now: dt.datetime,
) -> RedirectClick:
    """Record a tap on a redirect listing's link; the caller answers with ``/r/{click.id}``."""
    product = session.get(Product, product_id)
    if product is None or not _on_sale(session, product):
        raise NotFound(f"Product {product_id} does not exist.")
    if not product.selling_mode.closed_loop and not links_open_for_seller(
        session, seller_id=product.seller_id, now=now
    ):
        raise RedirectEnded("This seller's store links have ended; the listing is no longer available.")
    if product.selling_mode is not SellingMode.REDIRECT:
        raise NotARedirectListing("This listing sells in the app.", product_url=in_app_path(product.id))
    content = _medium(session, product, content_id, source)
    medium = source
    if content is not None:
        medium = ClickMedium.LIVE if content.kind is ContentKind.LIVE else ClickMedium.VIDEO
    click = RedirectClick(
        id=secrets.token_urlsafe(16),
        product_id=product.id,
        seller_id=product.seller_id,
        content_id=content.id if content else None,
        creator_user_id=content.owner_user_id if content else None,
        shopper_id=principal.user_id if principal else None,
        medium=medium,
        user_agent_hash=hashlib.sha256(user_agent.encode()).hexdigest() if user_agent else None,
        created_at=now,
    )
    session.add(click)
    session.flush()
    if principal is not None:
        record_server_event(
            session,
            user_id=principal.user_id,
            client_event_id=f"redirect-click-{click.id}",
            type=EventType.CART_TAP,
            product_id=product.id,
            content_id=click.content_id,
            at=now,
        )
    return click


class Outcome(enum.StrEnum):
    STORE = "store"  # 302 to the seller's store, tracked
    IN_APP = "in_app"  # 302 to the product's in-app page
    GONE = "gone"  # 410: no longer available
    UNKNOWN = "unknown"  # 404: no such click


@dataclass(frozen=True, slots=True)
class Destination:
    outcome: Outcome
    url: str | None = None


def destination(session: Session, *, click_id: str, now: dt.datetime) -> Destination:
    """Where ``/r/{click_id}`` sends the shopper now. From the cutover instant never to the store."""
    click = session.get(RedirectClick, click_id) if rules.is_click_id(click_id) else None
    if click is None:
        return Destination(Outcome.UNKNOWN)
    product = session.get_one(Product, click.product_id)
    if product.selling_mode is not SellingMode.REDIRECT:
        return _in_app_or_gone(session, product)
    if not links_open_for_seller(session, seller_id=product.seller_id, now=now):
        return _in_app_or_gone(session, product)
    if not product.redirect_url or not _on_sale(session, product):
        return Destination(Outcome.GONE)
    try:
        url = rules.tracked_url(
            product.redirect_url,
            click_id=click.id,
            medium=click.medium.value,
            campaign_name=rules.campaign(product.id, click.content_id),
        )
    except ValueError:  # a stored link that is not https: never send shoppers there
        return Destination(Outcome.GONE)
    return Destination(Outcome.STORE, url)


def product_destination(session: Session, *, product_id: int, now: dt.datetime) -> Destination:
    """For entry points without a click yet (the product page's button) once links have ended."""
    product = session.get(Product, product_id)
    if product is None:
        return Destination(Outcome.UNKNOWN)
    return _in_app_or_gone(session, product)


def _in_app_or_gone(session: Session, product: Product) -> Destination:
    path = _in_app(session, product)
    return Destination(Outcome.IN_APP, path) if path else Destination(Outcome.GONE)


def redirect_click_path(product_id: int) -> str:
    """The API a client posts a tap to (feed cards and product views carry it)."""
    return f"/v1/products/{product_id}/redirect-clicks"
