"""Login throttling: failed logins counted per account and per network prefix, with exponential back-off.

After ``login_free_failures`` failures in a row for one account (``login_network_free_failures`` for one
/24 or /48), the account (or network) is locked for ``login_backoff_seconds``; each further failure after a
lockout doubles it, up to ``login_backoff_max_seconds``. While locked, ``POST /v1/auth/tokens`` answers 429
with ``Retry-After`` without checking the password (no scrypt spent, no guess tested). A successful
login clears its account's count; a network's count only fades (``login_failure_memory_seconds`` after
its last failure), so an attacker with one valid account cannot wipe the count of the network it guesses
from. Every lockout is written to the audit log (``auth.login_locked``) and logged.

Counters live in the database (``login_throttles``): they must hold across API processes, and a login
already costs a password hash. Accounts are keyed by a keyed hash of the e-mail (never the address).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass

import anyio
import structlog
from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from yellowcart.audit import log as audit_log
from yellowcart.audit.models import LoginThrottle
from yellowcart.audit.ratelimit import send_problem
from yellowcart.auth.models import User
from yellowcart.db import Database, utcnow
from yellowcart.risk.context import client_ip, network_prefix
from yellowcart.sellers.identity import keyed_hash, pii_key
from yellowcart.settings import Settings

log = structlog.get_logger(__name__)

LOGIN = ("POST", "/v1/auth/tokens")
MAX_LOGIN_BODY = 16_384


@dataclass(frozen=True)
class ThrottlePolicy:
    free_failures: int = 5
    network_free_failures: int = 50
    backoff_seconds: float = 30.0
    backoff_max_seconds: float = 3600.0
    memory_seconds: int = 86_400

    @classmethod
    def from_settings(cls, settings: Settings) -> ThrottlePolicy:
        return cls(
            free_failures=settings.login_free_failures,
            network_free_failures=settings.login_network_free_failures,
            backoff_seconds=settings.login_backoff_seconds,
            backoff_max_seconds=settings.login_backoff_max_seconds,
            memory_seconds=settings.login_failure_memory_seconds,
        )

    def free_for(self, key: str) -> int:
        return self.network_free_failures if key.startswith("network:") else self.free_failures

    def lockout(self, key: str, failures: int) -> float | None:
        """Seconds of lockout after the ``failures``-th failure in a row, or None below the threshold."""
        over = failures - self.free_for(key)
        if over < 0:
            return None
        return min(self.backoff_max_seconds, self.backoff_seconds * float(2 ** min(over, 40)))


@dataclass(frozen=True)
class Lockout:
    key: str
    failures: int
    seconds: float


def account_key(hash_key: bytes, email: str) -> str:
    return "account:" + keyed_hash(hash_key, "login", email.strip().lower())


def network_key(prefix: str) -> str:
    return "network:" + prefix


def locked_for(session: Session, *, keys: Iterable[str], now: dt.datetime) -> float | None:
    """Seconds until every one of ``keys`` may try again, or None if none is locked."""
    until = session.scalar(
        select(LoginThrottle.locked_until)
        .where(LoginThrottle.key.in_(list(keys)), LoginThrottle.locked_until > now)
        .order_by(LoginThrottle.locked_until.desc())
        .limit(1)
    )
    return None if until is None else float((until - now).total_seconds())


def record_failure(session: Session, *, key: str, policy: ThrottlePolicy, now: dt.datetime) -> Lockout | None:
    """Count one failure (atomically, whoever else fails at the same moment); the lockout it starts, if any."""
    forgotten = now - dt.timedelta(seconds=policy.memory_seconds)
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    first = insert(LoginThrottle).values(key=key, failures=1, last_failure_at=now, locked_until=None)
    counted = first.on_conflict_do_update(
        index_elements=[LoginThrottle.key],
        set_={
            "failures": case((LoginThrottle.last_failure_at < forgotten, 1), else_=LoginThrottle.failures + 1),
            "last_failure_at": now,
        },
    ).returning(LoginThrottle.failures)
    failures = int(session.execute(counted).scalar_one())
    seconds = policy.lockout(key, failures)
    if seconds is None:
        return None
    session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key == key)
        .values(locked_until=now + dt.timedelta(seconds=seconds))
        .execution_options(synchronize_session=False)
    )
    return Lockout(key=key, failures=failures, seconds=seconds)


def record_success(session: Session, *, key: str) -> None:
    session.execute(delete(LoginThrottle).where(LoginThrottle.key == key).execution_options(synchronize_session=False))


def purge(session: Session, *, now: dt.datetime, policy: ThrottlePolicy) -> int:
    """Drop counters nobody failed on for ``memory_seconds`` (a periodic job may call this)."""
    forgotten = now - dt.timedelta(seconds=policy.memory_seconds)
    result = session.execute(
        delete(LoginThrottle)
        .where(LoginThrottle.last_failure_at < forgotten)
        .where((LoginThrottle.locked_until.is_(None)) | (LoginThrottle.locked_until < now))
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def audit_lockout(session: Session, *, lockout: Lockout, email: str | None, network: str | None) -> None:
    """The audit record (and log line) of a lockout: the account by user id when it exists, never the e-mail."""
    subject: int | str | None = network
    kind = "network"
    if lockout.key.startswith("account:"):
        kind, subject = "user", session.scalar(select(User.id).where(User.email == email)) if email else None
    detail = {"scope": kind, "failures": lockout.failures, "locked_seconds": round(lockout.seconds, 1)}
    audit_log.record(
        session, actor_id=None, action="auth.login_locked", subject_kind=kind, subject_id=subject, detail=detail
    )
    log.warning("login_locked", scope=kind, subject=subject, failures=lockout.failures, seconds=lockout.seconds)


# ---- the edge: POST /v1/auth/tokens ------------------------------------------------------------------


class LoginGuard:
    """Pure ASGI: refuses logins for locked accounts and networks, counts failures (401) and clears an
    account's count on success (201). Other requests pass through untouched."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.policy = ThrottlePolicy.from_settings(settings)
        self.trust_proxy = settings.trust_proxy
        self.hash_key = pii_key(settings.pii_hash_key)
        self.exempt = tuple(ipaddress.ip_network(n, strict=False) for n in settings.rate_limit_exempt_networks)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (scope["method"], scope.get("path")) != LOGIN:
            await self.app(scope, receive, send)
            return
        messages, body = await _read_body(receive)
        replay = _replay(messages, receive)
        email = _email(body)
        if email is None:  # not a login the handler would accept: let it say why (422)
            await self.app(scope, replay, send)
            return
        network = self._network(scope)
        keys = [account_key(self.hash_key, email)] + ([network_key(network)] if network else [])
        db: Database = scope["app"].state.container.db
        wait = await anyio.to_thread.run_sync(_locked, db, keys)
        if wait is not None:
            retry = max(1, math.ceil(wait))
            detail = f"Too many failed logins; try again in {retry} s."
            await send_problem(send, 429, "login_throttled", "Too many failed logins", detail, LOGIN[1], retry)
            return

        async def count_outcome(message: Message) -> None:
            if message["type"] == "http.response.start":
                status = int(message["status"])
                if status in (201, 401):
                    try:
                        outcome = (scope, db, keys, status, email, network)
                        await anyio.to_thread.run_sync(self._outcome, *outcome)
                    except Exception:
                        log.error("login_throttle_not_recorded", exc_info=True)
            await send(message)

        await self.app(scope, replay, count_outcome)

    def _network(self, scope: Scope) -> str | None:
        ip = client_ip(scope, trust_proxy=self.trust_proxy)
        if ip is None or any(ipaddress.ip_address(ip) in n for n in self.exempt):
            return None
        return network_prefix(ip)

    def _outcome(
        self, scope: Scope, db: Database, keys: list[str], status: int, email: str, network: str | None
    ) -> None:
        now = utcnow()
        with db.transaction() as session:
            if status == 201:
                record_success(session, key=keys[0])
                return
            token = audit_log.bind(audit_log.RequestAudit(scope))  # lockouts carry the request id and network
            try:
                for key in keys:
                    lockout = record_failure(session, key=key, policy=self.policy, now=now)
                    if lockout is not None:
                        audit_lockout(session, lockout=lockout, email=email, network=network)
            finally:
                audit_log.unbind(token)


def _locked(db: Database, keys: list[str]) -> float | None:
    with db.transaction() as session:
        return locked_for(session, keys=keys, now=utcnow())


async def _read_body(receive: Receive) -> tuple[list[Message], bytes]:
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        size += len(message.get("body", b""))
        if size > MAX_LOGIN_BODY or not message.get("more_body", False):
            break
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
    return messages, body if size <= MAX_LOGIN_BODY else b""


def _replay(messages: list[Message], then: Receive) -> Receive:
    queue = list(messages)

    async def receive() -> Message:
        return queue.pop(0) if queue else await then()

    return receive


def _email(body: bytes) -> str | None:
    try:
        parsed = json.loads(body) if body else None
    except (ValueError, UnicodeDecodeError):
        return None
    email = parsed.get("email") if isinstance(parsed, dict) else None
    if not isinstance(email, str) or not 3 <= len(email.strip()) <= 254:
        return None
    return email.strip().lower()
