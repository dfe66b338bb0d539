"""Recording risk signals: logins, token uses, payout-destination, shop-profile and contact changes,
sellers' and creators' messages, checkouts. Append-only; each row carries the request's minimised
context (network prefix, keyed hashes of the IP and device, user-agent family, claimed time zone).

Token uses would be one row per API call; they are deduplicated to one row per token x network x
device x day (a process-local set in front of a unique key), so the volume stays bounded by people and
places, not by traffic. Messages are kept as a template fingerprint of their (already masked) text: two
messages that differ only in names, numbers and links share it; the text itself is never stored here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

import anyio
import structlog
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from starlette.types import Scope

from yellowcart.auth.models import ApiToken, Role, User
from yellowcart.auth.service import Principal, hash_token
from yellowcart.db import Database, utcnow
from yellowcart.risk.context import RequestContext, current
from yellowcart.risk.signal_models import PayoutDestination, RiskSignal, SignalKind
from yellowcart.sellers.identity import keyed_hash, pii_key
from yellowcart.settings import get_settings

log = structlog.get_logger(__name__)

_URL = re.compile(r"(https?://\S+|www\.\S+)")
_EMAIL = re.compile(r"\S+@\S+")
_DIGITS = re.compile(r"\d+")
_WORD = re.compile(r"[a-z#]+")
_GREETINGS = frozenset({"hi", "hello", "hey", "dear", "thanks", "thank"})
TEMPLATE_WORDS = 40


def template_text(text: str) -> str:
    """The message's shape: lower case, links/e-mails/numbers replaced, a greeted name dropped, short
    words dropped. ``Hi Anna, order #123 ships today`` and ``hi Bob - order #9 ships today`` agree."""
    text = _EMAIL.sub(" @ ", _URL.sub(" url ", text.lower()))
    words = _WORD.findall(_DIGITS.sub("#", text))
    if len(words) >= 2 and words[0] in _GREETINGS:
        words = [words[0], *words[2:]]
    return " ".join([w for w in words if len(w) > 2 or w == "#"][:TEMPLATE_WORDS])


def template_fingerprint(key: bytes, text: str) -> str:
    """Keyed, so the fingerprint of a short message cannot be tested against guesses without the key."""
    return keyed_hash(key, "template", template_text(text))


def payment_fingerprint(key: bytes, payment_method: str) -> str:
    return keyed_hash(key, "payment", payment_method.strip())


def phone_fingerprint(key: bytes, e164: str) -> str:
    return keyed_hash(key, "phone", e164.strip())


def address_key(ship_to: dict[str, Any] | None) -> str | None:
    """A ship-to address as a comparable key: its lines (letters and digits only) and ZIP. A dorm's
    rooms (``line2``) stay apart; two spellings of one street line agree."""
    if not ship_to:
        return None
    lines = [_alnum(ship_to.get("line1")), _alnum(ship_to.get("line2"))]
    zip5 = str(ship_to.get("zip") or "")[:5]
    if not lines[0] or not zip5:
        return None
    return f"{lines[0]}~{lines[1]}|{zip5}" if lines[1] else f"{lines[0]}|{zip5}"


def _alnum(text: object) -> str:
    return "".join(ch for ch in str(text or "").lower() if ch.isalnum())


def address_fingerprint(key: bytes, ship_to: dict[str, Any] | None) -> str | None:
    found = address_key(ship_to)
    return keyed_hash(key, "address", found) if found else None


def record(
    session: Session,
    *,
    kind: SignalKind,
    context: RequestContext,
    now: dt.datetime,
    user_id: int | None = None,
    seller_id: int | None = None,
    token_id: int | None = None,
    zip_code: str | None = None,
    fingerprint: str | None = None,
    detail: dict[str, Any] | None = None,
    address_hash: str | None = None,
) -> RiskSignal:
    """Append one signal in the caller's transaction."""
    row = RiskSignal(
        kind=kind,
        at=now,
        user_id=user_id,
        seller_id=seller_id,
        token_id=token_id,
        zip=zip_code if zip_code and len(zip_code) == 5 and zip_code.isdigit() else None,
        fingerprint=fingerprint,
        address_hash=address_hash,
        detail=detail or {},
        **context.stored(),
    )
    session.add(row)
    return row


