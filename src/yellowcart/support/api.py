"""Conversation endpoints: open one for an order, list, read, post, read receipts, operators joining
and escalating, closing, the audit, and the real-time stream. Participants only: others get 404."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from yellowcart.auth.service import Principal
from yellowcart.db import MAX_ID, utcnow
from yellowcart.http import App, Caller, PathId, decode_cursor, next_cursor, problems
from yellowcart.support import conversations, live_messages, messages, rules, thread
from yellowcart.support.access import Side, get_conversation
from yellowcart.support.models import Conversation, ConversationStatus, Counterpart
from yellowcart.support.schemas import (
    ConversationOut,
    ConversationPage,
    EscalateIn,
    EventOut,
    MessageIn,
    MessagePage,
    OpenIn,
    PostedOut,
    ReadIn,
    ReadReceipts,
)
from yellowcart.support.shapes import message_out

router = APIRouter(tags=["customer service"])
PROBLEMS = problems(s403="Not allowed for this role", s404="Unknown conversation or order (or not yours)")
Cursor = Annotated[str | None, Query(max_length=64)]
Limit = Annotated[int, Query(ge=1, le=100)]
EVENT_STREAM = {"content": {"text/event-stream": {"schema": {"type": "string"}}}}


def conversations_out(session: Session, who: Principal, convs: Sequence[Conversation]) -> list[ConversationOut]:
    ids = [c.id for c in convs]
    unread = conversations.unread_counts(session, principal=who, conversation_ids=ids)
    receipts = conversations.read_up_to(session, conversation_ids=ids)
    flagged = conversations.breached(session, conversation_ids=ids)
    now = utcnow()
    return [
        ConversationOut(
            id=c.id,
            order_id=c.order_id,
            counterpart=c.counterpart,
            seller_id=c.seller_id,
            status=c.status,
            escalated_at=c.escalated_at,
            needs_human_at=c.needs_human_at,
            first_response_due_at=c.first_response_due_at,
            first_response_at=c.first_response_at,
            first_response_breached=c.id in flagged
            or rules.first_response_breached(c.first_response_due_at, c.first_response_at, now=now),
            resolved_at=c.resolved_at,
            resolved_by=c.resolved_by,
            last_message_id=c.last_message_id,
            last_message_at=c.last_message_at,
            unread=unread.get(c.id, 0),
            read=ReadReceipts(shopper=receipts[c.id][Side.SHOPPER], counterpart=receipts[c.id][Side.COUNTERPART]),
            created_at=c.created_at,
        )
        for c in convs
    ]


def one_out(session: Session, who: Principal, conv: Conversation) -> ConversationOut:
    session.flush()
    return conversations_out(session, who, [conv])[0]


@router.post(
    "/v1/orders/{order_id}/conversations",
    response_model=ConversationOut,
    status_code=201,
    responses={200: {"description": "It already existed"}, **problems(s404="Unknown order (or not yours)")},
    summary="Open (or get) the order's conversation with the seller or the platform",
)
def open_conversation(order_id: PathId, body: OpenIn, app: App, who: Caller, response: Response) -> ConversationOut:
    with app.db.transaction() as session:
        conv, created = conversations.open_conversation(
            session, principal=who, order_id=order_id, counterpart=body.counterpart, now=utcnow()
        )
        if not created:
            response.status_code = 200
        return one_out(session, who, conv)


@router.get(
    "/v1/conversations",
    response_model=ConversationPage,
    responses=PROBLEMS,
    summary="My conversations, newest first (operators: all, filtered into queues)",
)
def list_conversations(
    app: App,
    who: Caller,
    status: ConversationStatus | None = None,
    counterpart: Counterpart | None = None,
    escalated: bool | None = None,
    awaiting_response: bool | None = None,
    order_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    cursor: Cursor = None,
    limit: Limit = 20,
) -> ConversationPage:
    filters = conversations.Filters(status, counterpart, escalated, awaiting_response, order_id)
    with app.db.transaction() as session:
        rows = conversations.list_conversations(
            session, principal=who, filters=filters, before_id=decode_cursor(cursor), limit=limit + 1
        )
        items = conversations_out(session, who, rows[:limit])
    return ConversationPage(items=items, next_cursor=next_cursor(items, len(rows) > limit))


@router.get("/v1/conversations/{conversation_id}", response_model=ConversationOut, responses=PROBLEMS,
            summary="One conversation: state, SLA clock, unread count, read receipts")  # fmt: skip
def get_conversation_endpoint(conversation_id: PathId, app: App, who: Caller) -> ConversationOut:
    with app.db.transaction() as session:
        return one_out(session, who, get_conversation(session, principal=who, conversation_id=conversation_id))


@router.get(
    "/v1/conversations/{conversation_id}/messages",
    response_model=MessagePage,
    responses=PROBLEMS,
    summary="Messages, newest first (cursor: older pages); after=<id>: the ones after it, oldest first",
)
def list_messages(
    conversation_id: PathId,
    app: App,
    who: Caller,
    after: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> MessagePage:
    with app.db.transaction() as session:
        _, rows = messages.list_messages(
            session, principal=who, conversation_id=conversation_id, before_id=decode_cursor(cursor),
            after_id=after, limit=limit + 1,
        )  # fmt: skip
        items = [message_out(m, who) for m in rows[:limit]]
    more = len(rows) > limit and after is None
    return MessagePage(items=items, next_cursor=next_cursor(items, more))


@router.post(
    "/v1/conversations/{conversation_id}/messages",
    response_model=PostedOut,
    status_code=201,
    responses=problems(s403="Templates are for sellers", s404="Unknown conversation (or not yours)"),
    summary="Send a message (text, image references, a card, or a seller's template); shoppers' questions "
    "about where the order is, when it arrives or how to return it are answered at once",
)
def post_message(conversation_id: PathId, body: MessageIn, app: App, who: Caller) -> PostedOut:
    draft = messages.Draft(
        text=body.text, images=body.images, card_type=body.card.type if body.card else None,
        card_id=body.card.id if body.card else None, template_id=body.template_id, ask_person=body.ask_person,
    )  # fmt: skip
    posting = messages.Posting(config=app.support.config, returns_config=app.returns_config())
    with app.db.transaction() as session:
        posted = thread.post(
            session, principal=who, conversation_id=conversation_id, draft=draft, settings=posting, now=utcnow()
        )
        out = PostedOut(
            message=message_out(posted.message, who),
            auto_answer=message_out(posted.auto_answer, who) if posted.auto_answer else None,
            conversation=one_out(session, who, posted.conversation),
        )
    app.support.changed(conversation_id, "message")
    return out


@router.post("/v1/conversations/{conversation_id}/read", response_model=ConversationOut, responses=PROBLEMS,
             summary="I have read up to this message (receipts only move forward)")  # fmt: skip
def mark_read(conversation_id: PathId, body: ReadIn, app: App, who: Caller) -> ConversationOut:
    with app.db.transaction() as session:
        conv = messages.mark_read(
            session, principal=who, conversation_id=conversation_id, message_id=body.message_id, now=utcnow()
        )
        out = one_out(session, who, conv)
    app.support.changed(conversation_id, "read")
    return out


@router.post("/v1/conversations/{conversation_id}/join", response_model=ConversationOut, responses=PROBLEMS,
             summary="Operators: join the conversation (recorded once)")  # fmt: skip
def join(conversation_id: PathId, app: App, who: Caller) -> ConversationOut:
    with app.db.transaction() as session:
        out = one_out(
            session, who, conversations.join(session, principal=who, conversation_id=conversation_id, now=utcnow())
        )
    app.support.changed(conversation_id, "status")
    return out


@router.post("/v1/conversations/{conversation_id}/escalate", response_model=ConversationOut, responses=PROBLEMS,
             summary="Operators: assign the conversation to operators, with the reason (recorded)")  # fmt: skip
def escalate(conversation_id: PathId, body: EscalateIn, app: App, who: Caller) -> ConversationOut:
    with app.db.transaction() as session:
        conv = conversations.escalate(
            session, principal=who, conversation_id=conversation_id, reason=body.reason, now=utcnow()
        )
        out = one_out(session, who, conv)
    app.support.changed(conversation_id, "status")
    return out


@router.post("/v1/conversations/{conversation_id}/close", response_model=ConversationOut, responses=PROBLEMS,
             summary="Resolved: close the conversation (a new message reopens it)")  # fmt: skip
def close(conversation_id: PathId, app: App, who: Caller) -> ConversationOut:
    with app.db.transaction() as session:
        out = one_out(
            session, who, conversations.close(session, principal=who, conversation_id=conversation_id, now=utcnow())
        )
    app.support.changed(conversation_id, "status")
    return out


@router.get("/v1/conversations/{conversation_id}/events", response_model=list[EventOut], responses=PROBLEMS,
            summary="What happened to the conversation: opened, joined, escalated, closed, breaches")  # fmt: skip
def list_events(conversation_id: PathId, app: App, who: Caller) -> list[EventOut]:
    with app.db.transaction() as session:
        rows = conversations.events(session, principal=who, conversation_id=conversation_id)
        return [EventOut.model_validate(e) for e in rows]


# ---- the stream --------------------------------------------------------------------------------------


@router.get(
    "/v1/conversations/{conversation_id}/stream",
    response_class=StreamingResponse,
    responses={200: {"description": "Server-Sent Events", **EVENT_STREAM}, **PROBLEMS},
    summary="Real-time conversation (SSE): ready, then new messages, read receipts and status as they happen",
)
async def stream_conversation(
    conversation_id: PathId,
    app: App,
    who: Caller,
    after: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
    last_event_id: Annotated[int | None, Header(alias="Last-Event-ID", ge=0, le=MAX_ID)] = None,
) -> StreamingResponse:
    """Without ``after`` or ``Last-Event-ID`` only what is new from now on; with either, what came after."""
    return await live_messages.conversation_stream(app, who, conversation_id, after=after, last_event_id=last_event_id)
