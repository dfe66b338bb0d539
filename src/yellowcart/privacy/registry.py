"""What each domain holds about a user: one small holding per domain, each able to export it and to
erase or pseudonymise it, plus the tables deliberately left out (with the reason).

Every table with a column naming a user (a foreign key to ``users``, or a ``user_id``/``shopper_id``/
``creator_id``-like name) must be covered by a holding or listed in :data:`EXEMPT`; a test enforces it,
so a new table cannot silently escape an export or a deletion.

What deletion does, by kind of record:
- identity and contact (the account, addresses, phones, free text a person typed, uploaded media
  references, appeal documents) is erased or replaced by ``[erased]``;
- device and network data (risk signals, user-agent hashes, client event ids) is deleted;
- transaction records (orders, payments, returns, redemptions, commissions, the ledger) keep their rows,
  amounts, dates and the state/ZIP/city of the delivery (the tax jurisdiction): they still name the
  user's id, which after deletion belongs to a pseudonymous account with no personal data left.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, cast, literal, null, or_, select, update
from sqlalchemy.orm import Session

from yellowcart.auth.models import Role
from yellowcart.events import OutboxEvent
from yellowcart.interactions.models import SERVER_ONLY
from yellowcart.orders.state import SHIPPED, TERMINAL, OrderStatus
from yellowcart.privacy.tables import ERASED, Row, delete_rows, ids, is_free_text, rewrite, rows, table, update_rows
from yellowcart.returns.state import ReturnStatus
from yellowcart.sellers.identity import pii_key
from yellowcart.settings import get_settings
from yellowcart.support import privacy as support_privacy


@dataclass(frozen=True)
class Subject:
    """Whose data: the account, with its role (a creator also holds content and commissions)."""

    user_id: int
    role: Role
    seller_id: int | None = None


Export = Callable[[Session, Subject], dict[str, Any]]
#: Erase returns {table: {action: rows}}; running it again changes nothing (and counts nothing).
Erase = Callable[[Session, Subject, dt.datetime], dict[str, dict[str, int]]]
#: What must finish before a deletion: {what: [ids]} (orders in flight, returns owed a refund).
Blockers = Callable[[Session, Subject], dict[str, list[int]]]


@dataclass(frozen=True)
class Holding:
    section: str
    tables: tuple[str, ...]
    export: Export
    erase: Erase
    blockers: Blockers | None = None
    #: Tables covered on purpose without erasing (records that must stay), with the reason.
    kept: dict[str, str] = field(default_factory=dict)


def _count(**tables: dict[str, int]) -> dict[str, dict[str, int]]:
    """Only what changed: a repeated deletion reports nothing."""
    found = {name: {k: v for k, v in actions.items() if v} for name, actions in tables.items()}
    return {name: actions for name, actions in found.items() if actions}


# ---- auth ------------------------------------------------------------------------------------------


def erased_email(user_id: int) -> str:
    """A unique address that cannot receive mail (``.invalid`` is reserved, RFC 2606)."""
    return f"deleted-{user_id}@erased.invalid"


def _login_throttle_key(email: str) -> str | None:
    """The login throttle's key for this address (a keyed hash; R3's module, guarded until present)."""
    try:
        throttle = importlib.import_module("yellowcart.audit.throttle")
    except ImportError:
        return None
    return str(throttle.account_key(pii_key(get_settings().pii_hash_key), email))


def _account_export(s: Session, who: Subject) -> dict[str, Any]:
    [user] = rows(s, "users", exclude=("password_hash",), id=who.user_id)
    key = _login_throttle_key(user["email"])
    return {
        "user": user,
        "api_tokens": rows(s, "api_tokens", exclude=("token_hash",), user_id=who.user_id),
        "login_failures": rows(s, "login_throttles", exclude=("key",), key=key) if key else [],
    }


def _account_erase(s: Session, who: Subject, now: dt.datetime) -> dict[str, dict[str, int]]:
    """Last of all: the account cannot log in again (no password, inactive, no tokens)."""
    [email] = ids(s, "users", "email", id=who.user_id)
    key = _login_throttle_key(email)
    throttles = delete_rows(s, "login_throttles", key=key) if key else 0
    tokens = delete_rows(s, "api_tokens", user_id=who.user_id)
    values = {
        "email": erased_email(who.user_id),
        "display_name": "Deleted user",
        "password_hash": None,
        "home_zip": None,
        "is_active": False,
    }
    user = rewrite(s, "users", lambda r: values, id=who.user_id)
    return _count(users={"pseudonymised": user}, api_tokens={"deleted": tokens}, login_throttles={"deleted": throttles})


# ---- checkout ----------------------------------------------------------------------------------------


def _checkout_export(s: Session, who: Subject) -> dict[str, Any]:
    carts = rows(s, "carts", shopper_id=who.user_id)
    return {
        "carts": carts,
        "cart_lines": rows(s, "cart_lines", cart_id=[c["id"] for c in carts]),
        "payments": rows(s, "payments", shopper_id=who.user_id),
        "idempotency_keys": rows(s, "idempotency_keys", exclude=("request_hash", "response_body"), user_id=who.user_id),
    }


def _checkout_erase(s: Session, who: Subject, now: dt.datetime) -> dict[str, dict[str, int]]:
    carts = update_rows(
        s, "carts", {"ship_to": null()}, where=[lambda t: t.c.ship_to.is_not(None)], shopper_id=who.user_id
    )
    payments = update_rows(
        s,
        "payments",
        {"payment_method": ERASED},
        where=[lambda t: t.c.payment_method != ERASED],
        shopper_id=who.user_id,
    )
    # Retries of past checkouts: their stored answers repeat the delivery address.
    keys = delete_rows(s, "idempotency_keys", user_id=who.user_id)
    return _count(
        carts={"pseudonymised": carts}, payments={"pseudonymised": payments}, idempotency_keys={"deleted": keys}
    )


# ---- orders ------------------------------------------------------------------------------------------

#: Delivery address fields kept after deletion: the tax jurisdiction (state, ZIP) and its city.
ADDRESS_KEPT = ("city", "state", "zip")


def pseudonymise_address(address: dict[str, Any] | None) -> dict[str, Any] | None:
    if address is None:
        return None
    kept = {k: address[k] for k in ADDRESS_KEPT if k in address}
    return {**kept, "name": ERASED, "line1": ERASED, "line2": None, "phone": None}


def _scrub(text: str | None) -> str | None:
    return ERASED if is_free_text(text) else text


#: Not delivered, not cancelled: the parcel (or the one to come) still carries the address.
IN_FLIGHT = (frozenset(OrderStatus) - TERMINAL - SHIPPED) | {OrderStatus.IN_TRANSIT}


def _orders_export(s: Session, who: Subject) -> dict[str, Any]:
    orders = rows(s, "orders", shopper_id=who.user_id)
    order_ids = [o["id"] for o in orders]
    return {
        "orders": orders,
        "order_lines": rows(s, "order_lines", order_id=order_ids),
        "order_history": rows(s, "order_history", order_id=order_ids),
        "order_discounts": rows(s, "order_discounts", order_id=order_ids),
    }


def _orders_erase(s: Session, who: Subject, now: dt.datetime) -> dict[str, dict[str, int]]:
    uid = who.user_id
    # What the shopper typed when cancelling: the history row is theirs, and so is the order's copy.
    cancelled_by_them = ids(s, "order_history", "order_id", actor_user_id=uid, to_status=OrderStatus.CANCELLED.value)
    history = rewrite(s, "order_history", lambda r: {"reason": _scrub(r["reason"])}, actor_user_id=uid)
    orders = rewrite(
        s,
        "orders",
        lambda r: {
            "ship_to": pseudonymise_address(r["ship_to"]),
            "cancel_reason": _scrub(r["cancel_reason"]) if r["id"] in cancelled_by_them else r["cancel_reason"],
        },
        shopper_id=uid,
    )
    return _count(orders={"pseudonymised": orders}, order_history={"pseudonymised": history})


def _orders_blockers(s: Session, who: Subject) -> dict[str, list[int]]:
    """Orders still on their way need the address on the parcel: deletion waits for delivery."""
    found = ids(s, "orders", shopper_id=who.user_id, status=[x.value for x in IN_FLIGHT])
    return {"orders_in_progress": found} if found else {}


# ---- returns -----------------------------------------------------------------------------------------

RETURN_OPEN = frozenset(
    {
        ReturnStatus.REQUEST_PENDING,
        ReturnStatus.AWAITING_BUYER_SHIP,
        ReturnStatus.BUYER_SHIPPED,
        ReturnStatus.RECEIVED,
    }
)


def _returns_export(s: Session, who: Subject) -> dict[str, Any]:
    found = rows(s, "returns", shopper_id=who.user_id)
    return_ids = [r["id"] for r in found]
    return {
        "returns": found,
        "return_lines": rows(s, "return_lines", return_id=return_ids),
        "return_events": rows(s, "return_events", return_id=return_ids),
    }


def _returns_erase(s: Session, who: Subject, now: dt.datetime) -> dict[str, dict[str, int]]:
    returns = rewrite(s, "returns", lambda r: {"comment": None, "photos": []}, shopper_id=who.user_id)
    events = rewrite(s, "return_events", lambda r: {"note": _scrub(r["note"])}, actor_user_id=who.user_id)
    return _count(returns={"pseudonymised": returns}, return_events={"pseudonymised": events})


def _returns_blockers(s: Session, who: Subject) -> dict[str, list[int]]:
    """A return in progress still owes the shopper a label, a parcel's tracking or a refund."""
    found = ids(s, "returns", shopper_id=who.user_id, status=[x.value for x in RETURN_OPEN])
    return {"returns_in_progress": found} if found else {}