def record_login(
    session: Session, *, user_id: int, seller_id: int | None, context: RequestContext, now: dt.datetime, check: str
) -> RiskSignal:
    return record(
        session,
        kind=SignalKind.LOGIN,
        context=context,
        now=now,
        user_id=user_id,
        seller_id=seller_id,
        detail={"check": check},
    )


def record_payout_change(
    session: Session,
    *,
    seller_id: int,
    user_id: int | None,
    account_hash: str,
    context: RequestContext,
    now: dt.datetime,
    outcome: str,
) -> RiskSignal:
    return record(
        session,
        kind=SignalKind.PAYOUT_CHANGE,
        context=context,
        now=now,
        user_id=user_id,
        seller_id=seller_id,
        fingerprint=account_hash,
        detail={"outcome": outcome},
    )


def record_profile_change(
    session: Session, *, seller_id: int, user_id: int, fields: Iterable[str], context: RequestContext, now: dt.datetime
) -> RiskSignal:
    return record(
        session,
        kind=SignalKind.PROFILE_CHANGE,
        context=context,
        now=now,
        user_id=user_id,
        seller_id=seller_id,
        detail={"fields": sorted(fields)},
    )


def record_contact_change(
    session: Session,
    *,
    seller_id: int | None,
    user_id: int,
    phone_e164: str,
    context: RequestContext,
    now: dt.datetime,
    key: bytes | None = None,
) -> RiskSignal:
    return record(
        session,
        kind=SignalKind.CONTACT_CHANGE,
        context=context,
        now=now,
        user_id=user_id,
        seller_id=seller_id,
        fingerprint=phone_fingerprint(key or _key(), phone_e164),
        detail={"field": "phone"},
    )


def record_message(
    session: Session,
    *,
    seller_id: int | None,
    user_id: int,
    conversation_id: int,
    text: str,
    context: RequestContext,
    now: dt.datetime,
    key: bytes | None = None,
) -> RiskSignal:
    return record(
        session,
        kind=SignalKind.MESSAGE,
        context=context,
        now=now,
        user_id=user_id,
        seller_id=seller_id,
        fingerprint=template_fingerprint(key or _key(), text),
        detail={"conversation_id": conversation_id},
    )


def record_checkout(
    session: Session,
    *,
    user_id: int,
    payment_method: str,
    ship_to: dict[str, Any] | None,
    context: RequestContext,
    now: dt.datetime,
    key: bytes | None = None,
) -> RiskSignal:
    key = key or _key()
    return record(
        session,
        kind=SignalKind.CHECKOUT,
        context=context,
        now=now,
        user_id=user_id,
        zip_code=str((ship_to or {}).get("zip") or "")[:5] or None,
        fingerprint=payment_fingerprint(key, payment_method),
        address_hash=address_fingerprint(key, ship_to),
    )


# ---- token uses ------------------------------------------------------------------------------------


def token_use_key(token_hash: str, context: RequestContext, day: dt.date) -> str:
    raw = f"{token_hash}|{context.network or ''}|{context.device_hash or ''}|{day.isoformat()}"
    return hashlib.sha256(raw.encode()).hexdigest()


def _insert_ignoring_duplicates(session: Session, values: dict[str, Any]) -> bool:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(RiskSignal).values(**values).on_conflict_do_nothing(index_elements=["dedup_key"])
    result: Any = session.execute(statement)
    return bool(result.rowcount)


def record_token_use(session: Session, *, token_hash: str, context: RequestContext, now: dt.datetime) -> bool:
    """One row per token x network x device x day; True when this call added it."""
    found = session.execute(
        select(ApiToken.id, ApiToken.user_id, User.seller_id)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == token_hash)
    ).one_or_none()
    if found is None:
        return False
    values = {
        "kind": SignalKind.TOKEN_USE.value,
        "at": now,
        "user_id": found.user_id,
        "seller_id": found.seller_id,
        "token_id": found.id,
        "detail": {},
        "dedup_key": token_use_key(token_hash, context, now.date()),
        **context.stored(),
    }
    return _insert_ignoring_duplicates(session, values)


