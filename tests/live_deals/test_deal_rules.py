"""The deals' pure rules, without a database: terms, countdown, the job's decisions, refusals, and how
a purchase is split over set-asides."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from yellowcart.inventory.set_asides import plan
from yellowcart.live import deal_rules
from yellowcart.live.deal_rules import Action, Refusal, Terms

NOW = dt.datetime(2026, 11, 25, 20, 0, tzinfo=dt.UTC)


def _terms(**over: object) -> Terms:
    base: dict[str, object] = {
        "price_cents": 1500,
        "was_cents": 2000,
        "supply_price_cents": None,
        "quantity": 20,
        "per_shopper_limit": 2,
        "starts_at": NOW,
        "ends_at": NOW + dt.timedelta(minutes=10),
    }
    base.update(over)
    return Terms(**base)  # type: ignore[arg-type]


def test_valid_terms_have_no_problems() -> None:
    assert deal_rules.term_problems(_terms(), now=NOW) == {}


@given(price=st.integers(-10, 5000), was=st.integers(1, 5000), supply=st.none() | st.integers(0, 5000))
def test_the_price_is_positive_below_the_normal_price_and_never_below_supply(
    price: int, was: int, supply: int | None
) -> None:
    wrong = deal_rules.term_problems(_terms(price_cents=price, was_cents=was, supply_price_cents=supply), now=NOW)
    ok = 0 < price < was and (supply is None or price >= supply)
    assert ("price_cents" not in wrong) is ok


@given(seconds=st.integers(0, 2 * 86_400))
def test_a_deal_lasts_between_10_seconds_and_a_day(seconds: int) -> None:
    ends = NOW + dt.timedelta(seconds=seconds)
    wrong = deal_rules.term_problems(_terms(ends_at=ends), now=NOW)
    assert ("ends_at" not in wrong) is (10 <= seconds <= 86_400)


def test_a_deal_already_over_or_too_far_ahead_is_refused() -> None:
    past = _terms(starts_at=NOW - dt.timedelta(hours=2), ends_at=NOW - dt.timedelta(hours=1))
    assert "ends_at" in deal_rules.term_problems(past, now=NOW)
    far = NOW + dt.timedelta(days=31)
    assert "starts_at" in deal_rules.term_problems(_terms(starts_at=far, ends_at=far + dt.timedelta(hours=1)), now=NOW)
    assert set(deal_rules.term_problems(_terms(quantity=0, per_shopper_limit=1000), now=NOW)) == {
        "quantity",
        "per_shopper_limit",
    }


@given(millis=st.integers(-5_000, 5_000_000))
def test_the_countdown_rounds_up_and_stops_at_zero(millis: int) -> None:
    ends = NOW + dt.timedelta(milliseconds=millis)
    _, left = deal_rules.countdown("running", starts_at=NOW - dt.timedelta(minutes=1), ends_at=ends, now=NOW)
    assert left is not None and left >= 0
    assert left == 0 if millis <= 0 else left - 1 < millis / 1000 <= left
    starts_in, none = deal_rules.countdown("scheduled", starts_at=ends, ends_at=ends + dt.timedelta(hours=1), now=NOW)
    assert none is None and starts_in == deal_rules.seconds_between(ends, NOW)
    assert deal_rules.countdown("ended", starts_at=NOW, ends_at=ends, now=NOW) == (None, None)


def test_refusals_name_why() -> None:
    later = NOW + dt.timedelta(minutes=1)
    assert deal_rules.refusal("scheduled", ends_at=later, now=NOW) is Refusal.NOT_STARTED
    assert deal_rules.refusal("running", ends_at=NOW, now=NOW) is Refusal.ENDED
    assert deal_rules.refusal("ended", ends_at=later, now=NOW) is Refusal.ENDED
    assert deal_rules.refusal("running", ends_at=later, now=NOW) is Refusal.SOLD_OUT


@given(
    status=st.sampled_from(["scheduled", "running", "ended", "cancelled"]),
    start_offset=st.integers(-600, 600),
    length=st.integers(10, 3600),
    room=st.sampled_from(["scheduled", "live", "ended"]),
)
def test_the_job_only_acts_on_open_deals_and_starts_only_on_air(
    status: str, start_offset: int, length: int, room: str
) -> None:
    starts = NOW + dt.timedelta(seconds=start_offset)
    ends = starts + dt.timedelta(seconds=length)
    action = deal_rules.job_action(
        status, starts_at=starts, ends_at=ends, room_live=room == "live", room_ended=room == "ended", now=NOW
    )
    if status in ("ended", "cancelled"):
        assert action is None
    elif status == "running":
        assert (action is Action.END) is (ends <= NOW or room == "ended")
    elif room == "ended" or ends <= NOW:
        assert action is Action.CANCEL
    else:
        assert (action is Action.START) is (starts <= NOW and room == "live")


def test_starting_keeps_the_length() -> None:
    starts, ends = deal_rules.shifted(NOW, NOW + dt.timedelta(minutes=5), NOW + dt.timedelta(minutes=3))
    assert (starts, ends) == (NOW + dt.timedelta(minutes=3), NOW + dt.timedelta(minutes=8))


@given(
    rows=st.lists(st.tuples(st.integers(1, 10_000), st.integers(0, 50)), max_size=6, unique_by=lambda r: r[0]),
    want=st.integers(0, 200),
)
def test_a_purchase_is_split_oldest_first_never_beyond_what_is_there(rows: list[tuple[int, int]], want: int) -> None:
    steps = plan(rows, want)
    have = dict(rows)
    assert all(0 < qty <= have[rid] for rid, qty in steps)
    assert sum(q for _, q in steps) == min(want, sum(have.values()))
    order = [rid for rid, _ in rows]
    assert [rid for rid, _ in steps] == sorted((rid for rid, _ in steps), key=order.index)
