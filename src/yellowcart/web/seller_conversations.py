"""The seller centre's messages at /seller/conversations: the inbox (what waits on the seller first, by the
first-response clock, overdue in red), one conversation (its messages, the order card, quick replies and
templates filled in for the order, the reply form), replying, passing a conversation to the platform's
operators and closing it.

Pages call the support services in process with the signed-in member's principal (:mod:`support.inbox`,
:mod:`support.thread`), so another seller's conversation reads as missing (404) exactly as in the API.
Writes are CSRF-checked forms answered with a 303 back to the conversation and a fixed notice, or the
conversation again with what went wrong (and nothing written); after a change commits, the shopper's
open streams are told (``Container.support.changed``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.datastructures import FormData
from starlette.responses import Response

from yellowcart.db import MAX_ID, utcnow
from yellowcart.errors import DomainError, InvalidInput
from yellowcart.http import PathId
from yellowcart.support import conversations, inbox, messages, thread
from yellowcart.web import session as web
from yellowcart.web.pages import app_of, render
from yellowcart.web.thread_page import thread_page

router = APIRouter(include_in_schema=False)
BASE = "/seller/conversations"
#: What a write tells the page it redirects to (``?done=``): fixed texts, so a link cannot word a notice.
NOTICES = {
    "sent": "Message sent.",
    "escalated": "Passed to yellowcart support: an operator will join the conversation.",
    "closed": "Conversation closed. A new message from the shopper reopens it.",
}


def _view(text: str) -> inbox.View:
    return next((v for v in inbox.View if v.value == text), inbox.View.OPEN)


@router.get(BASE, response_class=HTMLResponse)
def inbox_page(request: Request, user: web.Seller, view: str = "") -> Response:
    chosen = _view(view)
    now = utcnow()
    with app_of(request).db.transaction() as session:
        found = inbox.seller_inbox(session, principal=user.principal, view=chosen, now=now)
    context = {
        "inbox": found,
        "view": chosen.value,
        "views": [(v.value, label) for v, label in zip(inbox.View, ("Waiting on you", "Open", "All"), strict=True)],
        "sla_hours": app_of(request).support.config.first_response_hours,
        "notice": "",
    }
    return render(request, "seller_conversations.html", context)


def _page(
    request: Request,
    user: web.WebUser,
    conversation_id: int,
    *,
    error: str | None = None,
    draft: str = "",
    status_code: int = 200,
) -> Response:
    return thread_page(
        request,
        user,
        conversation_id,
        template="seller_conversation.html",
        notices=NOTICES,
        error=error,
        draft=draft,
        status_code=status_code,
    )


@router.get(BASE + "/{conversation_id}", response_class=HTMLResponse)
def conversation_page(request: Request, conversation_id: PathId, user: web.Seller) -> Response:
    return _page(request, user, conversation_id)


def _template_id(form: FormData) -> int | None:
    raw = web.field(form, "template_id", limit=12)
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_ID:
        raise InvalidInput("Pick one of your templates.", field="template_id")
    return int(raw)


def _done(conversation_id: int, done: str) -> RedirectResponse:
    return RedirectResponse(f"{BASE}/{conversation_id}?done={done}#reply", status_code=303)


@router.post(BASE + "/{conversation_id}/messages", response_class=HTMLResponse)
def send(request: Request, conversation_id: PathId, form: web.Form, user: web.Seller) -> Response:
    """Text or one of the seller's templates (quick replies send at once)."""
    text = form.get("text")
    text = text if isinstance(text, str) else ""
    app = app_of(request)
    posting = messages.Posting(config=app.support.config, returns_config=app.returns_config())
    try:
        template_id = _template_id(form)
        with app.db.transaction() as session:
            thread.reply(
                session, principal=user.principal, conversation_id=conversation_id, text=text,
                template_id=template_id, settings=posting, now=utcnow(),
            )  # fmt: skip
    except DomainError as err:
        return _failed(request, user, conversation_id, err, draft=text)
    app.support.changed(conversation_id, "message")
    return _done(conversation_id, "sent")


@router.post(BASE + "/{conversation_id}/escalate", response_class=HTMLResponse)
def escalate(request: Request, conversation_id: PathId, form: web.Form, user: web.Seller) -> Response:
    """Ask the platform's operators to take over (the reason is kept in the conversation's history)."""
    reason = web.field(form, "reason", limit=1000)
    app = app_of(request)
    try:
        with app.db.transaction() as session:
            thread.ask_platform(
                session, principal=user.principal, conversation_id=conversation_id, reason=reason, now=utcnow()
            )
    except DomainError as err:
        return _failed(request, user, conversation_id, err)
    app.support.changed(conversation_id, "status")
    return _done(conversation_id, "escalated")


@router.post(BASE + "/{conversation_id}/close", response_class=HTMLResponse)
def close(request: Request, conversation_id: PathId, form: web.Form, user: web.Seller) -> Response:
    app = app_of(request)
    try:
        with app.db.transaction() as session:
            conversations.close(session, principal=user.principal, conversation_id=conversation_id, now=utcnow())
    except DomainError as err:
        return _failed(request, user, conversation_id, err)
    app.support.changed(conversation_id, "status")
    return _done(conversation_id, "closed")


def _failed(request: Request, user: web.WebUser, conversation_id: int, err: DomainError, draft: str = "") -> Response:
    """The conversation again with what went wrong (a missing conversation: the 404 page)."""
    return _page(request, user, conversation_id, error=err.detail, draft=draft[:2200], status_code=err.status)
