"""A conversation's real-time stream for one participant, whoever authenticated them: the API's bearer
token (``GET /v1/conversations/{id}/stream``) or a web page's session cookie (a browser's EventSource
cannot send a bearer header). Both answer the same frames (see :mod:`yellowcart.support.stream`).

Access is checked before the first byte: a caller who is not a participant (or an unknown conversation)
gets :class:`~yellowcart.errors.NotFound` raised from the call itself, so the route can still answer
404. Every later read goes through the same participant check, so a stream never shows more than
``GET /v1/conversations/{id}/messages`` would.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from yellowcart.auth.service import Principal
from yellowcart.bootstrap import Container
from yellowcart.support import conversations, messages, stream
from yellowcart.support.access import Side, get_conversation
from yellowcart.support.models import ConversationStatus
from yellowcart.support.schemas import ReadReceipts
from yellowcart.support.shapes import message_out

#: Messages sent per read; a longer backlog continues at the next change.
BATCH = 200
HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}  # no proxy buffering of the events


class StreamStatus(BaseModel):
    """The ``status`` frame: the conversation's state as :class:`~.schemas.ConversationOut` shows it."""

    status: ConversationStatus
    escalated_at: dt.datetime | None
    first_response_at: dt.datetime | None
    resolved_at: dt.datetime | None


def _newest(app: Container, who: Principal, conversation_id: int) -> int:
    """The newest message id; NotFound for non-participants."""
    with app.db.transaction() as session:
        return get_conversation(session, principal=who, conversation_id=conversation_id).last_message_id or 0


def _update(app: Container, who: Principal, conversation_id: int, after: int) -> stream.Update:
    with app.db.transaction() as session:
        conv, rows = messages.list_messages(
            session, principal=who, conversation_id=conversation_id, before_id=None, after_id=after, limit=BATCH
        )
        receipts = conversations.read_up_to(session, conversation_ids=[conv.id])[conv.id]
        status = StreamStatus(
            status=conv.status,
            escalated_at=conv.escalated_at,
            first_response_at=conv.first_response_at,
            resolved_at=conv.resolved_at,
        )
        return stream.Update(
            messages=[(m.id, message_out(m, who).model_dump(mode="json")) for m in rows],
            read=ReadReceipts(shopper=receipts[Side.SHOPPER], counterpart=receipts[Side.COUNTERPART]).model_dump(),
            status=status.model_dump(mode="json"),
        )


async def conversation_frames(
    app: Container,
    who: Principal,
    conversation_id: int,
    *,
    after: int | None = None,
    last_event_id: int | None = None,
) -> AsyncIterator[bytes]:
    """The stream's bytes for ``who``: ``ready``, then messages, read receipts and status as they change.

    Resumes after ``last_event_id`` (an EventSource's reconnect) or else ``after`` (what the page already
    shows); with neither, only what comes from now on. Raises NotFound, before anything is sent, when
    ``who`` is not a participant.
    """
    newest = await run_in_threadpool(_newest, app, who, conversation_id)
    cursor = last_event_id if last_event_id is not None else after if after is not None else newest

    async def fetch(since: int) -> stream.Update:
        return await run_in_threadpool(_update, app, who, conversation_id, since)

    return stream.frames(
        app.support.broker, conversation_id, cursor, fetch, heartbeat=app.settings.live_heartbeat_seconds
    )


async def conversation_stream(
    app: Container,
    who: Principal,
    conversation_id: int,
    *,
    after: int | None = None,
    last_event_id: int | None = None,
) -> StreamingResponse:
    """:func:`conversation_frames` as a ``text/event-stream`` response (never cached, never buffered by a
    proxy). Raises NotFound for non-participants before the response starts: routes map it to their 404."""
    body = await conversation_frames(app, who, conversation_id, after=after, last_event_id=last_event_id)
    return StreamingResponse(body, media_type="text/event-stream", headers=HEADERS)
