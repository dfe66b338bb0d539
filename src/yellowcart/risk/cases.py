"""Risk cases: one current case per subject, opened or updated from an assessment (``open_or_update``,
called by the risk job), the automatic actions it takes (at most ``restrict`` unless an operator marked
one of the case's rules automatic), and operators' decisions on it.

Automatic actions are applied once per case and kind: what an operator (or the account's verification)
lifted is not put back by the next assessment of the same case. After an operator cleared an account
(dismissed its case, or overturned an action on appeal), the same rules do not act on it automatically
for ``CLEARED_GRACE``: a new case still opens for an operator to see, with the actions withheld. An
honest seller is not re-banned by the job that just got overruled.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yellowcart.auth.service import Principal
from yellowcart.db import flush_guarded
from yellowcart.errors import Conflict, InvalidInput, NotFound
from yellowcart.risk import actions
from yellowcart.risk import rules as risk_rules
from yellowcart.risk.actions import Effects, LiftReason
from yellowcart.risk.case_models import (
    CURRENT,
    LEVELS,
    ActionKind,
    ActionStatus,
    AppealStatus,
    CaseStatus,
    EventKind,
    RiskAction,
    RiskAppeal,
    RiskCase,
    RiskCaseEvent,
    RiskRuleSetting,
    SubjectKind,
)

if TYPE_CHECKING:
    from yellowcart.risk.scoring import Assessment, Reason

CLEARED_GRACE = dt.timedelta(days=30)


class CaseNotCurrent(Conflict):
    code, title = "case_not_open", "The case is dismissed or closed"


class Decision(enum.StrEnum):
    ACTION = "action"  # set the case's action level (everything up to it in force, anything above lifted)
    LIFT = "lift"  # lift one action (e.g. clear a step-up)
    DISMISS = "dismiss"  # nothing wrong: every action of the case lifted, the case ends
    CLOSE = "close"  # the case ends with its actions standing (a ban)


def _value(level: Any) -> str:
    text = str(getattr(level, "value", level))
    if text not in LEVELS:
        raise ValueError(f"unknown risk level {text!r}")
    return text


def level_rank(level: str) -> int:
    return LEVELS.index(level)


def reason_dict(reason: Reason) -> dict[str, Any]:
    """As stored in the case's history (evidence made JSON-safe: times and the like become strings)."""
    return {
        "rule": reason.rule,
        "category": reason.category,
        "explanation": reason.explanation,
        "evidence": json.loads(json.dumps(dict(reason.evidence), default=str)),
    }


def _merge(existing: Sequence[str], new: Sequence[str]) -> list[str]:
    return list(dict.fromkeys([*existing, *new]))


def _key(kind: SubjectKind, subject_id: int) -> str:
    return f"{kind.value}:{subject_id}"


def current_case(session: Session, *, kind: SubjectKind, subject_id: int, lock: bool = False) -> RiskCase | None:
    query = select(RiskCase).where(RiskCase.open_key == _key(kind, subject_id))
    return session.scalar(query.with_for_update() if lock else query)


# ---- from the risk job ------------------------------------------------------------------------------------


def open_or_update(session: Session, assessment: Assessment) -> RiskCase | None:
    """Record an assessment on the subject's current case (opening one for any level above ``allow``)
    and apply the automatic actions it calls for. Returns the case (None: ``allow`` and no case)."""
    kind, subject_id = SubjectKind(assessment.subject.kind), int(assessment.subject.id)
    level, now = _value(assessment.level), assessment.at
    reasons = [reason_dict(r) for r in assessment.reasons]
    rules = [r["rule"] for r in reasons]
    case = current_case(session, kind=kind, subject_id=subject_id, lock=True)
    if case is None:
        if level == "allow":
            return None
        case = _open(session, kind=kind, subject_id=subject_id, level=level, score=assessment.score, now=now)
    elif level_rank(level) > level_rank(case.level):
        case.level = level
    case.score, case.anomaly, case.updated_at = min(max(float(assessment.score), 0.0), 1.0), assessment.anomaly, now
    case.rules = _merge(case.rules, rules)
    case.categories = _merge(case.categories, [r["category"] for r in reasons])
    session.flush()
    actions.add_event(
        session, case, EventKind.ASSESSMENT, at=now, level=level, score=case.score, anomaly=assessment.anomaly,
        reasons=reasons,
    )  # fmt: skip
    _act_automatically(session, case, level=level, rules=rules, now=now)
    session.flush()
    return case


