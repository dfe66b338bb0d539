"""Helpers for the risk cases tests: assessments built the way the risk job builds them (R1's types),
recorded through ``open_or_update`` as the job does, accounts with passwords, a seller approved with
an ID document and phone on file, and multipart appeal bodies."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
from sqlalchemy import select

from support import Market
from yellowcart.auth.models import Role, User
from yellowcart.auth.service import create_token, create_user
from yellowcart.db import Database, utcnow
from yellowcart.risk import cases
from yellowcart.risk.case_models import ActionStatus, RiskAction, RiskCase
from yellowcart.risk.scoring import Assessment, Level, Reason, Subject
from yellowcart.sellers import identity
from yellowcart.sellers.models import (
    ApplicationStatus,
    DocumentType,
    MarketPolicy,
    Seller,
    SellerApplication,
    SellerIdDocument,
    SellerStatus,
)

PASSWORD = "correct horse battery"
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
EVIDENCE = {"device_id_hash": "9f2c", "ip_prefix": "203.0.113.0/24", "new_operator_share": 1.0}
CATEGORIES = {
    "bought_shop": "ownership_change",
    "operator_turnover": "ownership_change",
    "brushing": "order_integrity",
    "account_takeover": "account_security",
    "promo_abuse": "promotion_abuse",
}
DOCUMENT = {"type": "drivers_license", "number": "D123-4567", "expires_on": "2031-06-30", "issuing_country": "US",
            "issuing_state": "NY"}  # fmt: skip
PHONE = "(212) 736-0142"


def assessment(
    kind: str, subject_id: int, level: str, *rules: str, score: float = 0.8, at: dt.datetime | None = None
) -> Assessment:
    reasons = tuple(
        Reason(rule, CATEGORIES[rule], f"{rule}: the shop's devices and network all changed", dict(EVIDENCE))
        for rule in (rules or ("bought_shop",))
    )
    return Assessment(Subject(kind, subject_id), Level(level), score, reasons, 0.97, at or utcnow())


def record(db: Database, a: Assessment) -> int | None:
    """As the risk job does: one transaction per assessed subject."""
    with db.transaction() as s:
        case = cases.open_or_update(s, a)
        return case.id if case is not None else None


def active(db: Database, **subject: int) -> list[str]:
    """The kinds of action in force on the subject (seller_id= or user_id=), in ladder order."""
    with db.transaction() as s:
        column = RiskAction.seller_id if "seller_id" in subject else RiskAction.user_id
        rows = s.scalars(
            select(RiskAction.kind)
            .where(column == next(iter(subject.values())), RiskAction.status == ActionStatus.ACTIVE)
            .order_by(RiskAction.id)
        )
        return [k.value for k in rows]


def case_row(db: Database, case_id: int) -> RiskCase:
    with db.transaction() as s:
        case = s.get(RiskCase, case_id)
        assert case is not None
        s.expunge(case)
        return case


def seller_status(db: Database, seller_id: int) -> SellerStatus:
    with db.transaction() as s:
        seller = s.get(Seller, seller_id)
        assert seller is not None
        return seller.status


def account(market: Market, name: str, role: Role, seller_id: int | None = None) -> str:
    """A user with a password (so it can log in again) and a token."""
    with market.db.transaction() as s:
        user = create_user(s, email=f"{name}@test.example", display_name=name, role=role, seller_id=seller_id,
                           password=PASSWORD)  # fmt: skip
        token, _ = create_token(s, user_id=user.id)
    market.tokens[name], market.users[name] = token, user.id
    return token


def approved_with_documents(market: Market, seller_id: int, key: bytes) -> None:
    """The seller's onboarding as approved: its ID document (keyed hash) and phone on file."""
    with market.db.transaction() as s:
        if s.get(MarketPolicy, "US") is None:
            s.add(MarketPolicy(code="US", name="United States", rules=[], version=1))
            s.flush()
        now = utcnow()
        application = SellerApplication(
            seller_id=seller_id, market_code="US", status=ApplicationStatus.APPROVED, phone_e164="+12127360142",
            submitted_at=now, queued_at=now, decided_at=now, eligible=True, evaluation=[],
        )  # fmt: skip
        s.add(application)
        s.flush()
        number = identity.normalise_document_number(DOCUMENT["number"])
        s.add(
            SellerIdDocument(
                application_id=application.id, doc_type=DocumentType.DRIVERS_LICENSE, number_last4=number[-4:],
                number_hmac=identity.document_hash(key, doc_type="drivers_license", country="US", state="NY",
                                                   number=number),
                expires_on=dt.date(2031, 6, 30), issuing_country="US", issuing_state="NY",
            )
        )  # fmt: skip


def user_id(db: Database, email: str) -> int:
    with db.transaction() as s:
        found = s.scalar(select(User.id).where(User.email == email))
        assert found is not None
        return found


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


def appeal(client: httpx.Client, action_id: int, statement: str, *files: tuple[str, bytes, str]) -> httpx.Response:
    """Always multipart (the statement as a plain field), with the files as ``documents``."""
    parts: list[tuple[str, Any]] = [("statement", (None, statement))]
    parts += [("documents", f) for f in files]
    return client.post(f"/v1/me/risk-actions/{action_id}/appeals", files=parts)


def keys_in(value: Any) -> set[str]:
    """Every key anywhere in a JSON document."""
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_in(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_in(v)}
    return set()