# ---- customer service ---------------------------------------------------------------------------------


def _support_export(s: Session, who: Subject) -> dict[str, Any]:
    conversations = rows(s, "support_conversations", shopper_id=who.user_id)
    conv_ids = [c["id"] for c in conversations]
    theirs = rows(s, "support_messages", conversation_id=conv_ids)
    elsewhere = [
        m for m in rows(s, "support_messages", sender_user_id=who.user_id) if m["conversation_id"] not in conv_ids
    ]
    return {
        "conversations": conversations,
        "messages": theirs + elsewhere,
        "participants": rows(s, "support_participants", user_id=who.user_id),
        "events": rows(s, "support_events", conversation_id=conv_ids),
        "emails": rows(s, "support_emails", recipient_user_id=who.user_id),
    }


def _support_erase(s: Session, who: Subject, now: dt.datetime) -> dict[str, dict[str, int]]:
    """Customer service's own pseudonymisation (support.privacy), run only while something is left to
    do, so a repeated deletion adds no second audit event to the conversations."""
    conv_ids = ids(s, "support_conversations", shopper_id=who.user_id)
    pending = (
        ids(
            s,
            "support_messages",
            conversation_id=conv_ids,
            sender_role="shopper",
            redacted_at=None,
        )
        if conv_ids
        else []
    )
    participants = ids(s, "support_participants", "conversation_id", user_id=who.user_id, conversation_id=conv_ids)
    messages = 0
    if pending or participants:
        messages = support_privacy.pseudonymise_shopper(s, shopper_id=who.user_id, now=now)
    return _count(support_messages={"pseudonymised": messages}, support_participants={"deleted": len(participants)})


