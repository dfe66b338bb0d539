"""The eligibility engine: a market's rules against an application's facts, on a date. Pure (no I/O).

Every rule answers pass/fail with an explanation a seller can read and, when it fails, what to fix.
The facts are what the service knows about an application (ZIPs already resolved through the
fulfilment ZIP index), so the same inputs always give the same answer: the stored evaluation can be
recomputed and tests need no database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from yellowcart.fulfillment.geo import MILITARY_STATES, Place, ZipKind
from yellowcart.money import format_usd
from yellowcart.sellers import identity
from yellowcart.sellers.models import DocumentType
from yellowcart.sellers.rules import (
    BusinessEntity,
    ConsecutiveGmvDays,
    IdDocument,
    MinFollowers,
    Rule,
    UsEntityWithEin,
    UsPhone,
    UsShippingOrigin,
)

DOC_NAMES = {
    DocumentType.DRIVERS_LICENSE: "driver's licence",
    DocumentType.PASSPORT: "passport",
    DocumentType.STATE_ID: "state ID",
    DocumentType.PERMANENT_RESIDENT_CARD: "permanent resident card",
}


@dataclass(frozen=True, slots=True)
class Entity:
    entity_type: str
    legal_name: str
    country: str
    has_ein: bool
    state: str | None  # the address's state or region
    place: Place | None  # the address ZIP's place (US addresses whose ZIP exists)


@dataclass(frozen=True, slots=True)
class Document:
    doc_type: DocumentType
    expires_on: dt.date
    issuing_country: str
    issuing_state: str | None


@dataclass(frozen=True, slots=True)
class Origin:
    country: str
    postal_code: str
    place: Place | None  # None: not a US ZIP that exists


@dataclass(frozen=True, slots=True)
class Facts:
    entity: Entity | None = None
    document: Document | None = None
    phone_e164: str | None = None
    origin: Origin | None = None
    followers: int | None = None
    gmv_by_day: Mapping[dt.date, int] = field(default_factory=dict)  # cents, summed over sources


@dataclass(frozen=True, slots=True)
class RuleResult:
    kind: str
    passed: bool
    explanation: str
    fix: str | None = None  # what the seller should do; None when the rule passes


@dataclass(frozen=True, slots=True)
class Evaluation:
    on: dt.date
    results: tuple[RuleResult, ...]

    @property
    def eligible(self) -> bool:
        return all(r.passed for r in self.results)

    def failing(self) -> list[RuleResult]:
        return [r for r in self.results if not r.passed]


def evaluate(rules: list[Rule], facts: Facts, *, on: dt.date) -> Evaluation:
    """Each rule of the policy, in the policy's order."""
    return Evaluation(on=on, results=tuple(check(rule, facts, on) for rule in rules))


def _ok(kind: str, explanation: str) -> RuleResult:
    return RuleResult(kind, True, explanation)


def _fail(kind: str, explanation: str, fix: str) -> RuleResult:
    return RuleResult(kind, False, explanation, fix)


# ---- business entity ---------------------------------------------------------------------------------


def check_us_entity(rule: UsEntityWithEin, facts: Facts, on: dt.date) -> RuleResult:
    entity, kind = facts.entity, rule.kind
    if entity is None:
        return _fail(kind, "No business entity given.", "Add your business: type, legal name, EIN and US address.")
    if entity.country != "US":
        return _fail(kind, f"The business is registered in {entity.country}, not the US.",
                     "Apply with a US-registered business, or apply to a cross-border market.")  # fmt: skip
    if not entity.has_ein:
        return _fail(kind, "The business has no EIN on file.", "Add the business's EIN (NN-NNNNNNN).")
    if entity.place is None:
        return _fail(kind, "The business address's ZIP is not a US ZIP code.", "Correct the business address's ZIP.")
    if entity.state != entity.place.state:
        return _fail(kind, f"ZIP {entity.place.zip} is in {entity.place.state}, but the address says {entity.state}.",
                     "Correct the state or the ZIP of the business address.")  # fmt: skip
    return _ok(kind, f"US business '{entity.legal_name}' with an EIN, based in {entity.place.state}.")


def check_business_entity(rule: BusinessEntity, facts: Facts, on: dt.date) -> RuleResult:
    entity, kind = facts.entity, rule.kind
    if entity is None:
        return _fail(kind, "No business entity given.", "Add your business: type, legal name, country and address.")
    if rule.countries and entity.country not in rule.countries:
        allowed = ", ".join(rule.countries)
        return _fail(kind, f"Businesses registered in {entity.country} are not accepted here (accepted: {allowed}).",
                     "Apply with a business registered in an accepted country, or to another market.")  # fmt: skip
    return _ok(kind, f"Registered business '{entity.legal_name}' ({entity.entity_type}, {entity.country}).")


# ---- ID document -------------------------------------------------------------------------------------


def check_id_document(rule: IdDocument, facts: Facts, on: dt.date) -> RuleResult:
    doc, kind = facts.document, rule.kind
    accepted = ", ".join(DOC_NAMES[t] for t in rule.accepted_types)
    if doc is None:
        return _fail(kind, "No ID document on file.", f"Add the representative's ID ({accepted}).")
    name = DOC_NAMES[doc.doc_type]
    if doc.doc_type not in rule.accepted_types:
        return _fail(kind, f"A {name} is not accepted in this market.", f"Add an accepted ID instead: {accepted}.")
    if rule.issuing_countries and doc.issuing_country not in rule.issuing_countries:
        countries = ", ".join(rule.issuing_countries)
        return _fail(kind, f"The {name} was issued in {doc.issuing_country}; accepted: {countries}.",
                     f"Add an ID issued in {countries}.")  # fmt: skip
    if doc.expires_on < on:
        return _fail(kind, f"The {name} expired on {doc.expires_on.isoformat()}.", "Add an ID that has not expired.")
    valid_until = on + dt.timedelta(days=rule.min_days_valid)
    if doc.expires_on < valid_until:
        return _fail(kind, f"The {name} expires on {doc.expires_on.isoformat()}; it must be valid until at least "
                     f"{valid_until.isoformat()}.", "Renew the ID or add one valid for longer.")  # fmt: skip
    return _ok(kind, f"{name.capitalize()} issued in {doc.issuing_country}, valid until {doc.expires_on.isoformat()}.")


