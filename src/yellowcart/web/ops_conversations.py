"""The operations console's conversations at /ops/conversations: the escalated queue (oldest escalation
first, with the seller, the order, how long since and who joined) and one conversation, where an operator
reads it all, joins, answers as the platform and resolves it.

Operators only (:data:`session.Operator`); pages call the support services in process with the operator's
principal, so joining, answering and closing are recorded exactly as through the API. Writes are
CSRF-checked forms answered with a 303 back to the conversation, or the page again with what went wrong;
after a change commits, the participants' open streams are told (``Container.support.changed``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from yellowcart.db import utcnow
from yellowcart.errors import DomainError
from yellowcart.http import PathId
from yellowcart.support import conversations, inbox, messages, thread
from yellowcart.web import session as web
from yellowcart.web.pages import app_of, render
from yellowcart.web.thread_page import thread_page

router = APIRouter(include_in_schema=False)
BASE = "/ops/conversations"
NOTICES = {
    "joined": "You joined: the shopper and the seller see that yellowcart support is here.",
    "sent": "Answer sent as yellowcart support.",
    "closed": "Conversation resolved and closed.",
}


@router.get(BASE, response_class=HTMLResponse)
def queue(request: Request, user: web.Operator, view: str = "") -> Response:
    chosen = next((v for v in inbox.QueueView if v.value == view), inbox.QueueView.OPEN)
    with app_of(request).db.transaction() as session:
        rows = inbox.escalated_queue(session, principal=user.principal, view=chosen, now=utcnow())
    context = {
        "rows": rows,
        "view": chosen.value,
        "views": [(v.value, v.value.capitalize()) for v in inbox.QueueView],
        "notice": None,
        "error": None,
    }
    return render(request, "ops_conversations.html", context)


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
        template="ops_conversation.html",
        notices=NOTICES,
        error=error,
        draft=draft,
        status_code=status_code,
    )


@router.get(BASE + "/{conversation_id}", response_class=HTMLResponse)
def conversation_page(request: Request, conversation_id: PathId, user: web.Operator) -> Response:
    return _page(request, user, conversation_id)


def _done(conversation_id: int, done: str) -> RedirectResponse:
    return RedirectResponse(f"{BASE}/{conversation_id}?done={done}#reply", status_code=303)


@router.post(BASE + "/{conversation_id}/join", response_class=HTMLResponse)
def join(request: Request, conversation_id: PathId, form: web.Form, user: web.Operator) -> Response:
    app = app_of(request)
    try:
        with app.db.transaction() as session:
            conversations.join(session, principal=user.principal, conversation_id=conversation_id, now=utcnow())
    except DomainError as err:
        return _page(request, user, conversation_id, error=err.detail, status_code=err.status)
    app.support.changed(conversation_id, "status")
    return _done(conversation_id, "joined")


@router.post(BASE + "/{conversation_id}/messages", response_class=HTMLResponse)
def send(request: Request, conversation_id: PathId, form: web.Form, user: web.Operator) -> Response:
    """Answer as the platform (joining first if the operator had not: the domain records it)."""
    text = form.get("text")
    text = text if isinstance(text, str) else ""
    app = app_of(request)
    posting = messages.Posting(config=app.support.config, returns_config=app.returns_config())
    try:
        with app.db.transaction() as session:
            thread.reply(
                session, principal=user.principal, conversation_id=conversation_id, text=text, template_id=None,
                settings=posting, now=utcnow(),
            )  # fmt: skip
    except DomainError as err:
        return _page(request, user, conversation_id, error=err.detail, draft=text[:2200], status_code=err.status)
    app.support.changed(conversation_id, "message")
    return _done(conversation_id, "sent")


@router.post(BASE + "/{conversation_id}/close", response_class=HTMLResponse)
def close(request: Request, conversation_id: PathId, form: web.Form, user: web.Operator) -> Response:
    """Resolved: closed by the operator (joining is recorded if they had not joined)."""
    app = app_of(request)
    try:
        with app.db.transaction() as session:
            conversations.close(session, principal=user.principal, conversation_id=conversation_id, now=utcnow())
    except DomainError as err:
        return _page(request, user, conversation_id, error=err.detail, status_code=err.status)
    app.support.changed(conversation_id, "status")
    return _done(conversation_id, "closed")