# ---- interactions, outbox ----------------------------------------------------------------------------

#: Free-text and contact keys in outbox payloads (order.cancelled carries the shopper's reason).
_PAYLOAD_TEXT = frozenset({"reason", "note", "comment", "text", "body", "message", "email", "name", "phone"})


def _interactions_export(s: Session, who: Subject) -> dict[str, Any]:
    return {"interaction_events": rows(s, "interaction_events", user_id=who.user_id)}


def _scrub_payload(payload: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (ERASED if (k in _PAYLOAD_TEXT and is_free_text(v)) or k in ("ship_to", "address") else v)
        for k, v in payload.items()
    }


def _outbox_erase(s: Session, uid: int) -> int:
    payload = OutboxEvent.payload
    if s.get_bind().dialect.name == "postgresql":
        keys = [payload[k].as_string() == str(uid) for k in ("shopper_id", "user_id")]
    else:
        keys = [payload[k].as_integer() == uid for k in ("shopper_id", "user_id")]
    changed = 0
    for event in s.scalars(select(OutboxEvent).where(or_(*keys)).order_by(OutboxEvent.id)):
        scrubbed = _scrub_payload(dict(event.payload))
        if scrubbed != event.payload:
            s.execute(update(OutboxEvent).where(OutboxEvent.id == event.id).values(payload=scrubbed))
            changed += 1
    return changed