# ---- phone, shipping origin, followers -----------------------------------------------------------------


def check_us_phone(rule: UsPhone, facts: Facts, on: dt.date) -> RuleResult:
    phone, kind = facts.phone_e164, rule.kind
    if phone is None:
        return _fail(kind, "No phone number on file.", "Add a US phone number.")
    code = identity.area_code(phone)
    if code in identity.NON_GEOGRAPHIC_AREA_CODES:
        return _fail(kind, f"Area code {code} is toll-free or non-geographic.", "Add a US phone number you answer.")
    if code in identity.NON_US_AREA_CODES:
        return _fail(kind, f"Area code {code} is outside the United States (Canada or the Caribbean).",
                     "Add a phone number with a US area code.")  # fmt: skip
    return _ok(kind, f"US phone number ending in {phone[-4:]}.")


def check_us_origin(rule: UsShippingOrigin, facts: Facts, on: dt.date) -> RuleResult:
    origin, kind = facts.origin, rule.kind
    fix = "Ship from a warehouse at a US street address and give its ZIP."
    if origin is None:
        return _fail(kind, "No shipping origin given.", fix)
    if origin.country != "US":
        return _fail(kind, f"Orders would ship from {origin.country}, not the US.", fix)
    place = origin.place
    if place is None:
        return _fail(kind, f"{origin.postal_code} is not a US ZIP code.", "Correct the warehouse ZIP.")
    if place.kind is ZipKind.MILITARY or place.state in MILITARY_STATES:
        return _fail(kind, f"ZIP {place.zip} is a military post office (APO/FPO/DPO).", fix)
    if place.kind is ZipKind.PO_BOX:
        return _fail(kind, f"ZIP {place.zip} only serves PO boxes; carriers collect from street addresses.", fix)
    return _ok(kind, f"Ships from ZIP {place.zip} ({place.state}).")


def check_followers(rule: MinFollowers, facts: Facts, on: dt.date) -> RuleResult:
    followers, kind, need = facts.followers, rule.kind, rule.min_followers
    if followers is None:
        return _fail(kind, "No social account linked.", f"Link a social account with at least {need:,} followers.")
    if followers < need:
        return _fail(kind, f"{followers:,} followers; {need:,} needed.",
                     f"Grow the linked account by {need - followers:,} followers, or link a larger one.")  # fmt: skip
    return _ok(kind, f"{followers:,} followers (at least {need:,} needed).")


# ---- GMV streak --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Streak:
    longest: int  # the longest run of consecutive qualifying days in the window
    current: int  # the run that ends on the window's last day (what today's sales can extend)


def gmv_streak(gmv_by_day: Mapping[dt.date, int], *, target: int, first: dt.date, last: dt.date) -> Streak:
    """Runs of consecutive days from ``first`` to ``last`` (inclusive) each with GMV >= ``target``; a day
    without a row had no sales."""
    longest = run = 0
    day = first
    while day <= last:
        run = run + 1 if gmv_by_day.get(day, 0) >= target else 0
        longest = max(longest, run)
        day += dt.timedelta(days=1)
    return Streak(longest=longest, current=run)


def gmv_window(rule: ConsecutiveGmvDays, on: dt.date) -> tuple[dt.date, dt.date]:
    """The ``lookback_days`` full days before ``on``."""
    return on - dt.timedelta(days=rule.lookback_days), on - dt.timedelta(days=1)


def check_gmv_streak(rule: ConsecutiveGmvDays, facts: Facts, on: dt.date) -> RuleResult:
    first, last = gmv_window(rule, on)
    streak = gmv_streak(facts.gmv_by_day, target=rule.daily_target_cents, first=first, last=last)
    target, need = format_usd(rule.daily_target_cents), rule.days
    window = f"between {first.isoformat()} and {last.isoformat()}"
    if streak.longest >= need:
        return _ok(rule.kind, f"{streak.longest} consecutive days at or above {target} {window} ({need} needed).")
    explanation = f"At most {streak.longest} consecutive days at or above {target} {window}; {need} needed."
    fix = (
        f"Sell at least {target} on each of the next {need - streak.current} days, or import your store's daily "
        f"sales history if it already shows {need} such days in a row."
    )
    return _fail(rule.kind, explanation, fix)


def check(rule: Rule, facts: Facts, on: dt.date) -> RuleResult:
    """One rule (the policy's kinds are a closed set: ``rules.Rule``)."""
    match rule:
        case UsEntityWithEin():
            return check_us_entity(rule, facts, on)
        case BusinessEntity():
            return check_business_entity(rule, facts, on)
        case IdDocument():
            return check_id_document(rule, facts, on)
        case UsPhone():
            return check_us_phone(rule, facts, on)
        case UsShippingOrigin():
            return check_us_origin(rule, facts, on)
        case MinFollowers():
            return check_followers(rule, facts, on)
        case ConsecutiveGmvDays():
            return check_gmv_streak(rule, facts, on)
