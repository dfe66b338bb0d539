"""The rules engine: rules as data (thresholds, level, on/off set by operators over seeded defaults),
each one explaining itself when it fires.

A rule is *strong* when what it sees is rarely innocent (a login from a new device, network and zone
at once plus a trip no airliner makes; a shop whose operators, devices and phone all changed after
approval). A *weak* rule sees something honest people also do (travel with a new phone, hand a shop
to an agency, answer a flash sale's shoppers with one quick reply): alone it counts only when the
anomaly score confirms that the account is unusual overall, or together with another reason
(``scoring.decide``). Levels are ordered; an account gets the highest level of the reasons that count.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yellowcart.errors import InvalidInput, NotFound
from yellowcart.risk.features import Features
from yellowcart.risk.signal_models import RiskRuleConfig


class Level(enum.StrEnum):
    """Ordered: each level includes the ones before it."""

    ALLOW = "allow"
    STEP_UP = "step_up"  # re-verify ID / phone
    HOLD_PAYOUTS = "hold_payouts"
    RESTRICT = "restrict"  # no new listings, no live
    SUSPEND = "suspend"
    BAN = "ban"

    @property
    def rank(self) -> int:
        return list(Level).index(self)

    def at_least(self, other: Level) -> bool:
        return self.rank >= other.rank


def highest(levels: list[Level]) -> Level:
    return max(levels, key=lambda level: level.rank, default=Level.ALLOW)


@dataclass(frozen=True)
class Reason:
    rule: str
    category: str  # shown to the account: account_security, ownership_change, order_integrity, ...
    explanation: str  # for operators
    evidence: dict[str, object] = field(default_factory=dict)  # for operators only


Values = Mapping[str, float]
Params = Mapping[str, float]


@dataclass(frozen=True)
class Rule:
    name: str
    subject_kind: str  # "user" | "seller"
    category: str
    level: Level
    params: Params
    weak: bool
    test: Callable[[Values, Params], bool]
    explain: Callable[[Values, Params], str]
    inputs: tuple[str, ...] = ()  # the features it reads (masked when the anomaly score confirms it)
    evidence: tuple[str, ...] = ()  # keys of ``Features.evidence`` attached to the reason
    summary: str = ""
    enabled: bool = True

    def check(self, features: Features) -> Reason | None:
        if not self.enabled or features.subject.kind != self.subject_kind:
            return None
        values = features.values
        if not self.test(values, self.params):
            return None
        evidence: dict[str, object] = {
            "features": {k: round(v, 4) for k, v in values.items() if v},
            "thresholds": dict(self.params),
            "weak": self.weak,
        }
        evidence.update({k: features.evidence[k] for k in self.evidence if features.evidence.get(k)})
        return Reason(self.name, self.category, self.explain(values, self.params), evidence)


def _n(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}"


def _pct(value: float) -> str:
    return f"{value * 100:.0f}%"


def _rule(
    name: str,
    kind: str,
    category: str,
    level: Level,
    params: dict[str, float],
    *,
    weak: bool,
    inputs: tuple[str, ...],
    test: Callable[[Values, Params], bool],
    explain: Callable[[Values, Params], str],
    evidence: tuple[str, ...] = (),
    summary: str,
) -> Rule:
    return Rule(name, kind, category, level, params, weak, test, explain, inputs, evidence, summary)


_TURNOVER = ("turnover_new_device_share", "turnover_new_network_share")
RULES: tuple[Rule, ...] = (
    _rule(
        "account_takeover",
        "user",
        "account_security",
        Level.STEP_UP,
        {"new_combo_logins": 1, "impossible_travel": 1},
        weak=False,
        inputs=("new_combo_logins", "impossible_travel", "max_speed_kmh"),
        test=lambda v, p: (
            v["new_combo_logins"] >= p["new_combo_logins"] and v["impossible_travel"] >= p["impossible_travel"]
        ),
        explain=lambda v, p: (
            f"{_n(v['new_combo_logins'])} login(s) in 7 days from a device, network and time zone "
            f"never seen on this account, and {_n(v['impossible_travel'])} move(s) between sign-ins faster than an "
            f"airliner (up to {_n(v['max_speed_kmh'])} km/h)."
        ),
        evidence=("new_combo_logins_at", "impossible_trips"),
        summary="New device + new network + new zone at once, with impossible travel.",
    ),
    _rule(
        "new_device_network_geo",
        "user",
        "account_security",
        Level.STEP_UP,
        {"new_combo_logins": 1},
        weak=True,
        inputs=("new_combo_logins",),
        test=lambda v, p: v["new_combo_logins"] >= p["new_combo_logins"],
        explain=lambda v, p: (
            f"{_n(v['new_combo_logins'])} login(s) in 7 days from a device, network and time zone "
            "all new to this account at once."
        ),
        evidence=("new_combo_logins_at",),
        summary="New device + new network + new zone at once (travellers with a new phone do this too).",
    ),
    _rule(
        "impossible_travel",
        "user",
        "account_security",
        Level.STEP_UP,
        {"impossible_travel": 1},
        weak=True,
        inputs=("impossible_travel", "max_speed_kmh"),
        test=lambda v, p: v["impossible_travel"] >= p["impossible_travel"],
        explain=lambda v, p: (
            f"{_n(v['impossible_travel'])} move(s) between sign-ins in 7 days faster than an "
            f"airliner (up to {_n(v['max_speed_kmh'])} km/h)."
        ),
        evidence=("impossible_trips",),
        summary="Impossible travel alone (a laptop set to another zone does this too).",
    ),
    _rule(
        "promo_abuse",
        "user",
        "promotion_abuse",
        Level.STEP_UP,
        {"promo_device_siblings": 4, "promo_address_siblings": 5},
        weak=False,
        inputs=("promo_device_siblings", "promo_address_siblings", "accounts_on_device"),
        test=lambda v, p: (
            v["promo_device_siblings"] >= p["promo_device_siblings"]
            or v["promo_address_siblings"] >= p["promo_address_siblings"]
        ),
        explain=lambda v, p: (
            f"New accounts (younger than 14 days) redeemed the same promotion from a device this "
            f"account uses ({_n(v['promo_device_siblings'])}) or shipping to its address "
            f"({_n(v['promo_address_siblings'])})."
        ),
        evidence=("promotion",),
        summary="Many new accounts on one device, or shipping to one address, redeeming one promotion.",
    ),
    _rule(
        "promo_network_cluster",
        "user",
        "promotion_abuse",
        Level.STEP_UP,
        {"promo_network_siblings": 6},
        weak=True,
        inputs=("promo_network_siblings", "accounts_on_network"),
        test=lambda v, p: v["promo_network_siblings"] >= p["promo_network_siblings"],
        explain=lambda v, p: (
            f"{_n(v['promo_network_siblings'])} accounts younger than 14 days, on a network this "
            "account uses, redeemed the same promotion."
        ),
        evidence=("promotion",),
        summary="Many new accounts on one network redeeming one promotion (households and campuses do this too).",
    ),
    _rule(
        "many_accounts_on_device",
        "user",
        "account_security",
        Level.STEP_UP,
        {"accounts_on_device": 6},
        weak=True,
        inputs=("accounts_on_device",),
        test=lambda v, p: v["accounts_on_device"] >= p["accounts_on_device"],
        explain=lambda v, p: f"{_n(v['accounts_on_device'])} accounts used one of this account's devices in 30 days.",
        summary="Many accounts on one device (a shared family tablet or a shop's till does this too).",
    ),
    _rule(
        "bought_shop",
        "seller",
        "ownership_change",
        Level.RESTRICT,
        {"new_device_share": 0.8, "new_network_share": 0.8},
        weak=False,
        inputs=(*_TURNOVER, "phone_changed", "payout_changes_30d"),
        test=lambda v, p: (
            v["turnover_new_device_share"] >= p["new_device_share"]
            and v["turnover_new_network_share"] >= p["new_network_share"]
            and (v["phone_changed"] >= 1 or v["payout_changes_30d"] >= 1)
        ),
        explain=lambda v, p: (
            f"Since a change within 14 days the shop has been run from devices ({_pct(v['turnover_new_device_share'])} "
            f"new) and networks ({_pct(v['turnover_new_network_share'])} new) it never used before, after approval, "
            "and its " + ("phone" if v["phone_changed"] else "payout account") + " changed."
        ),
        evidence=("turnover", "payout_change"),
        summary="Operators' devices, networks and phone or payout account changed wholesale after approval.",
    ),
    _rule(
        "operator_turnover",
        "seller",
        "ownership_change",
        Level.STEP_UP,
        {"new_device_share": 0.8, "new_network_share": 0.8},
        weak=True,
        inputs=_TURNOVER,
        test=lambda v, p: (
            v["turnover_new_device_share"] >= p["new_device_share"]
            and v["turnover_new_network_share"] >= p["new_network_share"]
        ),
        explain=lambda v, p: (
            f"Since a change within 14 days the shop has been run from devices ({_pct(v['turnover_new_device_share'])} "
            f"new) and networks ({_pct(v['turnover_new_network_share'])} new) it never used before."
        ),
        evidence=("turnover",),
        summary="Operators' devices and networks changed wholesale (agencies taking over a shop do this too).",
    ),
    _rule(
        "payout_before_settlement",
        "seller",
        "payout_safety",
        Level.HOLD_PAYOUTS,
        {},
        weak=False,
        inputs=("payout_near_settlement", "payout_new_device", "payout_changes_30d"),
        test=lambda v, p: v["payout_near_settlement"] >= 1 and v["payout_new_device"] >= 1,
        explain=lambda v, p: (
            "The payout account changed shortly before a settlement, from a device the shop had not used before."
        ),
        evidence=("payout_change",),
        summary="Payout account changed within 72 h of a settlement, from a new device.",
    ),
    _rule(
        "payout_change_near_settlement",
        "seller",
        "payout_safety",
        Level.HOLD_PAYOUTS,
        {},
        weak=True,
        inputs=("payout_near_settlement", "payout_new_device", "payout_changes_30d"),
        test=lambda v, p: v["payout_near_settlement"] >= 1,
        explain=lambda v, p: "The payout account changed shortly before a settlement.",
        evidence=("payout_change",),
        summary="Payout account changed within 72 h of a settlement (from a known device).",
    ),
    _rule(
        "template_burst",
        "seller",
        "account_security",
        Level.STEP_UP,
        {"messages": 40, "conversations": 30},
        weak=True,
        inputs=("template_burst", "template_burst_conversations"),
        test=lambda v, p: (
            v["template_burst"] >= p["messages"] and v["template_burst_conversations"] >= p["conversations"]
        ),
        explain=lambda v, p: (
            f"{_n(v['template_burst'])} messages with one template pattern within an hour, to "
            f"{_n(v['template_burst_conversations'])} conversations."
        ),
        evidence=("template_burst",),
        summary="A burst of template-pattern messages (busy sales answered with one quick reply look alike).",
    ),
    _rule(
        "brushing",
        "seller",
        "order_integrity",
        Level.HOLD_PAYOUTS,
        {"share": 0.3, "orders": 5},
        weak=False,
        inputs=("brushing_share", "brushing_orders"),
        test=lambda v, p: v["brushing_share"] >= p["share"] and v["brushing_orders"] >= p["orders"],
        explain=lambda v, p: (
            f"{_n(v['brushing_orders'])} of {_n(v['orders_30d'])} orders in 30 days "
            f"({_pct(v['brushing_share'])}) come from buyers sharing devices, addresses or payment methods with the "
            "shop or with each other."
        ),
        evidence=("brushing",),
        summary="Orders from buyers linked to the shop or to each other (fake orders).",
    ),
    _rule(
        "member_takeover",
        "seller",
        "account_security",
        Level.HOLD_PAYOUTS,
        {"members": 1},
        weak=False,
        inputs=("member_takeover",),
        test=lambda v, p: v["member_takeover"] >= p["members"],
        explain=lambda v, p: (
            f"{_n(v['member_takeover'])} of the shop's user accounts show a takeover (new device, "
            "network and zone at once, with impossible travel) in 7 days."
        ),
        evidence=("members_taken_over",),
        summary="A shop member's account looks taken over.",
    ),
)
BY_NAME = {rule.name: rule for rule in RULES}


class UnknownRule(NotFound):
    code, title = "risk_rule_not_found", "No such risk rule"


def load(session: Session) -> tuple[Rule, ...]:
    """The rules with operators' settings applied over the defaults."""
    configs = {row.name: row for row in session.scalars(select(RiskRuleConfig))}
    return tuple(_apply(rule, configs.get(rule.name)) for rule in RULES)