def _interactions_erase(s: Session, who: Subject, now: dt.datetime) -> dict[str, dict[str, int]]:
    """Events stay (aggregate analytics and the feed's models count them) but lose the client's own
    identifiers; domain events lose any text the person typed."""
    events = 0
    t = table("interaction_events")
    if t is not None:
        prefix = ERASED + ":"
        result = s.execute(
            update(t)
            .where(
                t.c.user_id == who.user_id,
                t.c.client_event_id.not_like(prefix + "%"),
                # Server-written events keep their ids: a redelivered order event must still find its row.
                t.c.type.not_in([x.value for x in SERVER_ONLY]),
            )
            .values(client_event_id=literal(prefix) + cast(t.c.id, String))  # stays unique per user
        )
        events = int(getattr(result, "rowcount", 0) or 0)
    outbox = _outbox_erase(s, who.user_id)
    return _count(interaction_events={"pseudonymised": events}, outbox_events={"pseudonymised": outbox})


# ---- redirect ----------------------------------------------------------------------------------------


def _redirect_export(s: Session, who: Subject) -> dict[str, Any]:
    uid = who.user_id
    return {
        "clicks": rows(s, "redirect_clicks", shopper_id=uid) + rows(s, "redirect_clicks", creator_user_id=uid),
        "conversions": rows(s, "redirect_conversions", shopper_id=uid)
        + rows(s, "redirect_conversions", creator_user_id=uid),
    }


def _redirect_erase(s: Session, who: Subject, now: dt.datetime) -> dict[str, dict[str, int]]:
    """A shopper's clicks become anonymous visits (as signed-out clicks are); a creator's stay credited."""
    clicks = update_rows(s, "redirect_clicks", {"shopper_id": None, "user_agent_hash": None}, shopper_id=who.user_id)
    conversions = update_rows(s, "redirect_conversions", {"shopper_id": None}, shopper_id=who.user_id)
    return _count(redirect_clicks={"anonymised": clicks}, redirect_conversions={"anonymised": conversions})


# ---- creators and content ----------------------------------------------------------------------------


def _creators_export(s: Session, who: Subject) -> dict[str, Any]:
    uid = who.user_id
    return {
        "membership": rows(s, "creator_memberships", creator_id=uid),
        "showcase": rows(s, "creator_showcase_items", creator_id=uid),
        "targeted_rates": rows(s, "creator_targeted_rates", creator_id=uid),
        "attributions_earned": rows(s, "creator_attributions", creator_id=uid),
        "attributions_of_purchases": rows(s, "creator_attributions", shopper_id=uid),
    }


def _creators_erase(s: Session, who: Subject, now: dt.datetime) -> dict[str, dict[str, int]]:
    """The creator leaves the programme; commissions already earned stay (the ledger pays them)."""
    uid = who.user_id
    showcase = delete_rows(s, "creator_showcase_items", creator_id=uid)
    rates = delete_rows(s, "creator_targeted_rates", creator_id=uid)
    membership = update_rows(
        s,
        "creator_memberships",
        {"status": "suspended", "suspended_at": now, "suspended_reason": "account deleted at the creator's request"},
        where=[lambda t: t.c.status != "suspended"],
        creator_id=uid,
    )
    return _count(
        creator_showcase_items={"deleted": showcase},
        creator_targeted_rates={"deleted": rates},
        creator_memberships={"suspended": membership},
    )


def _content_export(s: Session, who: Subject) -> dict[str, Any]:
    content = rows(s, "content", owner_user_id=who.user_id)
    return {
        "content": content,
        "content_anchors": rows(s, "content_anchors", content_id=[c["id"] for c in content]),
        "live_room_visits": rows(s, "live_room_visits", user_id=who.user_id),
    }


def _content_erase(s: Session, who: Subject, now: dt.datetime) -> dict[str, dict[str, int]]:
    """Videos and rooms are taken down and emptied (rows stay: commissions and analytics point at them)."""
    removed: Row = {"status": "removed", "title": ERASED, "description": "", "hashtags": [], "poster_ref": None}
    # A creator's own content; a seller's (seller_id set) belongs to the seller, whoever on its staff posted it.
    content = rewrite(s, "content", lambda r: removed, owner_user_id=who.user_id, seller_id=None)
    visits = update_rows(s, "live_room_visits", {"user_id": None}, user_id=who.user_id)
    return _count(content={"removed": content}, live_room_visits={"anonymised": visits})


