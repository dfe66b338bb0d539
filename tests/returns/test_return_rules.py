"""Return policy, money and lifecycle rules (pure): window edges in the shopper's time zone, the
guarantee, non-returnable categories, units already taken, exact partial refunds, overrides, and the
state machine under random walks."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yellowcart.errors import InvalidInput
from yellowcart.returns import disposition as disp
from yellowcart.returns import policy as p
from yellowcart.returns import signals
from yellowcart.returns.state import OPEN, TERMINAL, TRANSITIONS, InvalidReturnTransition, ReturnStatus, check

LA, NY = "America/Los_Angeles", "America/New_York"
# Delivered 23:30 on 1 March in Los Angeles = 07:30 UTC on 2 March.
DELIVERED = dt.datetime(2030, 3, 2, 7, 30, tzinfo=dt.UTC)


def facts(**kw: object) -> p.LineFacts:
    base: dict[str, object] = {
        "order_line_id": 1,
        "quantity": 3,
        "delivered_quantity": 3,
        "delivered_at": DELIVERED,
        "taken": 0,
    }
    base.update(kw)
    return p.LineFacts(**base)  # type: ignore[arg-type]


def test_window_ends_at_local_midnight_thirty_days_after_the_local_delivery_day() -> None:
    # Local delivery day is 1 March (LA): the window covers 31 March LA time, to midnight LA = 07:00 UTC 1 April.
    end = p.deadline(DELIVERED, 30, LA)
    assert end == dt.datetime(2030, 4, 1, 7, 0, tzinfo=dt.UTC)  # PDT since 10 March: UTC-7
    inside = p.line_eligibility(facts(), p.Policy(), now=end - dt.timedelta(seconds=1), tz=LA)
    outside = p.line_eligibility(facts(), p.Policy(), now=end, tz=LA)
    assert p.Reason.NO_REASON in inside.reasons and inside.returnable_quantity == 3
    assert p.Reason.NO_REASON not in outside.reasons and p.Reason.DAMAGED in outside.reasons
    # The same instant in New York is already 2 March: the window there ends a day later.
    assert p.deadline(DELIVERED, 30, NY) == dt.datetime(2030, 4, 2, 4, 0, tzinfo=dt.UTC)


def test_guarantee_then_nothing() -> None:
    guarantee_end = p.deadline(DELIVERED, 90, LA)
    last = p.line_eligibility(facts(), p.Policy(), now=guarantee_end - dt.timedelta(seconds=1), tz=LA)
    assert set(last.reasons) == p.GUARANTEE_REASONS and last.note
    gone = p.line_eligibility(facts(), p.Policy(), now=guarantee_end, tz=LA)
    assert gone.returnable_quantity == 0 and gone.reasons == () and "guarantee" in (gone.why_not or "")


def test_not_delivered_and_already_taken() -> None:
    now = DELIVERED + dt.timedelta(days=1)
    assert p.line_eligibility(facts(delivered_at=None, delivered_quantity=0), p.Policy(), now=now, tz=LA).why_not
    partly = p.line_eligibility(facts(taken=2), p.Policy(), now=now, tz=LA)
    assert partly.returnable_quantity == 1
    assert p.line_eligibility(facts(taken=3), p.Policy(), now=now, tz=LA).returnable_quantity == 0
    # Two of three delivered (a split order): only those two can come back.
    assert p.line_eligibility(facts(delivered_quantity=2), p.Policy(), now=now, tz=LA).returnable_quantity == 2


def test_non_returnable_category_still_takes_fault_claims() -> None:
    policy = p.Policy(returnable=False)
    got = p.line_eligibility(facts(), policy, now=DELIVERED + dt.timedelta(days=1), tz=LA)
    assert p.Reason.NO_REASON not in got.reasons and p.Reason.CHANGED_MIND not in got.reasons
    assert {p.Reason.DAMAGED, p.Reason.WRONG_ITEM, p.Reason.NOT_AS_DESCRIBED} <= set(got.reasons)
    assert got.note and "change of mind" in got.note


def test_overrides_apply_least_to_most_specific() -> None:
    rules = [
        p.Rule("category", "fashion/", {"window_days": 60}),
        p.Rule("category", "fashion/intimates/", {"returnable": False}),
        p.Rule("mode", "seller_fulfilled", {"window_days": 14, "restocking_fee_bps": 1000}),
        p.Rule("seller", "7", {"window_days": 45}),
    ]
    got = p.resolve(p.Policy(), rules, mode="seller_fulfilled", category_path="fashion/intimates/bras/", seller_id=7)
    assert (got.window_days, got.returnable, got.restocking_fee_bps) == (45, False, 1000)
    other = p.resolve(p.Policy(), rules, mode="full_custody", category_path="fashion/shoes/", seller_id=8)
    assert (other.window_days, other.returnable) == (60, True)


def test_settings_are_validated() -> None:
    assert p.check_settings({"window_days": 10, "return_shipping_payer": {"damaged": "platform"}})
    for bad in ({"window_days": -1}, {"window_days": True}, {"nope": 1}, {"return_shipping_payer": {"x": "shopper"}}):
        with pytest.raises(InvalidInput):
            p.check_settings(bad)


@given(
    quantity=st.integers(1, 12),
    subtotal_unit=st.integers(1, 50_000),
    tax=st.integers(0, 40_000),
    shipping=st.integers(0, 2_000),
    chunks=st.lists(st.integers(1, 4), min_size=1, max_size=12),
    reason=st.sampled_from(list(p.Reason)),
)
def test_partial_refunds_add_up_to_the_line_exactly(
    quantity: int, subtotal_unit: int, tax: int, shipping: int, chunks: list[int], reason: p.Reason
) -> None:
    line = p.LineMoney(quantity, subtotal_unit * quantity, tax, shipping)
    done, goods, taxes, ship = 0, 0, 0, 0
    for chunk in chunks:
        take = min(chunk, quantity - done)
        if take == 0:
            break
        parts = p.refund_parts(
            line, already_refunded_units=done, units=take, reason=reason, policy=p.Policy(), label_cents=0
        )
        done, goods, taxes, ship = (
            done + take,
            goods + parts.goods_cents,
            taxes + parts.tax_cents,
            ship + parts.shipping_cents,
        )
    if done == quantity:
        assert (goods, taxes) == (line.subtotal_cents, line.tax_cents)
        assert ship == (shipping if reason in p.FAULT_REASONS else 0)
    with pytest.raises(InvalidInput):
        p.refund_parts(
            line,
            already_refunded_units=done,
            units=quantity - done + 1,
            reason=reason,
            policy=p.Policy(),
            label_cents=0,
        )


def test_fees_and_labels_follow_the_reason() -> None:
    line = p.LineMoney(1, 10_000, 800, 500)
    policy = p.Policy(restocking_fee_bps=1500, return_shipping_payer={p.Reason.CHANGED_MIND: p.Payer.SHOPPER})
    mind = p.refund_parts(
        line, already_refunded_units=0, units=1, reason=p.Reason.CHANGED_MIND, policy=policy, label_cents=700
    )
    assert (mind.restocking_fee_cents, mind.return_label_cents, mind.shipping_cents) == (1500, 700, 0)
    assert mind.total_cents == 10_000 + 800 - 1500 - 700
    broken = p.refund_parts(
        line, already_refunded_units=0, units=1, reason=p.Reason.DEFECTIVE, policy=policy, label_cents=700
    )
    assert broken.total_cents == 10_000 + 800 + 500  # the seller's fault: everything back, no fee, free label


def test_returnless_thresholds() -> None:
    policy = p.Policy(returnless_below_cents=1000, returnless_label_share_bps=5000)
    assert p.returnless(policy, refund_cents=999, label_cents=0)
    assert not p.returnless(policy, refund_cents=5000, label_cents=2000)
    assert p.returnless(policy, refund_cents=5000, label_cents=2600)  # the label costs over half of it
    assert not p.returnless(p.Policy(), refund_cents=1, label_cents=10_000)  # off by default


@given(st.lists(st.integers(0, 10), max_size=12))
def test_random_walks_stay_legal_and_end_terminal(choices: list[int]) -> None:
    state = ReturnStatus.REQUEST_PENDING
    for pick in choices:
        options = sorted(TRANSITIONS[state])
        if not options:
            assert state in TERMINAL
            with pytest.raises(InvalidReturnTransition):
                check(state, ReturnStatus.COMPLETED)
            break
        target = options[pick % len(options)]
        check(state, target)
        state = target
    assert {
        ReturnStatus.COMPLETED,
        ReturnStatus.REJECTED,
        ReturnStatus.CANCELLED,
        ReturnStatus.RECEIVE_REJECTED,
    } == TERMINAL
    assert ReturnStatus.REJECTED not in OPEN and ReturnStatus.COMPLETED in OPEN


def test_dispositions() -> None:
    assert (
        disp.disposition(disp.Grade.A, category_path="electronics/audio/", mode="seller_fulfilled")
        is disp.Disposition.RESTOCK
    )
    assert (
        disp.disposition(disp.Grade.B, category_path="electronics/audio/", mode="seller_fulfilled")
        is disp.Disposition.OPEN_BOX
    )
    assert (
        disp.disposition(disp.Grade.B, category_path="beauty/makeup/", mode="seller_fulfilled")
        is disp.Disposition.LIQUIDATE
    )
    assert (
        disp.disposition(disp.Grade.C, category_path="fashion/", mode="full_custody")
        is disp.Disposition.RETURN_TO_SELLER
    )
    assert (
        disp.disposition(disp.Grade.A, category_path="grocery/snacks/", mode="platform_owned")
        is disp.Disposition.DISPOSE
    )
    assert disp.recovery_cents(disp.Disposition.LIQUIDATE, unit_price_cents=1999, units=3) == 900


def test_abuse_signals() -> None:
    calm = signals.History(returns=1, returned_units=1, bought_units=10, failed_inspections=0, brackets=0)
    serial = signals.History(returns=5, returned_units=6, bought_units=10, failed_inspections=0, brackets=0)
    plain = signals.RequestShape(p.Reason.NO_REASON, apparel_late_in_window=False, bracket=False)
    assert signals.flags(calm, plain) == []
    assert signals.flags(serial, plain) == ["serial_returner"]
    late = signals.RequestShape(p.Reason.CHANGED_MIND, apparel_late_in_window=True, bracket=False)
    assert signals.flags(calm, late) == ["wardrobing"]
    # A damaged item returned late in the window is not wardrobing.
    assert signals.flags(calm, signals.RequestShape(p.Reason.DAMAGED, True, False)) == []
    brackets = signals.History(1, 1, 10, 0, brackets=2)
    assert signals.flags(brackets, signals.RequestShape(p.Reason.NO_REASON, False, True)) == ["wardrobing", "bracket"]
    assert signals.flags(calm, signals.RequestShape(p.Reason.NO_REASON, False, True)) == ["bracket"]