class _Raced(Exception):
    pass


def _open(
    session: Session, *, kind: SubjectKind, subject_id: int, level: str, score: float, now: dt.datetime
) -> RiskCase:
    ids = {"seller_id": subject_id} if kind is SubjectKind.SELLER else {"user_id": subject_id}
    case = RiskCase(
        subject_kind=kind, open_key=_key(kind, subject_id), status=CaseStatus.OPEN, level=level,
        score=min(max(float(score), 0.0), 1.0), rules=[], categories=[], opened_at=now, updated_at=now, **ids,
    )  # fmt: skip
    try:
        flush_guarded(session, lambda: session.add(case), _Raced)
    except _Raced:  # another run opened it first: update that one
        found = current_case(session, kind=kind, subject_id=subject_id, lock=True)
        if found is None:
            raise
        return found
    return case


def automatic_rules(session: Session, rules: Sequence[str]) -> set[str]:
    if not rules:
        return set()
    found = session.scalars(
        select(RiskRuleSetting.rule).where(RiskRuleSetting.rule.in_(list(rules)), RiskRuleSetting.automatic.is_(True))
    )
    return set(found)


def _act_automatically(session: Session, case: RiskCase, *, level: str, rules: list[str], now: dt.datetime) -> None:
    if level == "allow":
        return
    target = ActionKind(level)
    auto = automatic_rules(session, rules)
    if not auto and actions.LADDER.index(target) > actions.LADDER.index(actions.AUTO_CAP):
        target = actions.AUTO_CAP  # suspend and ban wait for an operator's decision
    if _cleared_recently(session, case, rules, now):
        actions.add_event(session, case, EventKind.WITHHELD, at=now, detail={"would_apply": target.value},
                          note="an operator cleared this account of these rules recently")  # fmt: skip
        return
    done = set(
        session.scalars(
            select(RiskAction.kind).where(RiskAction.case_id == case.id, RiskAction.status != ActionStatus.ACTIVE)
        )
    )
    effects = actions.new_effects()
    note = f"automatic (rules marked automatic: {', '.join(sorted(auto))})" if auto else None
    for kind in actions.ladder_upto(target):
        if kind not in done:
            actions.apply(session, case=case, kind=kind, actor_id=None, now=now, effects=effects, note=note)


def _cleared_recently(session: Session, case: RiskCase, rules: list[str], now: dt.datetime) -> bool:
    column = RiskCase.seller_id if case.subject_kind is SubjectKind.SELLER else RiskCase.user_id
    cleared = session.scalar(
        select(RiskCase)
        .where(
            column == actions.subject_id(case),
            RiskCase.subject_kind == case.subject_kind,
            RiskCase.cleared_at.is_not(None),
            RiskCase.cleared_at >= now - CLEARED_GRACE,
        )
        .order_by(RiskCase.cleared_at.desc())
        .limit(1)
    )
    return cleared is not None and set(rules) <= set(cleared.rules)


# ---- operators: reading -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CaseDetail:
    case: RiskCase
    events: Sequence[RiskCaseEvent]
    actions: Sequence[RiskAction]
    appeals: Sequence[RiskAppeal]