class TokenUseRecorder:
    """The context middleware's ``after`` hook: records a bearer token's use the first time it is seen on a
    network and device on a day. A process-local set keeps repeat calls off the database; the unique
    key catches what other processes already wrote. Never fails a request."""

    def __init__(self, max_seen: int = 100_000) -> None:
        self.max_seen = max_seen
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def _first_time(self, key: str) -> bool:
        with self._lock:
            if key in self._seen:
                self._seen.move_to_end(key)
                return False
            self._seen[key] = None
            while len(self._seen) > self.max_seen:
                self._seen.popitem(last=False)
            return True

    def forget(self) -> None:
        with self._lock:
            self._seen.clear()

    async def __call__(self, scope: Scope, context: RequestContext, status: int) -> None:
        if status == 401:
            return
        token = _bearer(scope)
        if token is None:
            return
        now = utcnow()
        token_hash = hash_token(token)
        if not self._first_time(token_use_key(token_hash, context, now.date())):
            return
        db: Database = scope["app"].state.container.db
        try:
            await anyio.to_thread.run_sync(self._write, db, token_hash, context, now)
        except Exception:
            log.warning("risk_token_use_not_recorded", exc_info=True)

    @staticmethod
    def _write(db: Database, token_hash: str, context: RequestContext, now: dt.datetime) -> None:
        with db.transaction() as session:
            record_token_use(session, token_hash=token_hash, context=context, now=now)


def _bearer(scope: Scope) -> str | None:
    for name, value in scope.get("headers") or ():
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            token = token.strip()
            if scheme.lower() == "bearer" and token.startswith("yc_") and len(token) <= 200:
                return str(token)
    return None


token_uses = TokenUseRecorder()


# ---- payout destinations ---------------------------------------------------------------------------


def valid_routing_number(routing: str) -> bool:
    """ABA routing numbers: nine digits with the 3-7-1 checksum."""
    if len(routing) != 9 or not routing.isdigit():
        return False
    d = [int(c) for c in routing]
    return (3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5] + d[8])) % 10 == 0


def payout_account_hash(key: bytes, routing: str, account: str) -> str:
    return keyed_hash(key, "payout", routing, account)


def current_payout_destination(session: Session, *, seller_id: int) -> PayoutDestination | None:
    return session.scalar(
        select(PayoutDestination)
        .where(PayoutDestination.seller_id == seller_id)
        .order_by(PayoutDestination.id.desc())
        .limit(1)
    )


def set_payout_destination(
    session: Session,
    *,
    seller_id: int,
    user_id: int,
    routing: str,
    account_hash: str,
    account_last4: str,
    context: RequestContext,
    now: dt.datetime,
) -> PayoutDestination:
    """Store the new destination (masked) and its signal; the previous rows stay as history."""
    row = PayoutDestination(
        seller_id=seller_id,
        routing_number=routing,
        account_last4=account_last4,
        account_hash=account_hash,
        set_by_user_id=user_id,
        created_at=now,
    )
    session.add(row)
    record_payout_change(
        session,
        seller_id=seller_id,
        user_id=user_id,
        account_hash=account_hash,
        context=context,
        now=now,
        outcome="applied",
    )
    session.flush()
    return row


# ---- hooks called from other domains' endpoints (the request's context, now) ------------------------


def _key() -> bytes:
    return pii_key(get_settings().pii_hash_key)


def profile_changed(session: Session, *, principal: Principal, seller_id: int, fields: Iterable[str]) -> None:
    """A shop's people changed its profile (operators' changes are not the shop's activity)."""
    if principal.role is Role.SELLER and principal.seller_id == seller_id:
        record_profile_change(
            session, seller_id=seller_id, user_id=principal.user_id, fields=fields, context=current(), now=utcnow()
        )


def phone_changed(session: Session, *, principal: Principal, seller_id: int, phone_e164: str) -> None:
    if principal.role is Role.SELLER:
        record_contact_change(
            session,
            seller_id=seller_id,
            user_id=principal.user_id,
            phone_e164=phone_e164,
            context=current(),
            now=utcnow(),
            key=_key(),
        )


def message_posted(session: Session, *, principal: Principal, conversation_id: int, text: str) -> None:
    """A seller's or creator's message (shoppers' and operators' are not recorded)."""
    if principal.role in (Role.SELLER, Role.CREATOR) and text:
        record_message(
            session,
            seller_id=principal.seller_id if principal.role is Role.SELLER else None,
            user_id=principal.user_id,
            conversation_id=conversation_id,
            text=text,
            context=current(),
            now=utcnow(),
            key=_key(),
        )