def _content_blockers(s: Session, who: Subject) -> dict[str, list[int]]:
    found = ids(s, "content", owner_user_id=who.user_id, live_state="live")
    return {"live_rooms_on_air": found} if found else {}


# ---- promotions and live deals (kept: per-shopper limits and funding still add up) --------------------


def _promotions_export(s: Session, who: Subject) -> dict[str, Any]:
    uid = who.user_id
    return {
        "coupon_codes": rows(s, "coupon_codes", shopper_id=uid),
        "coupon_claims": rows(s, "coupon_claims", shopper_id=uid),
        "promotion_uses": rows(s, "promotion_shoppers", shopper_id=uid),
        "redemptions": rows(s, "promotion_redemptions", shopper_id=uid),
        "live_deal_purchases": rows(s, "live_deal_purchases", shopper_id=uid),
        "live_deal_units": rows(s, "live_deal_shoppers", user_id=uid),
    }


def _nothing(s: Session, who: Subject, now: dt.datetime) -> dict[str, dict[str, int]]:
    return {}


# ---- ledger, fulfilment notifications ---------------------------------------------------------------


def _ledger_export(s: Session, who: Subject) -> dict[str, Any]:
    uid = who.user_id
    return {
        "payouts": rows(s, "ledger_payouts", creator_id=uid),
        "statements": rows(s, "ledger_statements", creator_id=uid),
        "postings": rows(s, "ledger_postings", creator_id=uid),
    }


def _notifications_export(s: Session, who: Subject) -> dict[str, Any]:
    return {"sla_notifications": rows(s, "sla_notifications", user_id=who.user_id)}


def _notifications_erase(s: Session, who: Subject, now: dt.datetime) -> dict[str, dict[str, int]]:
    return _count(sla_notifications={"deleted": delete_rows(s, "sla_notifications", user_id=who.user_id)})


# ---- seller onboarding (masked as stored: last four characters, never the keyed hashes) ------------


def _onboarding_export(s: Session, who: Subject) -> dict[str, Any]:
    apps = rows(s, "seller_applications", exclude=("ein_hmac",), opened_by_user_id=who.user_id)
    if who.seller_id is not None:
        seen = {a["id"] for a in apps}
        apps += [
            a
            for a in rows(s, "seller_applications", exclude=("ein_hmac",), seller_id=who.seller_id)
            if a["id"] not in seen
        ]
    app_ids = [a["id"] for a in apps]
    return {
        "applications": apps,
        "id_documents": rows(s, "seller_id_documents", exclude=("number_hmac",), application_id=app_ids),
        "history": rows(s, "seller_application_history", application_id=app_ids),
    }


def _onboarding_erase(s: Session, who: Subject, now: dt.datetime) -> dict[str, dict[str, int]]:
    """The seller's business record stays (the seller account's, kept for tax and KYC); the person's
    link to it goes, as the foreign keys' ON DELETE SET NULL would."""
    apps = update_rows(s, "seller_applications", {"opened_by_user_id": None}, opened_by_user_id=who.user_id)
    history = update_rows(s, "seller_application_history", {"actor_user_id": None}, actor_user_id=who.user_id)
    return _count(seller_applications={"unlinked": apps}, seller_application_history={"unlinked": history})


# ---- risk (tables of the risk engineers, read by name: absent tables are skipped) -------------------


def _risk_cases(s: Session, uid: int) -> list[int]:
    return ids(s, "risk_cases", user_id=uid)


def _risk_export(s: Session, who: Subject) -> dict[str, Any]:
    uid = who.user_id
    case_ids = _risk_cases(s, uid)
    action_ids = ids(s, "risk_actions", user_id=uid)
    appeals = rows(s, "risk_appeals", action_id=action_ids)
    documents = rows(s, "risk_appeal_documents", exclude=("data",), appeal_id=[a["id"] for a in appeals])
    return {
        "signals": rows(s, "risk_signals", user_id=uid),
        "assessment": rows(s, "risk_assessments", subject_kind="user", subject_id=uid),
        # What the account is shown about its cases: status, level and categories, not the evidence.
        "cases": rows(s, "risk_cases", exclude=("rules", "score", "anomaly", "open_key", "decision_note"), id=case_ids),
        "actions": rows(s, "risk_actions", exclude=("challenge_hash", "active_key"), id=action_ids),
        "appeals": appeals,
        "appeal_documents": documents,
    }


