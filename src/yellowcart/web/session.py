"""Browser sessions for the web apps: a signed cookie, CSRF tokens, the signed-in user and role checks.

No session table: the cookie (signed with itsdangerous, HttpOnly, SameSite=Lax, Secure over https)
carries the API token issued at sign-in plus a random CSRF token. Every request that needs a user
authenticates that token exactly as the API does (``Container.tokens``), so a revoked or expired token,
or a deactivated user, ends the web session too (within the token cache's few seconds). An anonymous
visitor gets a cookie with only a CSRF token, so the sign-in form is protected like every other form.

State-changing requests (any method but GET/HEAD/OPTIONS) must echo the session's CSRF token, in the
``csrf_token`` form field or (HTMX, fetch) the ``X-CSRF-Token`` header; otherwise 403, before any work.
Pages for the seller centre and operations console use :func:`require_role` the same way.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import Response

from yellowcart.auth.models import Role, User
from yellowcart.auth.service import Principal
from yellowcart.bootstrap import Container
from yellowcart.errors import Unauthorized

COOKIE = "yc_session"
MAX_AGE_SECONDS = 30 * 86_400  # as long as the API token a sign-in issues (auth.api.LOGIN_TTL)
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_SALT = "yellowcart.web.session"
_process_secret = secrets.token_urlsafe(32)


@dataclass(frozen=True, slots=True)
class WebSession:
    """What the cookie says (its signature checked, its token not yet)."""

    csrf: str
    token: str | None = None
    name: str | None = None  # display name and role: only for the navigation before the token is checked
    role: str | None = None

    def dump(self) -> dict[str, str]:
        out = {"c": self.csrf}
        if self.token:
            out.update(t=self.token, n=self.name or "", r=self.role or "")
        return out


@dataclass(frozen=True, slots=True)
class WebUser:
    """The signed-in user of a page: the same principal the API resolves from the token."""

    principal: Principal
    token: str
    name: str
    csrf: str

    @property
    def role(self) -> Role:
        return self.principal.role

    @property
    def user_id(self) -> int:
        return self.principal.user_id


class SignInRequired(Exception):
    """Raised by :func:`require_role`; the app answers with a redirect to /signin?next=..."""

    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


class PageForbidden(Exception):
    """A signed-in user asked for another role's page, or a write came without the CSRF token: a 403 page."""

    def __init__(self, title: str, detail: str) -> None:
        self.title, self.detail = title, detail


def _serializer(request: Request) -> URLSafeTimedSerializer:
    container: Container = request.app.state.container
    configured = container.settings.web_session_secret
    secret = configured.get_secret_value() if configured is not None else _process_secret
    return URLSafeTimedSerializer(secret, salt=_SALT)


def read(request: Request) -> WebSession | None:
    """The cookie's session if it is there and its signature holds (cached on the request)."""
    if hasattr(request.state, "web_session"):
        return request.state.web_session  # type: ignore[no-any-return]
    raw = request.cookies.get(COOKIE)
    found = None
    if raw and len(raw) < 4096:
        try:
            data = _serializer(request).loads(raw, max_age=MAX_AGE_SECONDS)
        except BadSignature:
            data = None
        if isinstance(data, dict) and isinstance(data.get("c"), str):
            token = data.get("t") if isinstance(data.get("t"), str) else None
            found = WebSession(data["c"], token, str(data.get("n") or ""), str(data.get("r") or ""))
    request.state.web_session = found
    return found


def ensure(request: Request) -> WebSession:
    """The visitor's session, starting an anonymous one (CSRF token only) if there is none; the response
    is given the cookie by :func:`save` (see :func:`pages._render`)."""
    found = read(request)
    if found is None:
        found = WebSession(secrets.token_urlsafe(24))
        request.state.web_session = found
        request.state.web_session_new = True
    return found


def csrf_token(request: Request) -> str:
    return ensure(request).csrf


