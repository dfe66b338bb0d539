"""The pure side of onboarding, without a database: each eligibility rule's verdict, explanation and
fix; the GMV streak's edges (hypothesis, against a brute-force count); policy validation; number
normalisation, hashing and masking; the application lifecycle."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from yellowcart.errors import InvalidTransition
from yellowcart.fulfillment.geo import Place, ZipKind, place_of
from yellowcart.sellers import identity
from yellowcart.sellers.eligibility import Document, Entity, Facts, Origin, evaluate, gmv_streak
from yellowcart.sellers.lifecycle import TRANSITIONS, check_transition
from yellowcart.sellers.models import ApplicationStatus, DocumentType
from yellowcart.sellers.rules import (
    CROSS_BORDER_POLICY,
    US_SEED_POLICY,
    ConsecutiveGmvDays,
    IdDocument,
    UsPhone,
    UsShippingOrigin,
    dump_rules,
    parse_rules,
)

ON = dt.date(2026, 11, 1)
NYC = place_of("10118")
NEWARK = place_of("07102")


def _days(last: dt.date, count: int, cents: int) -> dict[dt.date, int]:
    return {last - dt.timedelta(days=i): cents for i in range(count)}


def us_facts(**changes: Any) -> Facts:
    base = Facts(
        entity=Entity("llc", "Glow Labs LLC", "US", True, "NY", NYC),
        document=Document(DocumentType.PASSPORT, ON + dt.timedelta(days=400), "US", None),
        phone_e164="+12127360142",
        origin=Origin("US", "07102", NEWARK),
        followers=5000,
        gmv_by_day=_days(ON - dt.timedelta(days=1), 30, 25_000),
    )
    return dataclasses.replace(base, **changes)


def results(facts: Facts, policy: list | None = None) -> dict[str, tuple[bool, str, str | None]]:  # type: ignore[type-arg]
    verdict = evaluate(policy or US_SEED_POLICY, facts, on=ON)
    return {r.kind: (r.passed, r.explanation, r.fix) for r in verdict.results}


# ---- the seed policy ---------------------------------------------------------------------------------


def test_a_complete_us_seller_passes_every_rule_of_the_seed_policy() -> None:
    verdict = evaluate(US_SEED_POLICY, us_facts(), on=ON)
    assert verdict.eligible
    assert [r.kind for r in verdict.results] == [r.kind for r in US_SEED_POLICY]
    assert all(r.fix is None and r.explanation for r in verdict.results)


def test_an_empty_application_fails_every_rule_and_says_what_to_add() -> None:
    verdict = evaluate(US_SEED_POLICY, Facts(), on=ON)
    assert not verdict.eligible
    assert len(verdict.failing()) == len(US_SEED_POLICY)
    assert all(r.fix for r in verdict.failing())


def test_us_entity_rule_needs_us_registration_an_ein_and_a_consistent_us_address() -> None:
    assert results(us_facts(entity=Entity("llc", "X", "CA", True, "ON", None)))["us_entity_with_ein"][0] is False
    no_ein = results(us_facts(entity=Entity("llc", "X", "US", False, "NY", NYC)))["us_entity_with_ein"]
    assert no_ein[0] is False and "EIN" in no_ein[2]  # type: ignore[operator]
    unknown_zip = results(us_facts(entity=Entity("llc", "X", "US", True, "NY", None)))["us_entity_with_ein"]
    assert unknown_zip[0] is False and "ZIP" in unknown_zip[1]
    wrong_state = results(us_facts(entity=Entity("llc", "X", "US", True, "CA", NYC)))["us_entity_with_ein"]
    assert wrong_state[0] is False and "NY" in wrong_state[1] and "CA" in wrong_state[1]


def test_id_document_type_country_and_expiry() -> None:
    def verdict(doc: Document, rule: IdDocument | None = None) -> tuple[bool, str, str | None]:
        return results(us_facts(document=doc), [rule or US_SEED_POLICY[1]])["id_document"]

    assert verdict(Document(DocumentType.DRIVERS_LICENSE, ON, "US", "NY"))[0] is True  # valid through its last day
    expired = verdict(Document(DocumentType.DRIVERS_LICENSE, ON - dt.timedelta(days=1), "US", "NY"))
    assert expired[0] is False and "expired on 2026-10-31" in expired[1]
    foreign = verdict(Document(DocumentType.PASSPORT, ON + dt.timedelta(days=900), "FR", None))
    assert foreign[0] is False and "FR" in foreign[1] and "US" in foreign[2]  # type: ignore[operator]
    passports_only = IdDocument(accepted_types=[DocumentType.PASSPORT], min_days_valid=90)
    licence = verdict(Document(DocumentType.DRIVERS_LICENSE, ON + dt.timedelta(days=900), "US", "NY"), passports_only)
    assert licence[0] is False and "not accepted" in licence[1] and "passport" in licence[2]  # type: ignore[operator]
    short = verdict(Document(DocumentType.PASSPORT, ON + dt.timedelta(days=89), "CN", None), passports_only)
    assert short[0] is False and "2027-01-30" in short[1]
    assert verdict(Document(DocumentType.PASSPORT, ON + dt.timedelta(days=90), "CN", None), passports_only)[0]


@pytest.mark.parametrize(
    ("phone", "passes", "words"),
    [
        ("+12127360142", True, "ending in 0142"),
        ("+17877360142", True, "ending in"),  # Puerto Rico is the US
        ("+14167360142", False, "outside the United States"),  # Toronto
        ("+18767360142", False, "outside the United States"),  # Jamaica
        ("+18007360142", False, "toll-free"),
    ],
)
def test_us_phone_rule_wants_a_us_area_code(phone: str, passes: bool, words: str) -> None:
    passed, explanation, fix = results(us_facts(phone_e164=phone), [UsPhone()])["us_phone"]
    assert passed is passes and words in explanation
    assert (fix is None) is passes


def test_shipping_origin_must_be_a_real_us_street_zip() -> None:
    def verdict(origin: Origin | None) -> tuple[bool, str, str | None]:
        return results(us_facts(origin=origin), [UsShippingOrigin()])["us_shipping_origin"]

    assert verdict(Origin("US", "07102", NEWARK))[0]
    assert verdict(None)[0] is False
    assert "CN" in verdict(Origin("CN", "518000", None))[1]
    assert "not a US ZIP" in verdict(Origin("US", "00000", None))[1]
    military = place_of("09001")  # APO AE
    assert military is not None and military.state in {"AE", "AA", "AP"}
    assert "military" in verdict(Origin("US", "09001", military))[1]
    po_box = Place(zip="10008", state="NY", timezone="America/New_York", lat=40.7, lon=-74.0, kind=ZipKind.PO_BOX)
    assert "PO boxes" in verdict(Origin("US", "10008", po_box))[1]


def test_followers_threshold_is_inclusive_and_the_fix_says_how_many_are_missing() -> None:
    assert results(us_facts(followers=5000))["min_followers"][0] is True
    passed, explanation, fix = results(us_facts(followers=4999))["min_followers"]
    assert not passed and "4,999" in explanation and "by 1 followers" in fix  # type: ignore[operator]
    assert (
        results(us_facts(followers=None))["min_followers"][2] == "Link a social account with at least 5,000 followers."
    )


def test_cross_border_policy_has_no_us_entity_rule() -> None:
    facts = us_facts(
        entity=Entity("corporation", "Shenzhen Glow Co", "CN", False, "Guangdong", None),
        document=Document(DocumentType.PASSPORT, ON + dt.timedelta(days=400), "CN", None),
        phone_e164=None,
        followers=1500,
        gmv_by_day={},
    )
    assert evaluate(CROSS_BORDER_POLICY, facts, on=ON).eligible
    assert not evaluate(US_SEED_POLICY, facts, on=ON).eligible


# ---- the GMV streak --------------------------------------------------------------------------------


def brute_force_longest(gmv: dict[dt.date, int], target: int, first: dt.date, last: dt.date) -> int:
    """Every window [a, b] inside [first, last] whose days all qualify; the longest one's length."""
    span = (last - first).days + 1
    best = 0
    for a in range(span):
        for b in range(a, span):
            if all(gmv.get(first + dt.timedelta(days=d), 0) >= target for d in range(a, b + 1)):
                best = max(best, b - a + 1)
    return best