def list_cases(
    session: Session,
    *,
    status: CaseStatus | None = None,
    level: str | None = None,
    subject_kind: SubjectKind | None = None,
    after_id: int | None = None,
    limit: int = 50,
) -> Sequence[RiskCase]:
    """Operators' queue: newest first, filtered."""
    query = select(RiskCase)
    if status is not None:
        query = query.where(RiskCase.status == status)
    if level is not None:
        query = query.where(RiskCase.level == _value(level))
    if subject_kind is not None:
        query = query.where(RiskCase.subject_kind == subject_kind)
    if after_id is not None:
        query = query.where(RiskCase.id < after_id)
    return session.scalars(query.order_by(RiskCase.id.desc()).limit(limit)).all()


def get_case(session: Session, *, case_id: int, lock: bool = False) -> RiskCase:
    case = session.get(RiskCase, case_id, with_for_update=lock)
    if case is None:
        raise NotFound(f"Risk case {case_id} does not exist.")
    return case


def case_detail(session: Session, *, case_id: int) -> CaseDetail:
    case = get_case(session, case_id=case_id)
    events = session.scalars(select(RiskCaseEvent).where(RiskCaseEvent.case_id == case.id).order_by(RiskCaseEvent.id))
    acts = session.scalars(select(RiskAction).where(RiskAction.case_id == case.id).order_by(RiskAction.id))
    appeals = session.scalars(select(RiskAppeal).where(RiskAppeal.case_id == case.id).order_by(RiskAppeal.id))
    return CaseDetail(case, events.all(), acts.all(), appeals.all())


def actions_by_case(session: Session, case_ids: Sequence[int]) -> dict[int, list[RiskAction]]:
    """The actions of each case (one query for a page of cases)."""
    found: dict[int, list[RiskAction]] = {i: [] for i in case_ids}
    if case_ids:
        rows = session.scalars(select(RiskAction).where(RiskAction.case_id.in_(list(case_ids))).order_by(RiskAction.id))
        for row in rows:
            found[row.case_id].append(row)
    return found


def awaiting_decision(case: RiskCase, in_force: Sequence[RiskAction]) -> bool:
    """An open case whose level asks for more than is in force (suspend or ban held back for an operator)."""
    if case.status is not CaseStatus.OPEN or case.level == "allow":
        return False
    highest = max((actions.LADDER.index(a.kind) for a in in_force if a.status is ActionStatus.ACTIVE), default=-1)
    return actions.LADDER.index(ActionKind(case.level)) > highest


# ---- operators: deciding ----------------------------------------------------------------------------------


def decide(
    session: Session,
    *,
    principal: Principal,
    case_id: int,
    decision: Decision,
    note: str,
    now: dt.datetime,
    action: ActionKind | None = None,
    action_id: int | None = None,
) -> tuple[RiskCase, Effects]:
    """An operator's decision (the caller checked the operator role)."""
    case = get_case(session, case_id=case_id, lock=True)
    effects = actions.new_effects()
    actor = principal.user_id
    if decision is Decision.LIFT:
        _lift_one(session, case, action_id, actor=actor, note=note, now=now, effects=effects)
    else:
        if case.status not in CURRENT:
            raise CaseNotCurrent(f"Risk case {case.id} is {case.status.value}.", status=case.status.value)
        if decision is Decision.ACTION:
            if action is None:
                raise InvalidInput("Say which action.", field="action")
            _set_level(session, case, action, actor=actor, note=note, now=now, effects=effects)
            case.status = CaseStatus.ACTIONED
        else:
            _finish(session, case, decision, actor=actor, note=note, now=now, effects=effects)
        case.decided_at, case.decided_by_user_id, case.decision_note = now, actor, note
    case.updated_at = now
    detail = {"decision": decision.value, "action": action.value if action else None, "action_id": action_id}
    actions.add_event(session, case, EventKind.DECISION, at=now, actor_id=actor, detail=detail, note=note)
    actions.audit(
        session, actor_id=actor, action="risk.case.decided", subject_kind=case.subject_kind.value,
        subject_id=actions.subject_id(case), detail={**detail, "case_id": case.id, "note": note},
    )  # fmt: skip
    session.flush()
    return case, effects


