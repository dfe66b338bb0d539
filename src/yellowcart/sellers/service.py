"""Seller accounts: onboarding by operators, what the public and the seller itself see and change."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yellowcart.auth import service as auth
from yellowcart.auth.models import Role, User
from yellowcart.auth.service import Principal
from yellowcart.catalog.modes import SellingMode
from yellowcart.db import flush_guarded
from yellowcart.errors import Conflict, Forbidden, NotFound
from yellowcart.sellers.models import Seller, SellerStatus
from yellowcart.sellers.schemas import SellerPatch


class SellerNameTaken(Conflict):
    code, title = "seller_name_taken", "Seller name already in use"


class SellerFieldNotAllowed(Forbidden):
    code, title = "seller_field_not_allowed", "Only operators change this field"


def _is_own(principal: Principal | None, seller_id: int) -> bool:
    return principal is not None and principal.role is Role.SELLER and principal.seller_id == seller_id


def list_sellers(
    session: Session, *, status: SellerStatus | None = None, after_id: int | None = None, limit: int = 50
) -> Sequence[Seller]:
    """Seller accounts, newest first (an operator's back-office list)."""
    query = select(Seller)
    if status is not None:
        query = query.where(Seller.status == status)
    if after_id is not None:
        query = query.where(Seller.id < after_id)
    return session.scalars(query.order_by(Seller.id.desc()).limit(limit)).all()


def get_seller(session: Session, *, principal: Principal | None, seller_id: int) -> Seller:
    """Active sellers are public; others only to operators and the seller itself."""
    seller = session.get(Seller, seller_id)
    if seller is None:
        raise NotFound(f"Seller {seller_id} does not exist.")
    visible = seller.status is SellerStatus.ACTIVE or _is_own(principal, seller_id)
    if not visible and not (principal is not None and principal.is_operator):
        raise NotFound(f"Seller {seller_id} does not exist.")
    return seller


def _ensure_name_free(session: Session, name: str, *, except_id: int | None = None) -> None:
    query = select(Seller.id).where(func.lower(Seller.name) == name.lower())
    if except_id is not None:
        query = query.where(Seller.id != except_id)
    if session.scalar(query) is not None:
        raise SellerNameTaken(f"A seller named {name!r} already exists.", field="name")


def _guard_name(session: Session, name: str, change: Callable[[], None]) -> None:
    """A concurrent insert of the same name is a 409, not a 500."""
    flush_guarded(session, change, lambda: SellerNameTaken(f"A seller named {name!r} already exists.", field="name"))


def create_seller(
    session: Session,
    *,
    name: str,
    status: SellerStatus = SellerStatus.PENDING,
    default_selling_mode: SellingMode = SellingMode.SELLER_FULFILLED,
    store_url: str | None = None,
) -> Seller:
    """Open a seller account (operators onboard sellers)."""
    _ensure_name_free(session, name)
    seller = Seller(name=name, status=status, default_selling_mode=default_selling_mode, store_url=store_url)
    _guard_name(session, name, lambda: session.add(seller))
    return seller


def update_seller(session: Session, *, principal: Principal, seller_id: int, patch: SellerPatch) -> Seller:
    """Operators change anything; a seller only its own store_url and default_selling_mode."""
    seller = session.get(Seller, seller_id, with_for_update=True)
    if seller is None or not (principal.is_operator or _is_own(principal, seller_id)):
        raise NotFound(f"Seller {seller_id} does not exist.")
    if not principal.is_operator:
        _refuse_operator_fields(seller, patch)
    new_name = patch.name
    if new_name is not None and new_name != seller.name:
        _ensure_name_free(session, new_name, except_id=seller.id)
        _guard_name(session, new_name, lambda: setattr(seller, "name", new_name))
    if patch.status is not None:
        seller.status = patch.status
    if patch.default_selling_mode is not None:
        seller.default_selling_mode = patch.default_selling_mode
    if "store_url" in patch.model_fields_set:
        seller.store_url = patch.store_url
    session.flush()
    return seller


def _refuse_operator_fields(seller: Seller, patch: SellerPatch) -> None:
    for field in ("status", "name"):
        value = getattr(patch, field)
        if value is not None and value != getattr(seller, field):
            raise SellerFieldNotAllowed(f"Only operators change a seller's {field}.", field=field)


def add_member(session: Session, *, seller_id: int, email: str, display_name: str, password: str | None = None) -> User:
    """A user with the seller role, bound to this seller account."""
    if session.get(Seller, seller_id) is None:
        raise NotFound(f"Seller {seller_id} does not exist.")
    return auth.create_user(
        session, email=email, display_name=display_name, role=Role.SELLER, seller_id=seller_id, password=password
    )
