"""Operators' return-policy overrides: list, upsert (validated), delete."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yellowcart.auth.service import Principal
from yellowcart.catalog.modes import SellingMode
from yellowcart.errors import InvalidInput, NotFound
from yellowcart.returns.models import ReturnPolicyRule
from yellowcart.returns.policy import check_settings


def list_rules(session: Session) -> Sequence[ReturnPolicyRule]:
    return session.scalars(select(ReturnPolicyRule).order_by(ReturnPolicyRule.scope, ReturnPolicyRule.key)).all()


def _check_key(scope: str, key: str) -> str:
    if scope == "mode" and key not in {m.value for m in SellingMode}:
        raise InvalidInput(f"Unknown selling mode {key!r}.", field="key")
    if scope == "seller" and not key.isdigit():
        raise InvalidInput("A seller rule's key is the seller's id.", field="key")
    if scope == "category" and not key.endswith("/"):
        raise InvalidInput("A category rule's key is a category path ending in '/', e.g. 'grocery/'.", field="key")
    return key


def upsert_rule(
    session: Session, *, principal: Principal, scope: str, key: str, settings: dict[str, Any]
) -> ReturnPolicyRule:
    clean = check_settings(settings)
    key = _check_key(scope, key)
    rule = session.scalar(
        select(ReturnPolicyRule).where(ReturnPolicyRule.scope == scope, ReturnPolicyRule.key == key).with_for_update()
    )
    if rule is None:
        rule = ReturnPolicyRule(scope=scope, key=key, settings=clean, updated_by=principal.user_id)
        session.add(rule)
    else:
        rule.settings, rule.updated_by = clean, principal.user_id
    session.flush()
    return rule


def delete_rule(session: Session, *, rule_id: int) -> None:
    rule = session.get(ReturnPolicyRule, rule_id)
    if rule is None:
        raise NotFound(f"Return policy rule {rule_id} does not exist.")
    session.delete(rule)