def _risk_erase(s: Session, who: Subject, now: dt.datetime) -> dict[str, dict[str, int]]:
    """Device and network signals and the cached assessment go; a closed case keeps its decisions but
    loses the evidence (network prefixes, hashes) and what the person wrote or uploaded in an appeal."""
    uid = who.user_id
    case_ids = _risk_cases(s, uid)
    action_ids = ids(s, "risk_actions", user_id=uid)
    appeal_ids = ids(s, "risk_appeals", action_id=action_ids)

    def no_evidence(r: Row) -> Row:
        reasons = [{**x, "evidence": {}} if isinstance(x, dict) else x for x in (r.get("reasons") or [])]
        return {"reasons": reasons, "detail": {}}

    return _count(
        risk_signals={"deleted": delete_rows(s, "risk_signals", user_id=uid)},
        risk_assessments={"deleted": delete_rows(s, "risk_assessments", subject_kind="user", subject_id=uid)},
        risk_case_events={"pseudonymised": rewrite(s, "risk_case_events", no_evidence, case_id=case_ids)},
        risk_actions={"pseudonymised": rewrite(s, "risk_actions", lambda r: {"challenge_hash": None}, id=action_ids)},
        risk_appeals={"pseudonymised": rewrite(s, "risk_appeals", lambda r: {"statement": ERASED}, id=appeal_ids)},
        risk_appeal_documents={"deleted": delete_rows(s, "risk_appeal_documents", appeal_id=appeal_ids)},
    )


def _risk_blockers(s: Session, who: Subject) -> dict[str, list[int]]:
    """An undecided case is kept whole for fraud prevention (a lawful exception) until an operator
    decides it: deleting the account would otherwise erase the evidence against it."""
    found = ids(s, "risk_cases", user_id=who.user_id, status=["open", "actioned"])
    return {"risk_cases_open": found} if found else {}


# ---- the audit log (R3's), and privacy's own requests ------------------------------------------------


def _audit_export(s: Session, who: Subject) -> dict[str, Any]:
    """Privileged actions by the user and on the user (R3's log: ids, actions, network prefixes)."""
    acted = rows(s, "audit_log", actor_id=who.user_id)
    about = rows(s, "audit_log", subject_kind="user", subject_id=str(who.user_id))
    seen = {r["id"] for r in acted}
    return {"audit_log": acted + [r for r in about if r["id"] not in seen]}


def _privacy_export(s: Session, who: Subject) -> dict[str, Any]:
    return {"requests": rows(s, "privacy_requests", user_id=who.user_id)}


def _privacy_erase(s: Session, who: Subject, now: dt.datetime) -> dict[str, dict[str, int]]:
    """Earlier exports are personal data themselves: they go (documents cascade); the tombstone stays."""
    return _count(privacy_requests={"deleted": delete_rows(s, "privacy_requests", user_id=who.user_id, kind="export")})


RISK_TABLES = (
    "risk_signals",
    "risk_assessments",
    "risk_cases",
    "risk_case_events",
    "risk_actions",
    "risk_appeals",
    "risk_appeal_documents",
)


