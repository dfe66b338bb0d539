"""Users and tokens. Tokens are 256-bit random strings: a SHA-256 digest is enough to store them
(no slow hash needed, unlike passwords, which use scrypt)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from yellowcart.auth.models import ApiToken, Role, User
from yellowcart.db import utcnow
from yellowcart.errors import Conflict, InvalidInput, Unauthorized
from yellowcart.risk import enforcement

TOKEN_PREFIX = "yc_"
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: resolved once per request from the bearer token."""

    user_id: int
    role: Role
    seller_id: int | None = None

    @property
    def is_operator(self) -> bool:
        return self.role is Role.OPERATOR


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str | None) -> bool:
    if not stored or not stored.startswith("scrypt$"):
        return False
    _, salt_hex, digest_hex = stored.split("$", 2)
    digest = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt_hex), **_SCRYPT)
    return hmac.compare_digest(digest.hex(), digest_hex)


def create_user(
    session: Session,
    *,
    email: str,
    display_name: str,
    role: Role,
    seller_id: int | None = None,
    password: str | None = None,
    home_zip: str | None = None,
) -> User:
    """Create a user; sellers must belong to a seller account."""
    if role is Role.SELLER and seller_id is None:
        raise InvalidInput("A seller user must belong to a seller account.", field="seller_id")
    email = email.strip().lower()
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict("A user with this email already exists.", field="email")
    user = User(
        email=email,
        display_name=display_name,
        role=role,
        seller_id=seller_id if role is Role.SELLER else None,
        password_hash=hash_password(password) if password else None,
        home_zip=home_zip,
    )
    session.add(user)
    session.flush()
    return user


def create_token(
    session: Session, *, user_id: int, name: str = "api", ttl: dt.timedelta | None = None
) -> tuple[str, ApiToken]:
    """Mint a token; the clear value is returned once and never stored."""
    clear = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user_id,
        token_hash=hash_token(clear),
        prefix=clear[:10],
        name=name,
        expires_at=utcnow() + ttl if ttl else None,
    )
    session.add(row)
    session.flush()
    return clear, row


def login(session: Session, *, email: str, password: str, ttl: dt.timedelta) -> tuple[str, User]:
    """Exchange email + password for a fresh token."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.is_active or not verify_password(password, user.password_hash):
        raise Unauthorized("Email or password is wrong.")
    enforcement.require_no_step_up(session, user_id=user.id, what="login")  # risk: 403 step_up_required
    clear, _ = create_token(session, user_id=user.id, name="login", ttl=ttl)
    return clear, user


def authenticate(session: Session, *, token: str) -> Principal:
    """Resolve a bearer token to a principal or refuse it."""
    return authenticate_with_expiry(session, token=token)[0]


def authenticate_with_expiry(session: Session, *, token: str) -> tuple[Principal, dt.datetime | None]:
    """Like :func:`authenticate`, also returning when the token expires (for caches)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        raise Unauthorized("The bearer token is malformed.")
    row = session.execute(
        select(ApiToken.expires_at, ApiToken.revoked_at, User.id, User.role, User.seller_id, User.is_active)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == hash_token(token))
    ).one_or_none()
    if row is None:
        raise Unauthorized("The bearer token is not valid.")
    expires_at, revoked_at, user_id, role, seller_id, is_active = row
    if revoked_at is not None or not is_active:
        raise Unauthorized("The bearer token has been revoked.")
    if expires_at is not None and expires_at <= utcnow():
        raise Unauthorized("The bearer token has expired.")
    return Principal(user_id=user_id, role=Role(role), seller_id=seller_id), expires_at


def revoke_token(session: Session, *, principal: Principal, token: str) -> None:
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is not None and row.user_id == principal.user_id:
        row.revoked_at = utcnow()