def _apply(rule: Rule, config: RiskRuleConfig | None) -> Rule:
    if config is None:
        return rule
    params = {k: float(config.params[k]) if k in config.params else v for k, v in rule.params.items()}
    return replace(rule, enabled=config.enabled, level=Level(config.level), params=params)


def evaluate(rules: tuple[Rule, ...], features: Features) -> list[tuple[Rule, Reason]]:
    """Every enabled rule of the subject's kind that fires, with its reason."""
    fired = []
    for rule in rules:
        reason = rule.check(features)
        if reason is not None:
            fired.append((rule, reason))
    return fired


def configure(
    session: Session,
    *,
    name: str,
    enabled: bool | None,
    level: str | None,
    params: dict[str, float] | None,
    actor_id: int,
    now: dt.datetime,
) -> Rule:
    """Change one rule's setting (only the fields given); thresholds must be ones the rule has."""
    default = BY_NAME.get(name)
    if default is None:
        raise UnknownRule(f"There is no risk rule {name!r}.")
    row = session.get(RiskRuleConfig, name, with_for_update=True)
    if row is None:
        row = RiskRuleConfig(name=name, enabled=True, level=default.level.value, params={})
        session.add(row)
    if params:
        unknown = sorted(set(params) - set(default.params))
        if unknown:
            raise InvalidInput(f"Rule {name} has no threshold {unknown[0]!r}.", field="params")
        row.params = {**(row.params or {}), **{k: float(v) for k, v in params.items()}}
    if level is not None:
        row.level = Level(level).value
    if enabled is not None:
        row.enabled = enabled
    row.updated_by_user_id, row.updated_at = actor_id, now
    session.flush()
    return _apply(default, row)


def describe(rule: Rule) -> dict[str, Any]:
    return {
        "name": rule.name,
        "subject_kind": rule.subject_kind,
        "category": rule.category,
        "level": rule.level.value,
        "weak": rule.weak,
        "enabled": rule.enabled,
        "params": dict(rule.params),
        "summary": rule.summary,
    }