#: In export order; deletion runs them in this order too and the account (the login) last.
REGISTRY: tuple[Holding, ...] = (
    Holding("account", ("users", "api_tokens", "login_throttles"), _account_export, _account_erase),
    Holding(
        "orders",
        ("orders", "order_lines", "order_history", "order_discounts"),
        _orders_export,
        _orders_erase,
        _orders_blockers,
    ),
    Holding("checkout", ("carts", "cart_lines", "payments", "idempotency_keys"), _checkout_export, _checkout_erase),
    Holding(
        "returns", ("returns", "return_lines", "return_events"), _returns_export, _returns_erase, _returns_blockers
    ),
    Holding(
        "conversations",
        ("support_conversations", "support_messages", "support_participants", "support_events", "support_emails"),
        _support_export,
        _support_erase,
        kept={
            "support_events": "the conversation's audit: who acted when, no text the shopper wrote",
            "support_emails": "e-mails already sent hold no message text (pending ones are deleted)",
        },
    ),
    Holding("interactions", ("interaction_events",), _interactions_export, _interactions_erase),
    Holding("redirect", ("redirect_clicks", "redirect_conversions"), _redirect_export, _redirect_erase),
    Holding(
        "creator",
        ("creator_memberships", "creator_showcase_items", "creator_targeted_rates", "creator_attributions"),
        _creators_export,
        _creators_erase,
        kept={"creator_attributions": "commission records: amounts and dates the ledger and sellers rely on"},
    ),
    Holding(
        "content",
        ("content", "content_anchors", "live_room_visits"),
        _content_export,
        _content_erase,
        _content_blockers,
    ),
    Holding(
        "promotions",
        (
            "coupon_codes",
            "coupon_claims",
            "promotion_shoppers",
            "promotion_redemptions",
            "live_deal_purchases",
            "live_deal_shoppers",
        ),
        _promotions_export,
        _nothing,
        kept={
            "promotion_redemptions": "what each order took off and who funds it (settlement adds it up)",
            "promotion_shoppers": "per-shopper limits: counts only",
            "coupon_claims": "budget and per-shopper limits: ids and a time only",
            "coupon_codes": "a personal code is the promotion's record: a code, no personal data",
            "live_deal_purchases": "what a live room sold and what comes back on a return: amounts only",
            "live_deal_shoppers": "per-shopper deal limits: counts only",
        },
    ),
    Holding(
        "payouts",
        ("ledger_payouts", "ledger_statements", "ledger_postings"),
        _ledger_export,
        _nothing,
        kept={
            "ledger_postings": "the ledger is append-only and holds ids and amounts only",
            "ledger_payouts": "money paid: amounts, periods and the transfer reference",
            "ledger_statements": "period balances: amounts only",
        },
    ),
    Holding("notifications", ("sla_notifications",), _notifications_export, _notifications_erase),
    Holding(
        "seller_application",
        ("seller_applications", "seller_id_documents", "seller_application_history"),
        _onboarding_export,
        _onboarding_erase,
    ),
    Holding("risk", RISK_TABLES, _risk_export, _risk_erase, _risk_blockers),
    Holding(
        "audit",
        ("audit_log",),
        _audit_export,
        _nothing,
        kept={
            "audit_log": "the security record of privileged actions, append-only in the database: ids, actions, "
            "network prefixes (never addresses) and redacted details"
        },
    ),
    Holding("privacy", ("privacy_requests",), _privacy_export, _privacy_erase),
)


#: Tables that name a user but are deliberately outside exports and deletions, and why.
EXEMPT: dict[str, str] = {
    "creator_open_rates": "set_by_user_id: the seller staff or operator who set a listing's rate (business record)",
    "inbound_consignments": "created_by: seller staff who booked an inbound shipment (business record)",
    "purchase_orders": "created_by: the operator who ordered stock (business record)",
    "stock_receipts": "received_by: warehouse staff (business record)",
    "stock_removals": "requested_by/decided_by: seller staff and operators (business record)",
    "supply_offers": "created_by: seller staff (business record)",
    "supply_offer_decisions": "actor_user_id: seller staff and operators (business record)",
    "live_deals": "created_by: the creator or seller who set up a deal (commercial terms, no personal data)",
    "promotions": "created_by: seller staff or operators (commercial terms)",
    "market_policies": "updated_by_user_id: the operator who edited the policy",
    "redirect_cutovers": "created_by/updated_by: operators",
    "return_policy_rules": "updated_by: operators",
    "selling_mode_changes": "actor_user_id: seller staff and operators changing a listing (business record)",
    "support_templates": "created_by: seller staff who wrote a template (business record)",
    "ledger_entries": "actor_user_id: the operator behind a manual entry; append-only, ids and amounts only",
    "ledger_commission_rates": "updated_by_user_id: operators",
    "risk_payout_destinations": "a seller account's bank (masked); set_by_user_id is its staff (business record)",
    "risk_rules": "updated_by_user_id: operators tuning rules",
    "risk_rule_settings": "updated_by_user_id: operators tuning rules",
}


def covered() -> set[str]:
    return {name for holding in REGISTRY for name in holding.tables}