def save(request: Request, response: Response, session: WebSession) -> None:
    value = _serializer(request).dumps(session.dump())
    response.set_cookie(
        COOKIE,
        value,
        max_age=MAX_AGE_SECONDS,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def save_if_new(request: Request, response: Response) -> None:
    if getattr(request.state, "web_session_new", False):
        save(request, response, request.state.web_session)


def signed_in(request: Request, response: Response, *, token: str, user: User) -> None:
    """Start a fresh session for ``user`` (a new CSRF token: no fixation of the anonymous one)."""
    session = WebSession(secrets.token_urlsafe(24), token, user.display_name, user.role.value)
    request.state.web_session = session
    save(request, response, session)


def signed_out(request: Request, response: Response) -> None:
    session = WebSession(secrets.token_urlsafe(24))
    request.state.web_session = session
    save(request, response, session)


# ---- who is signed in ------------------------------------------------------------------------------


def _authenticate(container: Container, token: str) -> tuple[Principal, str] | None:
    with container.db.transaction() as session:
        try:
            who = container.tokens.authenticate(session, token)
        except Unauthorized:
            return None
        user = session.get(User, who.user_id)
        return who, user.display_name if user else ""


async def current_user(request: Request) -> WebUser | None:
    """The signed-in user, or None (no session, or its token was revoked, expired or deactivated)."""
    if hasattr(request.state, "web_user"):
        return request.state.web_user  # type: ignore[no-any-return]
    session = read(request)
    found = None
    if session is not None and session.token:
        resolved = await run_in_threadpool(_authenticate, request.app.state.container, session.token)
        if resolved is not None:
            found = WebUser(resolved[0], session.token, resolved[1], session.csrf)
        else:
            request.state.web_session_ended = True  # the page drops the stale cookie
    request.state.web_user = found
    return found


MaybeUser = Annotated[WebUser | None, Depends(current_user)]


def _here(request: Request) -> str:
    path = request.url.path
    return f"{path}?{request.url.query}" if request.url.query else path


def require_role(*roles: Role) -> Any:
    """Page dependency: signed in (else a redirect to /signin) with one of ``roles`` (else a 403 page)."""

    async def check(request: Request, user: MaybeUser) -> WebUser:
        if user is None:
            raise SignInRequired(_here(request) if request.method == "GET" else "/")
        if user.role not in roles:
            names = " or ".join(r.value for r in roles)
            raise PageForbidden("Not for your account", f"This page is for {names} accounts.")
        return user

    return Depends(check)


Shopper = Annotated[WebUser, require_role(Role.SHOPPER)]
Seller = Annotated[WebUser, require_role(Role.SELLER)]
Operator = Annotated[WebUser, require_role(Role.OPERATOR)]

#: Where a sign-in lands without a ``next``: each web app registers its home (the seller centre and the
#: operations console set theirs, e.g. ``HOME_BY_ROLE[Role.SELLER] = "/seller"``, when they are mounted).
HOME_BY_ROLE: dict[Role, str] = {Role.SHOPPER: "/feed"}


def home_for(role: Role) -> str:
    return HOME_BY_ROLE.get(role, "/")


# ---- CSRF --------------------------------------------------------------------------------------------


def csrf_matches(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), str(given).encode())


async def checked_form(request: Request) -> FormData:
    """The request's form, after checking its CSRF token (field or header) against the session's."""
    session = read(request)
    form = await request.form()
    given = request.headers.get(CSRF_HEADER) or form.get(CSRF_FIELD)
    if session is None or not csrf_matches(session.csrf, given if isinstance(given, str) else None):
        raise PageForbidden(
            "This form has expired",
            "The form was missing its security token or it did not match your session. Reload the page and try again.",
        )
    return form


Form = Annotated[FormData, Depends(checked_form)]


def safe_next(value: Any, default: str = "/") -> str:
    """Only same-site paths after sign-in: never ``//host`` or ``https://...`` (open redirects)."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    if any(ord(c) < 32 or ord(c) == 127 for c in value):  # browsers drop tabs and newlines: "/\t/evil" is "//evil"
        return default
    return value[:500]


def field(form: FormData, name: str, default: str = "", limit: int = 500) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else default


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"
