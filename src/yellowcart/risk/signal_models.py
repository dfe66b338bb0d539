"""Risk signal tables: the append-only signal log, sellers' payout destinations (masked), the rules'
operator-set thresholds, and the latest assessment per account (the hot path's cache).

Signals keep no raw IP, device id, phone or message text: a network prefix, keyed hashes
(HMAC-SHA256 under ``YC_PII_HASH_KEY``) and coarse families only, and they are deleted after the
retention period (``YC_RISK_RETENTION_DAYS``, 180 days by default)."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from yellowcart.db import Base, UTCDateTime, str_enum, utcnow


class SignalKind(enum.StrEnum):
    LOGIN = "login"
    TOKEN_USE = "token_use"  # one row per token x network x device x day
    PAYOUT_CHANGE = "payout_change"  # fingerprint: the destination's keyed hash
    PROFILE_CHANGE = "profile_change"  # detail: the fields changed
    CONTACT_CHANGE = "contact_change"  # fingerprint: the new phone's keyed hash
    MESSAGE = "message"  # a seller's or creator's message; fingerprint: its template, never the text
    CHECKOUT = "checkout"  # fingerprint: the payment method's keyed hash; address_hash: the ship-to's


def _known(column: str, values: type[enum.StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class RiskSignal(Base):
    __tablename__ = "risk_signals"
    __table_args__ = (
        CheckConstraint(_known("kind", SignalKind), name="kind_known"),
        CheckConstraint("user_id IS NOT NULL OR seller_id IS NOT NULL", name="has_subject"),
        Index("ix_risk_signals_user", "user_id", "at"),
        Index("ix_risk_signals_seller", "seller_id", "at"),
        Index("ix_risk_signals_device", "device_hash", "at"),
        Index("ix_risk_signals_network", "network", "at"),
        Index("ix_risk_signals_fingerprint", "kind", "fingerprint"),
        Index("ix_risk_signals_address", "address_hash", "at"),
        Index("ix_risk_signals_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[SignalKind] = mapped_column(str_enum(SignalKind, 16))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    seller_id: Mapped[int | None] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"))
    token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id", ondelete="SET NULL"))
    network: Mapped[str | None] = mapped_column(String(43))  # 203.0.113.0/24, 2001:db8:1::/48
    ip_hash: Mapped[str | None] = mapped_column(String(64))
    device_hash: Mapped[str | None] = mapped_column(String(64))
    ua_family: Mapped[str | None] = mapped_column(String(32))
    timezone: Mapped[str | None] = mapped_column(String(64))  # claimed (X-Client-Timezone)
    zip: Mapped[str | None] = mapped_column(String(5))  # a US ZIP the action names (checkout: ship-to)
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    address_hash: Mapped[str | None] = mapped_column(String(64))  # checkout: the ship-to address, keyed hash
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    dedup_key: Mapped[str | None] = mapped_column(String(64), unique=True)  # token uses: one per day and place


class PayoutDestination(Base):
    """A seller's bank account for payouts, kept masked: the last four digits to show, a keyed hash to
    match (the same account on two sellers), never the number. The latest row is the current one."""

    __tablename__ = "risk_payout_destinations"
    __table_args__ = (
        CheckConstraint("length(routing_number) = 9", name="routing_9_digits"),
        CheckConstraint("length(account_last4) = 4", name="last4_4_chars"),
        Index("ix_risk_payout_destinations_seller", "seller_id", "id"),
        Index("ix_risk_payout_destinations_hash", "account_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"))
    routing_number: Mapped[str] = mapped_column(String(9))  # the bank's public ABA number, not personal
    account_last4: Mapped[str] = mapped_column(String(4))
    account_hash: Mapped[str] = mapped_column(String(64))
    set_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RiskRuleConfig(Base):
    """An operator's change to a rule's defaults (``rules.RULES``): on/off, thresholds, level. (Whether a
    rule may suspend or ban without an operator is the cases' ``risk_rule_settings``.)"""

    __tablename__ = "risk_rules"

    name: Mapped[str] = mapped_column(String(48), primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    level: Mapped[str] = mapped_column(String(16))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RiskAssessmentRow(Base):
    """The latest assessment of an account, written by the periodic job: the hot-path checks read this
    one row instead of computing features on the request path."""

    __tablename__ = "risk_assessments"
    __table_args__ = (
        CheckConstraint("subject_kind IN ('seller', 'user')", name="subject_kind_known"),
        CheckConstraint("score >= 0 AND score <= 1", name="score_range"),
    )

    subject_kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    subject_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    level: Mapped[str] = mapped_column(String(16))
    score: Mapped[float] = mapped_column(Float)
    anomaly: Mapped[float | None] = mapped_column(Float)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    assessed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
