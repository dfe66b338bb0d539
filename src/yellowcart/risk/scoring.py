"""Assessing an account: its features, the rules that fire, the anomaly score, combined into a level.

How they combine (``decide``): a strong rule's level counts as it is. A weak rule's level counts only
if another rule reading other features fired too (two independent signs are not one coincidence), or
the account is unusual *apart from what the rule looked at*: its anomaly score with the rule's own
inputs set to their usual value is >= ``ANOMALY_CONFIRMS`` (more unusual than 98% of the accounts the
model was trained on). Without the masking the model would mostly confirm the rare feature the weak
rule already saw (a laptop left on UTC is rare, and so "unusual"). The anomaly score alone never raises
the level: an unsupervised model can rank accounts by how unusual they are, not say what is wrong, and
the account must be shown a reason.

``score`` (0..1) orders cases for operators: the level's base plus a little for the anomaly.
The periodic job remembers each account's latest assessment (``remember``) for the hot-path checks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yellowcart.risk import anomaly, rules
from yellowcart.risk.anomaly import AnomalyModel
from yellowcart.risk.features import Features, Subject, compute
from yellowcart.risk.rules import Level, Reason, Rule
from yellowcart.risk.signal_models import RiskAssessmentRow

__all__ = ["ANOMALY_CONFIRMS", "Assessment", "Level", "Reason", "Subject", "assess", "cached", "decide", "remember"]

ANOMALY_CONFIRMS = 0.98
LEVEL_SCORE = {
    Level.ALLOW: 0.0,
    Level.STEP_UP: 0.35,
    Level.HOLD_PAYOUTS: 0.55,
    Level.RESTRICT: 0.75,
    Level.SUSPEND: 0.9,
    Level.BAN: 1.0,
}
_UNSET: Any = object()


@dataclass(frozen=True)
class Assessment:
    subject: Subject
    level: Level
    score: float  # 0..1
    reasons: tuple[Reason, ...]
    anomaly: float | None
    at: dt.datetime


def decide(
    fired: list[tuple[Rule, Reason]],
    anomaly_score: float | None,
    *,
    confirms: float = ANOMALY_CONFIRMS,
    masked: Mapping[str, float | None] | None = None,
) -> tuple[Level, tuple[Reason, ...], float]:
    """The level, the reasons that count, and the score (pure: the bench and tests call it directly).

    ``masked`` holds, per weak rule, the anomaly score of the account with that rule's own inputs set to
    their usual value (0): the model confirms a weak sign only if *something else* about the account is
    unusual too, not merely the rare feature the rule already looked at."""
    masked = masked or {}

    def counts(rule: Rule) -> bool:
        if not rule.weak:
            return True
        if any(other is not rule and not set(other.inputs) & set(rule.inputs) for other, _ in fired):
            return True  # corroborated by another sign, read from other features
        score = masked.get(rule.name, anomaly_score)
        return score is not None and score >= confirms

    counted = [(rule, reason) for rule, reason in fired if counts(rule)]
    level = rules.highest([rule.level for rule, _ in counted])
    score = LEVEL_SCORE[level]
    if anomaly_score is not None:
        score = min(1.0, max(score, 0.3 * anomaly_score) + (0.05 * anomaly_score if counted else 0.0))
    reasons = tuple(_noted(rule, reason, anomaly_score, masked, confirms) for rule, reason in counted)
    return level, reasons, round(score, 4)


def _noted(
    rule: Rule, reason: Reason, anomaly_score: float | None, masked: Mapping[str, float | None], confirms: float
) -> Reason:
    if anomaly_score is None:
        return reason
    evidence: dict[str, object] = {**reason.evidence, "anomaly": round(anomaly_score, 4)}
    if rule.weak and rule.name in masked:
        other = masked[rule.name]
        evidence["anomaly_without_this_rule"] = None if other is None else round(other, 4)
        evidence["anomaly_confirms"] = other is not None and other >= confirms
    return Reason(reason.rule, reason.category, reason.explanation, evidence)


def masked_scores(
    model: AnomalyModel | None, features: Features, fired: list[tuple[Rule, Reason]]
) -> dict[str, float | None]:
    """Per weak rule that fired: the anomaly score with the rule's inputs at their usual value (0)."""
    if model is None:
        return {}
    out: dict[str, float | None] = {}
    for rule, _ in fired:
        if rule.weak:
            values = {**features.values, **dict.fromkeys(rule.inputs, 0.0)}
            out[rule.name] = model.score(replace(features, values=values))
    return out


def assess(
    session: Session,
    *,
    subject: Subject,
    now: dt.datetime,
    rule_set: tuple[Rule, ...] | None = None,
    model: AnomalyModel | None = _UNSET,
) -> Assessment:
    """Compute the account's features now, run the rules and the active anomaly model, combine."""
    features = compute(session, subject=subject, now=now)
    return assess_features(
        features,
        rule_set=rule_set if rule_set is not None else rules.load(session),
        model=anomaly.active(session) if model is _UNSET else model,
    )


def assess_features(
    features: Features,
    *,
    rule_set: tuple[Rule, ...],
    model: AnomalyModel | None,
    anomaly_score: Any = _UNSET,
) -> Assessment:
    """Rules and model over computed features (``anomaly_score`` when the caller scored a batch already)."""
    if anomaly_score is _UNSET:
        anomaly_score = model.score(features) if model is not None else None
    fired = rules.evaluate(rule_set, features)
    level, reasons, score = decide(fired, anomaly_score, masked=masked_scores(model, features, fired))
    return Assessment(features.subject, level, score, reasons, anomaly_score, features.at)


def remember(session: Session, assessment: Assessment) -> None:
    """Keep the latest assessment of the account for the hot-path checks."""
    key = (assessment.subject.kind, assessment.subject.id)
    row = session.get(RiskAssessmentRow, key)
    if row is None:
        row = RiskAssessmentRow(subject_kind=key[0], subject_id=key[1])
        session.add(row)
    row.level, row.score, row.anomaly = assessment.level.value, assessment.score, assessment.anomaly
    row.reasons = [{"rule": r.rule, "category": r.category} for r in assessment.reasons]
    row.assessed_at = assessment.at


def cached(session: Session, subject: Subject) -> Level:
    """The account's last remembered level (ALLOW if never assessed): one primary-key read."""
    level = session.scalar(
        select(RiskAssessmentRow.level).where(
            RiskAssessmentRow.subject_kind == subject.kind, RiskAssessmentRow.subject_id == subject.id
        )
    )
    return Level(level) if level else Level.ALLOW
