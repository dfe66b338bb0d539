"""Risk cases on SQLite and PostgreSQL, driven the way the risk job drives them (``open_or_update`` with
R1's assessments): one current case per subject with an append-only evidence history, automatic
actions only up to restrict unless an operator marked the rule automatic, what an operator lifted
stays lifted, an account an operator cleared is not acted on again by the same rules, and settlement
skips a held party and pays it once the hold is lifted."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ledger.ledger_world import Clock, drain, ledger_bus, listing, move, place_order
from risk_cases.risk_world import active, assessment, case_row, record, seller_status
from support import Market
from yellowcart.audit.models import AuditEntry
from yellowcart.auth.models import ApiToken, Role
from yellowcart.auth.service import Principal
from yellowcart.catalog.modes import SellingMode
from yellowcart.checkout import payments
from yellowcart.db import Database, utcnow
from yellowcart.ledger import balances, rates, settlement
from yellowcart.ledger.payouts import ManualPayoutAdapter
from yellowcart.ledger.periods import last_closed
from yellowcart.orders.state import OrderStatus
from yellowcart.risk import cases
from yellowcart.risk.case_models import CaseStatus, EventKind, RiskAction, RiskCase, RiskCaseEvent
from yellowcart.sellers.models import SellerStatus


def _ops(market: Market) -> Principal:
    market.user("ops", Role.OPERATOR)
    return Principal(market.users["ops"], Role.OPERATOR)


def _events(db: Database, case_id: int) -> list[RiskCaseEvent]:
    with db.transaction() as s:
        rows = list(s.scalars(select(RiskCaseEvent).where(RiskCaseEvent.case_id == case_id).order_by(RiskCaseEvent.id)))
        s.expunge_all()
        return rows


def _decide(db: Database, ops: Principal, case_id: int, decision: str, **extra: Any) -> None:
    with db.transaction() as s:
        kind = cases.Decision(decision)
        cases.decide(s, principal=ops, case_id=case_id, decision=kind, note="reviewed", now=utcnow(), **extra)


def test_one_current_case_per_subject_with_its_evidence_history(db: Database, market: Market) -> None:
    acme = market.seller("acme")
    market.user("ada", Role.SHOPPER)
    shopper = market.users["ada"]

    first = record(db, assessment("seller", acme, "step_up", "operator_turnover", score=0.4))
    again = record(db, assessment("seller", acme, "hold_payouts", "brushing", score=0.6))
    lower = record(db, assessment("seller", acme, "step_up", "operator_turnover", score=0.3))
    assert first == again == lower is not None
    assert record(db, assessment("user", shopper, "allow")) is None  # nothing to open
    other = record(db, assessment("user", shopper, "step_up", "account_takeover"))
    assert other is not None and other != first

    case = case_row(db, first)
    assert case.status is CaseStatus.OPEN and case.open_key == f"seller:{acme}"
    assert case.level == "hold_payouts"  # the highest seen while the case is current, not the latest
    assert case.score == 0.3  # the latest
    assert case.rules == ["operator_turnover", "brushing"]
    assert case.categories == ["ownership_change", "order_integrity"]
    history = [e for e in _events(db, first) if e.kind is EventKind.ASSESSMENT]
    assert [e.level for e in history] == ["step_up", "hold_payouts", "step_up"]
    assert history[0].reasons[0]["evidence"]["ip_prefix"] == "203.0.113.0/24"  # kept for operators


def test_automatic_actions_stop_at_restrict_and_suspend_waits_for_an_operator(db: Database, market: Market) -> None:
    acme = market.seller("acme")
    market.user("acme-staff", Role.SELLER, seller_id=acme)

    case_id = record(db, assessment("seller", acme, "suspend"))
    assert case_id is not None
    assert active(db, seller_id=acme) == ["step_up", "hold_payouts", "restrict"]
    assert seller_status(db, acme) is SellerStatus.ACTIVE  # no suspension without a decision
    with db.transaction() as s:
        detail = cases.case_detail(s, case_id=case_id)
        assert cases.awaiting_decision(detail.case, detail.actions)
        assert all(a.automatic and a.created_by_user_id is None for a in detail.actions)
        assert s.scalar(select(ApiToken.revoked_at).where(ApiToken.user_id == market.users["acme-staff"])) is None
        audited = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "risk.action.applied").order_by(AuditEntry.id)
        ).all()
    assert [(e.subject_kind, e.subject_id, e.actor_id, e.detail["kind"]) for e in audited] == [
        ("seller", str(acme), None, kind) for kind in ("step_up", "hold_payouts", "restrict")
    ]
    assert all(e.detail["evidence"][0]["rule"] == "bought_shop" for e in audited)  # audited with its evidence


def test_a_rule_marked_automatic_may_suspend_without_a_decision(db: Database, market: Market) -> None:
    acme = market.seller("acme")
    market.user("acme-staff", Role.SELLER, seller_id=acme)
    ops = _ops(market)
    with db.transaction() as s:
        cases.set_rule_automation(s, principal=ops, rule="bought_shop", automatic=True, note="clear-cut", now=utcnow())

    record(db, assessment("seller", acme, "suspend", "bought_shop"))
    assert active(db, seller_id=acme) == ["step_up", "hold_payouts", "restrict", "suspend"]
    assert seller_status(db, acme) is SellerStatus.SUSPENDED
    with db.transaction() as s:
        revoked = s.scalar(select(ApiToken.revoked_at).where(ApiToken.user_id == market.users["acme-staff"]))
    assert revoked is not None  # every session of the shop's members ends

    globex = market.seller("globex")  # another rule, not automatic: stops at restrict
    record(db, assessment("seller", globex, "suspend", "brushing"))
    assert active(db, seller_id=globex) == ["step_up", "hold_payouts", "restrict"]


def test_lifted_stays_lifted_and_a_cleared_account_is_not_acted_on_again(db: Database, market: Market) -> None:
    acme = market.seller("acme")
    ops = _ops(market)
    case_id = record(db, assessment("seller", acme, "hold_payouts", "brushing"))
    assert case_id is not None
    with db.transaction() as s:
        step_up = s.scalar(select(RiskAction.id).where(RiskAction.case_id == case_id, RiskAction.kind == "step_up"))
    _decide(db, ops, case_id, "lift", action_id=step_up)
    record(db, assessment("seller", acme, "hold_payouts", "brushing"))  # the next run of the job
    assert active(db, seller_id=acme) == ["hold_payouts"]  # the operator's lift stands

    _decide(db, ops, case_id, "dismiss")
    dismissed = case_row(db, case_id)
    assert dismissed.status is CaseStatus.DISMISSED and dismissed.open_key is None and dismissed.cleared_at
    assert active(db, seller_id=acme) == []

    again = record(db, assessment("seller", acme, "hold_payouts", "brushing"))
    assert again is not None and again != case_id  # a new case, for an operator to see ...
    assert active(db, seller_id=acme) == []  # ... with the automatic actions withheld
    assert [e.kind for e in _events(db, again)] == [EventKind.ASSESSMENT, EventKind.WITHHELD]
    record(db, assessment("seller", acme, "restrict", "bought_shop"))  # a different sign acts as usual
    assert active(db, seller_id=acme) == ["step_up", "hold_payouts", "restrict"]


def test_the_database_keeps_one_current_case_and_one_action_per_kind(db: Database, market: Market) -> None:
    acme = market.seller("acme")
    case_id = record(db, assessment("seller", acme, "step_up", "operator_turnover"))
    now = utcnow()
    with pytest.raises(IntegrityError), db.transaction() as s:
        s.add(RiskCase(subject_kind="seller", seller_id=acme, open_key=f"seller:{acme}", status="open",
                       level="step_up", score=0.5, rules=[], categories=[], opened_at=now, updated_at=now))  # fmt: skip
    with pytest.raises(IntegrityError), db.transaction() as s:
        s.add(RiskAction(case_id=case_id, subject_kind="seller", seller_id=acme, kind="step_up", status="active",
                         active_key=f"seller:{acme}:step_up", categories=[], automatic=True, created_at=now,
                         challenge_attempts=0))  # fmt: skip
    with pytest.raises(IntegrityError), db.transaction() as s:  # a subject is a seller or a user, never both
        s.add(RiskCase(subject_kind="seller", seller_id=acme, user_id=None, open_key=None, status="open",
                       level="step_up", score=0.5, rules=[], categories=[], opened_at=now, updated_at=now))  # fmt: skip
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(RiskCase)) == 1


def test_settlement_skips_a_held_seller_and_pays_it_after_the_hold(db: Database, market: Market) -> None:
    acme = market.seller("acme")
    market.user("ada", Role.SHOPPER)
    shopper = market.users["ada"]
    ops = _ops(market)
    with db.transaction() as s:
        rates.set_rate(s, principal=ops, category_id=None, commission_bps=1000, fee_bps=250)
    clock = Clock()
    bus = ledger_bus(payments.TestPaymentProvider(), clock)
    variant = listing(market, acme, SellingMode.SELLER_FULFILLED, 2000)
    order = place_order(db, shopper, [(variant, 1)])
    move(db, order, OrderStatus.IN_TRANSIT)  # captured: the platform owes acme its share
    drain(db, bus)
    case_id = record(db, assessment("seller", acme, "hold_payouts", "brushing"))
    assert case_id is not None

    clock.advance(24 * 20)
    held = settlement.close_period(db, period=last_closed(clock()), adapter=ManualPayoutAdapter(), now=clock())
    assert held.statements == 1 and held.payouts == []  # statement kept, nothing paid
    with db.transaction() as s:
        owed = balances.seller_balance(s, seller_id=acme).payable_cents
    assert owed > 0  # still owed

    _decide(db, ops, case_id, "dismiss")
    clock.advance(24 * 16)
    later = settlement.close_period(db, period=last_closed(clock()), adapter=ManualPayoutAdapter(), now=clock())
    [(party, cents, _)] = later.payouts
    assert party.seller_id == acme and cents == owed  # what was held goes out with the next settlement
    with db.transaction() as s:
        assert balances.seller_balance(s, seller_id=acme).payable_cents == 0
