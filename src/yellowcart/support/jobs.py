"""Customer service jobs (``yellowcart jobs support``, and the worker every minute), each idempotent:

1. first-response breaches: one ``support_breaches`` row per conversation (UNIQUE), an event, and an
   e-mail to the side that owes the answer;
2. idle conversations closed after ``auto_close_days`` without a message;
3. unread e-mails: a message the other side has not read within ``email_after_minutes`` e-mails them
   (one e-mail covers every message before it), at most once per conversation and side per that many
   minutes (checked under the conversation's row lock);
4. e-mails recorded in steps 1 and 3 are sent after their transaction committed, through the adapter
   (a crash between sending and recording it may send one twice; never zero times);
5. retention: messages older than ``retention_days`` are deleted (conversations keep their shape).

Each conversation is handled in its own transaction, so one failing row does not hold up the rest.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import structlog
from sqlalchemy import delete, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yellowcart.auth.models import Role, User
from yellowcart.db import Database
from yellowcart.events import emit
from yellowcart.support import conversations, rules
from yellowcart.support.access import HUMAN_COUNTERPART_ROLES, SHOPPER_ROLES, Side
from yellowcart.support.email import EmailAdapter, EmailError, Mail
from yellowcart.support.models import (
    Breach,
    Conversation,
    ConversationStatus,
    Counterpart,
    Email,
    EmailStatus,
    EventKind,
    Message,
    Participant,
)

log = structlog.get_logger(__name__)
#: Unread messages older than this are not e-mailed about any more (the worker was down for days).
EMAIL_LOOKBACK = dt.timedelta(days=2)
MAX_EMAIL_ATTEMPTS = 5
Push = Callable[[int, str], None]


@dataclass
class SupportRun:
    breached: list[int] = field(default_factory=list)  # conversation ids
    auto_closed: list[int] = field(default_factory=list)
    emails_queued: int = 0
    emails_sent: int = 0
    messages_deleted: int = 0


def _each(db: Database, ids: Sequence[int], act: Callable[[Session, int], bool], into: list[int]) -> None:
    for conv_id in ids:
        try:
            with db.transaction() as session:
                if act(session, conv_id):
                    into.append(conv_id)
        except Exception as exc:  # one bad conversation must not stop the job; the next run retries it
            log.warning("support.job_failed", conversation_id=conv_id, error=type(exc).__name__)


def _lock(session: Session, conv_id: int) -> Conversation | None:
    return session.scalar(select(Conversation).where(Conversation.id == conv_id).with_for_update())


# ---- recipients and e-mails --------------------------------------------------------------------------


def recipients(session: Session, conv: Conversation, side: Side) -> list[int]:
    """Users to e-mail on ``side``: the shopper; or the seller's active staff (seller conversations) and
    the operators who joined (platform conversations, or escalated ones)."""
    if side is Side.SHOPPER:
        return [conv.shopper_id]
    users: list[int] = []
    if conv.counterpart is Counterpart.SELLER:
        users += session.scalars(
            select(User.id).where(User.seller_id == conv.seller_id, User.role == Role.SELLER, User.is_active)
        ).all()
    if conv.counterpart is Counterpart.PLATFORM or conv.escalated_at is not None:
        users += session.scalars(
            select(Participant.user_id).where(
                Participant.conversation_id == conv.id,
                Participant.role == "operator",
                Participant.joined_at.is_not(None),
            )
        ).all()
    return sorted(set(users))


def queue_email(
    session: Session, conv: Conversation, side: Side, *, reason: str, subject: str, body: str, now: dt.datetime
) -> int:
    users = recipients(session, conv, side)
    for user_id in users:
        session.add(
            Email(
                conversation_id=conv.id, recipient_user_id=user_id, reason=reason, subject=subject, body=body,
                created_at=now,
            )
        )  # fmt: skip
    return len(users)


# ---- 1. first-response breaches ----------------------------------------------------------------------


def find_breaches(session: Session, *, now: dt.datetime) -> list[int]:
    return list(
        session.scalars(
            select(Conversation.id)
            .where(
                Conversation.first_response_at.is_(None),
                Conversation.first_response_due_at < now,
                or_(Conversation.resolved_at.is_(None), Conversation.resolved_at > Conversation.first_response_due_at),
                ~exists().where(Breach.conversation_id == Conversation.id, Breach.kind == "first_response"),
            )
            .order_by(Conversation.id)
        )
    )


def flag_breach(session: Session, conv_id: int, *, now: dt.datetime, config: rules.SupportConfig) -> int | None:
    """Record the breach and queue its e-mails (how many); None when there is nothing (new) to record."""
    conv = _lock(session, conv_id)
    if conv is None or not rules.first_response_breached(conv.first_response_due_at, conv.first_response_at, now=now):
        return None
    assert conv.first_response_due_at is not None
    fault = "seller" if conv.counterpart is Counterpart.SELLER else "platform"
    breach = Breach(conversation_id=conv.id, seller_id=conv.seller_id, fault=fault,
                    due_at=conv.first_response_due_at, detected_at=now)  # fmt: skip
    try:
        with session.begin_nested():
            session.add(breach)
            session.flush()
    except IntegrityError:  # a rerun or a racing worker recorded it already
        return None
    conversations.record(session, conv, EventKind.FIRST_RESPONSE_BREACHED, None, at=now, note=f"fault {fault}")
    emit(session, "support.first_response_breached", conversation_id=conv.id, seller_id=conv.seller_id, fault=fault)
    hours = config.first_response_hours
    return queue_email(
        session, conv, Side.COUNTERPART, reason="breach",
        subject=f"Order {conv.order_id}: a shopper is waiting for your answer",
        body=f"A shopper asked about order {conv.order_id} more than {hours} hours ago and has no answer yet. "
        "Sign in to yellowcart to answer; late first answers count in your seller health.", now=now,
    )  # fmt: skip


# ---- 2. idle conversations ---------------------------------------------------------------------------


def find_idle(session: Session, *, now: dt.datetime, days: int) -> list[int]:
    since = now - dt.timedelta(days=days)
    last = func.coalesce(Conversation.last_message_at, Conversation.created_at)
    return list(
        session.scalars(
            select(Conversation.id)
            .where(Conversation.status == ConversationStatus.OPEN, last <= since)
            .order_by(Conversation.id)
        )
    )


def auto_close(session: Session, conv_id: int, *, now: dt.datetime, days: int) -> bool:
    conv = _lock(session, conv_id)
    if conv is None or conv.status is not ConversationStatus.OPEN:
        return False
    if not rules.idle_since(conv.last_message_at or conv.created_at, now=now, days=days):
        return False
    conversations.notice(session, conv, f"Closed after {days} days without messages; write again to reopen.", at=now)
    conversations.resolve(session, conv, by="system", actor=None, now=now, kind=EventKind.AUTO_CLOSED)
    return True


# ---- 3. unread e-mails -------------------------------------------------------------------------------


def find_unread_candidates(session: Session, *, now: dt.datetime) -> list[int]:
    """Conversations with a message in the last two days that one side has not been e-mailed about
    since (cheap to over-select: each is checked under its lock)."""
    newest = Conversation.last_message_at
    return list(
        session.scalars(
            select(Conversation.id)
            .where(
                newest >= now - EMAIL_LOOKBACK,
                or_(
                    Conversation.shopper_emailed_at.is_(None),
                    Conversation.shopper_emailed_at < newest,
                    Conversation.counterpart_emailed_at.is_(None),
                    Conversation.counterpart_emailed_at < newest,
                ),
            )
            .order_by(Conversation.id)
        )
    )


def _last_mailed(conv: Conversation, side: Side) -> dt.datetime | None:
    return conv.shopper_emailed_at if side is Side.SHOPPER else conv.counterpart_emailed_at


def _unread_for(session: Session, conv: Conversation, side: Side, *, now: dt.datetime) -> Message | None:
    """The oldest message from the other side's people that nobody on ``side`` has read and that no
    e-mail covered yet (written after the side's last e-mail)."""
    read = conversations.read_up_to(session, conversation_ids=[conv.id])[conv.id][side]
    writers = HUMAN_COUNTERPART_ROLES if side is Side.SHOPPER else SHOPPER_ROLES
    query = select(Message).where(
        Message.conversation_id == conv.id,
        Message.id > read,
        Message.sender_role.in_(writers),
        Message.created_at <= now,
    )
    last_mailed = _last_mailed(conv, side)
    if last_mailed is not None:
        query = query.where(Message.created_at > last_mailed)
    return session.scalar(query.order_by(Message.id).limit(1))


def _worth_email(conv: Conversation, side: Side, unread: Message | None, *, now: dt.datetime, minutes: int) -> bool:
    """Unread long enough, and the side's last e-mail at least ``minutes`` ago."""
    if unread is None or not rules.unread_due(unread.created_at, now=now, minutes=minutes):
        return False
    if side is Side.COUNTERPART and (conv.needs_human_at is None or unread.created_at < conv.needs_human_at):
        return False  # answered by self-service: nobody needs to be called in
    return rules.may_email(_last_mailed(conv, side), now=now, minutes=minutes)


_WRITER = {"shopper": "the shopper", "seller": "the seller", "operator": "yellowcart support"}


def email_unread(session: Session, conv_id: int, *, now: dt.datetime, minutes: int) -> int:
    """Queue the e-mails one conversation's unread messages call for (how many)."""
    conv = _lock(session, conv_id)
    if conv is None:
        return 0
    queued = 0
    for side in (Side.SHOPPER, Side.COUNTERPART):
        unread = _unread_for(session, conv, side, now=now)
        if unread is None or not _worth_email(conv, side, unread, now=now, minutes=minutes):
            continue
        who = _WRITER[unread.sender_role.value]
        queued += queue_email(
            session, conv, side, reason="unread",
            subject=f"New message about order {conv.order_id}",
            body=f"You have an unread message from {who} about order {conv.order_id}. "
            "Sign in to yellowcart to read it and answer.", now=now,
        )  # fmt: skip
        if side is Side.SHOPPER:
            conv.shopper_emailed_at = now
        else:
            conv.counterpart_emailed_at = now
    return queued


# ---- 4. sending --------------------------------------------------------------------------------------


def send_pending(db: Database, email: EmailAdapter, *, now: dt.datetime, limit: int = 200) -> int:
    """Send recorded e-mails outside any transaction; the address is read from the user now."""
    with db.transaction() as session:
        rows = session.execute(
            select(Email.id, Email.subject, Email.body, User.email)
            .join(User, User.id == Email.recipient_user_id)
            .where(Email.status == EmailStatus.PENDING, Email.attempts < MAX_EMAIL_ATTEMPTS)
            .order_by(Email.id)
            .limit(limit)
        ).all()
    sent = 0
    for email_id, subject, body, address in rows:
        error = None
        try:
            email.send(Mail(to=address, subject=subject, body=body))
        except EmailError as exc:
            error = str(exc)[:300]
        with db.transaction() as session:
            row = session.get(Email, email_id)
            if row is None:
                continue
            row.attempts += 1
            if error is None:
                row.status, row.sent_at = EmailStatus.SENT, now
                sent += 1
            else:
                row.last_error = error
                row.status = EmailStatus.FAILED if row.attempts >= MAX_EMAIL_ATTEMPTS else EmailStatus.PENDING
    return sent


# ---- 5. retention ------------------------------------------------------------------------------------


def delete_expired(session: Session, *, now: dt.datetime, days: int) -> int:
    cutoff = rules.retention_cutoff(now, days)
    result = session.execute(
        delete(Message).where(Message.created_at < cutoff).execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


# ---- the runner --------------------------------------------------------------------------------------


def run_support_jobs(
    db: Database, *, now: dt.datetime, config: rules.SupportConfig, email: EmailAdapter, push: Push | None = None
) -> SupportRun:
    run = SupportRun()
    with db.transaction() as session:
        due = find_breaches(session, now=now)
        idle = find_idle(session, now=now, days=config.auto_close_days)
        unread = find_unread_candidates(session, now=now)
    queued: list[int] = []

    def breach(s: Session, cid: int) -> bool:
        emails = flag_breach(s, cid, now=now, config=config)
        queued.append(emails or 0)
        return emails is not None

    def mail(s: Session, cid: int) -> bool:
        queued.append(email_unread(s, cid, now=now, minutes=config.email_after_minutes))
        return queued[-1] > 0

    _each(db, due, breach, run.breached)
    _each(db, idle, lambda s, cid: auto_close(s, cid, now=now, days=config.auto_close_days), run.auto_closed)
    _each(db, unread, mail, [])
    run.emails_queued = sum(queued)
    run.emails_sent = send_pending(db, email, now=now)
    with db.transaction() as session:
        run.messages_deleted = delete_expired(session, now=now, days=config.retention_days)
    for conv_id in run.auto_closed:
        if push is not None:
            push(conv_id, "status")
    return run
