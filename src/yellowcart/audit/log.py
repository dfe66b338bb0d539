"""Writing and reading the audit log of privileged actions.

Any domain records an action with :func:`record` in its own transaction (the record commits or rolls back
with the action it describes). While an HTTP request is being handled, the request's id, network prefix
and caller are known from :class:`RequestAudit` (bound by :class:`yellowcart.audit.trail.AuditTrail`) and
are added to every record without the caller passing them.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import getpass
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.types import Scope

from yellowcart.audit.models import AuditEntry
from yellowcart.audit.redaction import redact
from yellowcart.auth.models import User
from yellowcart.auth.service import Principal
from yellowcart.db import utcnow
from yellowcart.risk import context as request_context

REQUEST_ID_HEADER = b"x-request-id"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,64}$")


@dataclass
class RequestAudit:
    """What the audit trail knows about the HTTP request being handled. The id and network are worked out
    on first use only: most requests never write an audit record."""

    scope: Scope
    principal: Principal | None = None
    _request_id: str | None = field(default=None, repr=False)
    _network: str | None = field(default=None, repr=False)
    _network_known: bool = field(default=False, repr=False)

    @property
    def request_id(self) -> str:
        """The client's ``X-Request-Id`` when it is a sane token, else one made up for this request."""
        if self._request_id is None:
            sent = next((v for k, v in self.scope.get("headers") or () if k == REQUEST_ID_HEADER), b"")
            text = sent.decode("latin-1").strip()
            self._request_id = text if _REQUEST_ID.match(text) else uuid.uuid4().hex
        return self._request_id

    @property
    def network(self) -> str | None:
        """The client's network prefix (/24, /48), never its address."""
        if not self._network_known:
            bound = request_context.current().network
            if bound is None:
                trust = self.scope["app"].state.container.settings.trust_proxy
                bound = request_context.network_prefix(request_context.client_ip(self.scope, trust_proxy=trust))
            self._network, self._network_known = bound, True
        return self._network


_current: contextvars.ContextVar[RequestAudit | None] = contextvars.ContextVar("yc_audit_request", default=None)


def current() -> RequestAudit | None:
    """The request being handled, if any (None in jobs and the CLI)."""
    return _current.get()


def bind(request: RequestAudit | None) -> contextvars.Token[RequestAudit | None]:
    return _current.set(request)


def unbind(token: contextvars.Token[RequestAudit | None]) -> None:
    _current.reset(token)


def note_caller(who: Principal) -> None:
    """Called once the bearer token is resolved (yellowcart.http.principal): the trail knows the caller."""
    request = _current.get()
    if request is not None:
        request.principal = who


def record(
    session: Session,
    *,
    actor_id: int | None,
    action: str,
    subject_kind: str | None,
    subject_id: int | str | None,
    detail: dict[str, Any] | None = None,
    actor_role: str | None = None,
    at: dt.datetime | None = None,
) -> AuditEntry:
    """Append one record in the caller's transaction. ``detail`` is redacted before it is written (no
    secrets, no personal data); ``actor_id=None`` means the system (a job, the CLI)."""
    request = _current.get()
    if actor_role is None and actor_id is not None:
        if request is not None and request.principal is not None and request.principal.user_id == actor_id:
            actor_role = request.principal.role.value
        else:
            role = session.scalar(select(User.role).where(User.id == actor_id))
            actor_role = role.value if role is not None else None
    entry = AuditEntry(
        at=at or utcnow(),
        actor_id=actor_id,
        actor_role=actor_role,
        action=action[:120],
        subject_kind=subject_kind[:40] if subject_kind else None,
        subject_id=str(subject_id)[:64] if subject_id is not None else None,
        request_id=request.request_id if request is not None else None,
        network=request.network if request is not None else None,
        detail=redact(detail),
    )
    session.add(entry)
    session.flush()
    return entry


def record_command(
    session: Session, *, action: str, subject_kind: str | None, subject_id: int | str | None, detail: dict[str, Any]
) -> AuditEntry:
    """A privileged CLI command (users, tokens, settlements): no API caller, so the OS account that ran it."""
    try:
        os_user = getpass.getuser()
    except (KeyError, OSError):
        os_user = None
    return record(
        session,
        actor_id=None,
        actor_role="cli",
        action=action,
        subject_kind=subject_kind,
        subject_id=subject_id,
        detail={**detail, "os_user": os_user},
    )


@dataclass(frozen=True)
class Filters:
    """``action`` ending in ``*`` matches a prefix (``risk.*``); everything else matches exactly."""

    actor_id: int | None = None
    action: str | None = None
    subject_kind: str | None = None
    subject_id: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


def search(session: Session, *, filters: Filters, before_id: int | None, limit: int) -> list[AuditEntry]:
    """Newest first; ``before_id`` is the keyset cursor (the last id of the previous page)."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    if filters.actor_id is not None:
        query = query.where(AuditEntry.actor_id == filters.actor_id)
    if filters.action:
        if filters.action.endswith("*"):
            query = query.where(AuditEntry.action.startswith(filters.action[:-1], autoescape=True))
        else:
            query = query.where(AuditEntry.action == filters.action)
    if filters.subject_kind:
        query = query.where(AuditEntry.subject_kind == filters.subject_kind)
    if filters.subject_id:
        query = query.where(AuditEntry.subject_id == filters.subject_id)
    if filters.since is not None:
        query = query.where(AuditEntry.at >= filters.since)
    if filters.until is not None:
        query = query.where(AuditEntry.at < filters.until)
    return list(session.scalars(query))
