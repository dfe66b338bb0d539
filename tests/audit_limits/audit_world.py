"""Helpers shared by the audit log and limits tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from support import Market
from yellowcart.audit.models import AuditEntry
from yellowcart.auth.models import Role
from yellowcart.auth.service import create_user

PASSWORD = "correct horse battery"
#: Every per-IP limit applies to the tests' loopback client.
NO_EXEMPTION: dict[str, Any] = {"rate_limit_exempt_networks": []}


def user_with_password(market: Market, email: str, role: Role = Role.SHOPPER) -> int:
    with market.db.transaction() as s:
        return create_user(s, email=email, display_name=email.split("@")[0], role=role, password=PASSWORD).id


def audit_rows(market: Market, **where: Any) -> list[AuditEntry]:
    with market.db.transaction() as s:
        query = select(AuditEntry).order_by(AuditEntry.id)
        for column, value in where.items():
            query = query.where(getattr(AuditEntry, column) == value)
        rows = list(s.scalars(query))
        s.expunge_all()
        return rows
