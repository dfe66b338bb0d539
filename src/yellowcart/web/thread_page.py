"""One conversation as a page, shared by the seller centre (:mod:`seller_conversations`) and the console
(:mod:`ops_conversations`): the thread as :func:`support.thread.open_thread` reads it (which moves the
caller's read receipt, and then tells open streams), rendered with the caller's template."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Request
from starlette.responses import Response

from yellowcart.db import utcnow
from yellowcart.errors import DomainError
from yellowcart.support import thread
from yellowcart.web import session as web
from yellowcart.web.pages import app_of, render, render_problem


def thread_page(
    request: Request,
    user: web.WebUser,
    conversation_id: int,
    *,
    template: str,
    notices: Mapping[str, str],
    error: str | None = None,
    draft: str = "",
    status_code: int = 200,
) -> Response:
    """The conversation with ``error`` and the typed ``draft`` after a refused write, or the notice a
    write's redirect named (``?done=``, looked up in ``notices``: a link cannot word a notice)."""
    app = app_of(request)
    try:
        with app.db.transaction() as session:
            found = thread.open_thread(session, principal=user.principal, conversation_id=conversation_id, now=utcnow())
    except DomainError as err:
        return render_problem(request, err.status, err.title, err.detail)
    if found.read_moved:
        app.support.changed(conversation_id, "read")
    context = {
        "t": found,
        "error": error,
        "draft": draft,
        "notice": notices.get(str(request.query_params.get("done", ""))[:16], ""),
        "sla_hours": app.support.config.first_response_hours,
    }
    return render(request, template, context, status_code)