@given(
    st.dictionaries(st.integers(0, 40), st.integers(0, 3), max_size=41),
    st.integers(1, 3),
)
def test_streak_matches_a_brute_force_count(offsets: dict[int, int], target: int) -> None:
    first = dt.date(2026, 1, 1)
    gmv = {first + dt.timedelta(days=o): cents for o, cents in offsets.items()}
    last = first + dt.timedelta(days=30)
    streak = gmv_streak(gmv, target=target, first=first, last=last)
    assert streak.longest == brute_force_longest(gmv, target, first, last)
    current = 0
    while gmv.get(last - dt.timedelta(days=current), 0) >= target and current <= 30:
        current += 1
    assert streak.current == current


@given(days=st.integers(1, 60), target=st.integers(1, 10**9), extra=st.integers(0, 30))
def test_a_run_of_exactly_days_at_exactly_the_target_passes_and_a_cent_less_fails(
    days: int, target: int, extra: int
) -> None:
    rule = ConsecutiveGmvDays(days=days, daily_target_cents=target, lookback_days=days + extra)
    run = _days(ON - dt.timedelta(days=1), days, target)
    assert evaluate([rule], Facts(gmv_by_day=run), on=ON).eligible
    short_one_cent = {**run, ON - dt.timedelta(days=1 + days // 2): target - 1}
    assert not evaluate([rule], Facts(gmv_by_day=short_one_cent), on=ON).eligible
    one_day_short = _days(ON - dt.timedelta(days=1), days - 1, target)
    assert not evaluate([rule], Facts(gmv_by_day=one_day_short), on=ON).eligible


@given(days=st.integers(2, 40), gap=st.integers(1, 39))
def test_a_missing_day_breaks_the_run(days: int, gap: int) -> None:
    gap = gap % (days - 1) + 1  # somewhere strictly inside the run
    run = _days(ON - dt.timedelta(days=1), days, 100)
    del run[ON - dt.timedelta(days=1 + gap)]
    rule = ConsecutiveGmvDays(days=days, daily_target_cents=100, lookback_days=days)
    verdict = evaluate([rule], Facts(gmv_by_day=run), on=ON)
    assert not verdict.eligible
    assert f"At most {max(gap, days - 1 - gap)} consecutive days" in verdict.results[0].explanation


@given(days=st.integers(1, 30), lookback_extra=st.integers(0, 30), shift=st.integers(-3, 3))
def test_only_days_inside_the_lookback_window_count(days: int, lookback_extra: int, shift: int) -> None:
    """The window is the ``lookback_days`` full days before the evaluation date: today never counts (not
    over yet), and a run that starts before the window is cut at its edge."""
    lookback = days + lookback_extra
    rule = ConsecutiveGmvDays(days=days, daily_target_cents=1, lookback_days=lookback)
    first_in_window = ON - dt.timedelta(days=lookback)
    start = first_in_window + dt.timedelta(days=shift)  # the run's first day
    run = {start + dt.timedelta(days=i): 1 for i in range(days)}
    inside = sum(1 for d in run if first_in_window <= d <= ON - dt.timedelta(days=1))
    assert evaluate([rule], Facts(gmv_by_day=run), on=ON).eligible is (inside >= days)


def test_the_streak_fix_counts_the_days_still_needed() -> None:
    rule = ConsecutiveGmvDays(days=30, daily_target_cents=25_000)
    facts = Facts(gmv_by_day=_days(ON - dt.timedelta(days=1), 12, 30_000))
    result = evaluate([rule], facts, on=ON).results[0]
    assert "At most 12 consecutive days at or above $250.00" in result.explanation
    assert result.fix is not None and "next 18 days" in result.fix


# ---- policies as data ------------------------------------------------------------------------------


def test_seed_policies_round_trip_through_json() -> None:
    for policy in (US_SEED_POLICY, CROSS_BORDER_POLICY):
        assert parse_rules(dump_rules(policy)) == policy
    assert "us_entity_with_ein" not in {r.kind for r in CROSS_BORDER_POLICY}


@pytest.mark.parametrize(
    "raw",
    [
        [{"kind": "astrology"}],
        [{"kind": "min_followers"}],
        [{"kind": "min_followers", "min_followers": -1}],
        [{"kind": "min_followers", "min_followers": 10, "extra": True}],
        [{"kind": "consecutive_gmv_days", "days": 30, "daily_target_cents": 0}],
        [{"kind": "consecutive_gmv_days", "days": 30, "daily_target_cents": 100, "lookback_days": 10}],
        [{"kind": "id_document", "accepted_types": []}],
        [{"kind": "id_document", "accepted_types": ["library_card"]}],
        [{"kind": "id_document", "accepted_types": ["passport"], "issuing_countries": ["usa"]}],
        [{"kind": "us_phone"}, {"kind": "us_phone"}],
        [],
    ],
)
def test_bad_policies_are_refused(raw: list[dict[str, object]]) -> None:
    with pytest.raises(ValidationError):
        parse_rules(raw)  # type: ignore[arg-type]


# ---- numbers ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "clean"), [("27-4918263", "27-4918263"), (" 274918263 ", "27-4918263")])
def test_ein_normalised(raw: str, clean: str) -> None:
    assert identity.normalise_ein(raw) == clean


@pytest.mark.parametrize("raw", ["07-1234567", "00-1234567", "89-1234567", "12-345678", "12_3456789", "AB-1234567"])
def test_bad_eins_refused_without_echoing_them(raw: str) -> None:
    with pytest.raises(identity.NumberError) as info:
        identity.normalise_ein(raw)
    assert raw.strip() not in str(info.value) and raw[-4:] not in str(info.value)


@pytest.mark.parametrize(
    ("raw", "e164"),
    [("(212) 736-0142", "+12127360142"), ("+1 212.736.0142", "+12127360142"), ("1-415-555-2671", "+14155552671")],
)
def test_phone_normalised_to_e164(raw: str, e164: str) -> None:
    assert identity.normalise_phone(raw) == e164
    assert identity.mask_phone(e164) == f"+1 ***-***-{e164[-4:]}"


@pytest.mark.parametrize(
    "raw",
    [
        "212555014",
        "(112) 736-0142",
        "(212) 155-0142",
        "(911) 736-0142",
        "(212) 411-0142",
        "(212) 555-0100",
        "+44 20 7946 0958",
        "+2127360142",
    ],
)
def test_bad_phones_refused(raw: str) -> None:
    with pytest.raises(identity.NumberError):
        identity.normalise_phone(raw)


def test_document_numbers_are_hashed_with_the_key_and_masked() -> None:
    number = identity.normalise_document_number("x9k2-p7q4 m1")
    assert number == "X9K2P7Q4M1"
    one = identity.document_hash(b"k1", doc_type="passport", country="US", state=None, number=number)
    assert one == identity.document_hash(b"k1", doc_type="passport", country="US", state=None, number=number)
    assert one != identity.document_hash(b"k2", doc_type="passport", country="US", state=None, number=number)
    assert one != identity.document_hash(b"k1", doc_type="passport", country="FR", state=None, number=number)
    assert len(one) == 64 and number not in one
    assert identity.mask_document(number[-4:]) == "****Q4M1"
    assert identity.mask_ein("8263") == "**-***8263"
    for bad in ("1234", "ABC!12345", "A" * 21):
        with pytest.raises(identity.NumberError):
            identity.normalise_document_number(bad)


# ---- lifecycle -------------------------------------------------------------------------------------


def test_lifecycle_moves() -> None:
    A = ApplicationStatus
    legal = {(a, b) for a, targets in TRANSITIONS.items() for b in targets}
    assert legal == {
        (A.DRAFT, A.SUBMITTED),
        (A.SUBMITTED, A.NEEDS_INFO),
        (A.SUBMITTED, A.APPROVED),
        (A.SUBMITTED, A.REJECTED),
        (A.NEEDS_INFO, A.SUBMITTED),
    }
    for current in A:
        for target in A:
            if (current, target) in legal:
                check_transition(current, target)
            else:
                with pytest.raises(InvalidTransition):
                    check_transition(current, target)
