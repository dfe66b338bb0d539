"""Store connections: a seller connects its Shopify store so the store's order webhooks reach us.

The webhook signing secret is write-only: it is accepted, stored (an HMAC cannot be verified from a
digest of its key) and used, but never returned by any endpoint nor written to a log.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.db import flush_guarded
from yellowcart.errors import Conflict, Forbidden, InvalidInput, NotFound
from yellowcart.redirect.models import StoreConnection, StorePlatform
from yellowcart.sellers.models import Seller

SHOP_DOMAIN_PATTERN = r"^[a-z0-9][a-z0-9-]{0,60}\.myshopify\.com$"
_SHOP_DOMAIN = re.compile(SHOP_DOMAIN_PATTERN)
MIN_SECRET, MAX_SECRET = 16, 255


class ShopTaken(Conflict):
    code, title = "shop_taken", "This store is already connected"


def _check_seller(session: Session, principal: Principal, seller_id: int) -> Seller:
    """A seller manages its own connections, operators everyone's; others' accounts read as missing."""
    if not (principal.is_operator or (principal.role is Role.SELLER and principal.seller_id == seller_id)):
        if principal.role in (Role.SELLER, Role.OPERATOR):
            raise NotFound(f"Seller {seller_id} does not exist.")
        raise Forbidden("Store connections are for sellers and operators.")
    seller = session.get(Seller, seller_id)
    if seller is None:
        raise NotFound(f"Seller {seller_id} does not exist.")
    return seller


def _check_secret(secret: str) -> str:
    if not MIN_SECRET <= len(secret) <= MAX_SECRET or any(c.isspace() for c in secret):
        raise InvalidInput(
            f"webhook_secret must be {MIN_SECRET}-{MAX_SECRET} characters without spaces.", field="webhook_secret"
        )
    return secret


def normalise_domain(shop_domain: str) -> str:
    domain = shop_domain.strip().lower()
    if not _SHOP_DOMAIN.match(domain):
        raise InvalidInput("shop_domain must look like your-store.myshopify.com.", field="shop_domain")
    return domain


def connect_store(
    session: Session, *, principal: Principal, seller_id: int, shop_domain: str, webhook_secret: str
) -> StoreConnection:
    """Connect a Shopify store to a seller; one store belongs to one seller."""
    seller = _check_seller(session, principal, seller_id)
    domain = normalise_domain(shop_domain)
    taken = ShopTaken(f"{domain} is already connected.", field="shop_domain")
    platform = StorePlatform.SHOPIFY
    if session.scalar(
        select(StoreConnection.id).where(StoreConnection.platform == platform, StoreConnection.shop_domain == domain)
    ):
        raise taken
    connection = StoreConnection(
        seller_id=seller.id,
        platform=platform,
        shop_domain=domain,
        webhook_secret=_check_secret(webhook_secret),
        is_active=True,
    )
    flush_guarded(session, lambda: session.add(connection), lambda: taken)
    return connection


def list_connections(session: Session, *, principal: Principal, seller_id: int) -> Sequence[StoreConnection]:
    _check_seller(session, principal, seller_id)
    query = select(StoreConnection).where(StoreConnection.seller_id == seller_id).order_by(StoreConnection.id)
    return session.scalars(query).all()


def update_connection(
    session: Session,
    *,
    principal: Principal,
    connection_id: int,
    webhook_secret: str | None,
    is_active: bool | None,
) -> StoreConnection:
    """Rotate the secret or switch the connection off (webhooks then answer 404) and on again."""
    connection = session.get(StoreConnection, connection_id, with_for_update=True)
    if connection is None:
        raise NotFound(f"Store connection {connection_id} does not exist.")
    try:
        _check_seller(session, principal, connection.seller_id)
    except NotFound as exc:
        raise NotFound(f"Store connection {connection_id} does not exist.") from exc
    if webhook_secret is not None:
        connection.webhook_secret = _check_secret(webhook_secret)
    if is_active is not None:
        connection.is_active = is_active
    session.flush()
    return connection


def webhook_connection(session: Session, *, connection_id: int) -> StoreConnection:
    """The active connection a webhook is addressed to (a switched-off one reads as missing)."""
    connection = session.get(StoreConnection, connection_id)
    if connection is None or not connection.is_active:
        raise NotFound(f"Store connection {connection_id} does not exist.")
    return connection