def _lift_one(
    session: Session,
    case: RiskCase,
    action_id: int | None,
    *,
    actor: int,
    note: str,
    now: dt.datetime,
    effects: Effects,
) -> None:
    target = session.get(RiskAction, action_id, with_for_update=True) if action_id is not None else None
    if target is None or target.case_id != case.id:
        raise InvalidInput(f"Action {action_id} is not one of case {case.id}'s.", field="action_id")
    actions.lift(session, case=case, action=target, actor_id=actor, reason=LiftReason.OPERATOR, now=now,
                 effects=effects, note=note)  # fmt: skip


def _set_level(
    session: Session, case: RiskCase, kind: ActionKind, *, actor: int, note: str, now: dt.datetime, effects: Effects
) -> None:
    """Everything up to ``kind`` in force on the subject; this case's actions above it lifted."""
    rank = actions.LADDER.index(kind)
    mine = [a for a in actions.active_actions(session, case) if a.case_id == case.id]
    above = [a for a in mine if actions.LADDER.index(a.kind) > rank]
    actions.lift_all(session, case=case, actions=above, actor_id=actor, reason=LiftReason.OPERATOR, now=now,
                     effects=effects, note=note)  # fmt: skip
    for step in actions.ladder_upto(kind):
        actions.apply(session, case=case, kind=step, actor_id=actor, now=now, effects=effects, note=note)


def _finish(
    session: Session, case: RiskCase, decision: Decision, *, actor: int, note: str, now: dt.datetime, effects: Effects
) -> None:
    if decision is Decision.DISMISS:
        mine = [a for a in actions.active_actions(session, case) if a.case_id == case.id]
        actions.lift_all(session, case=case, actions=mine, actor_id=actor, reason=LiftReason.DISMISSED, now=now,
                         effects=effects, note=note)  # fmt: skip
        close_pending_appeals(session, case, actor=actor, note=note, now=now)
        case.status, case.cleared_at = CaseStatus.DISMISSED, now
    else:
        case.status = CaseStatus.CLOSED
    case.open_key, case.closed_at = None, now


def close_pending_appeals(session: Session, case: RiskCase, *, actor: int, note: str, now: dt.datetime) -> None:
    """Pending appeals of actions that no longer stand are decided for the account."""
    for appeal in session.scalars(
        select(RiskAppeal).where(RiskAppeal.case_id == case.id, RiskAppeal.status == AppealStatus.PENDING)
    ):
        appeal.status, appeal.decided_at, appeal.decided_by_user_id = AppealStatus.OVERTURNED, now, actor
        appeal.decision_note = note


# ---- operators: per-rule automation -----------------------------------------------------------------------


def rule_settings(session: Session) -> Sequence[RiskRuleSetting]:
    return session.scalars(select(RiskRuleSetting).order_by(RiskRuleSetting.rule)).all()


def set_rule_automation(
    session: Session, *, principal: Principal, rule: str, automatic: bool, note: str | None, now: dt.datetime
) -> RiskRuleSetting:
    """Mark a rule automatic (its cases may suspend or ban without a decision) or not."""
    if rule not in risk_rules.BY_NAME:
        raise risk_rules.UnknownRule(f"There is no risk rule {rule!r}.")
    row = session.get(RiskRuleSetting, rule, with_for_update=True)
    if row is None:
        row = RiskRuleSetting(rule=rule)
        session.add(row)
    before = row.automatic
    row.automatic, row.note, row.updated_at, row.updated_by_user_id = automatic, note, now, principal.user_id
    session.flush()
    actions.audit(
        session, actor_id=principal.user_id, action="risk.rule.automation", subject_kind="risk_rule", subject_id=rule,
        detail={"rule": rule, "automatic": automatic, "was": bool(before), "note": note},
    )  # fmt: skip
    return row
