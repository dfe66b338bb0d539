"""Customer service rules (pure): who answers which order, the first-response clock and how it counts
in seller health, idle and retention cut-offs, the e-mail throttle, template placeholders."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yellowcart.catalog.modes import SellingMode
from yellowcart.support import placeholders, rules
from yellowcart.support.models import Counterpart

T = dt.datetime(2030, 1, 7, 15, 0, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)


@pytest.mark.parametrize(
    ("modes", "expected"),
    [
        ([SellingMode.SELLER_FULFILLED], [Counterpart.SELLER]),
        ([SellingMode.FULL_CUSTODY], [Counterpart.PLATFORM]),
        ([SellingMode.PLATFORM_OWNED, SellingMode.FULL_CUSTODY], [Counterpart.PLATFORM]),
        ([SellingMode.SELLER_FULFILLED, SellingMode.FULL_CUSTODY], [Counterpart.SELLER, Counterpart.PLATFORM]),
        ([SellingMode.REDIRECT], []),
    ],
)
def test_who_answers(modes: list[SellingMode], expected: list[Counterpart]) -> None:
    assert rules.counterparts(modes) == expected


def test_first_response_clock() -> None:
    due = rules.first_response_due(T, 12)
    assert due == T + 12 * H
    assert not rules.first_response_breached(None, None, now=T + 100 * H)  # no clock, no breach
    assert not rules.first_response_breached(due, None, now=due)  # due is inclusive
    assert rules.first_response_breached(due, None, now=due + dt.timedelta(seconds=1))
    assert not rules.first_response_breached(due, due, now=due + 100 * H)
    assert rules.first_response_breached(due, due + H, now=due + H)


@given(st.integers(0, 48), st.integers(0, 48) | st.none(), st.integers(0, 48) | st.none(), st.integers(0, 96))
def test_health_verdict(due_h: int, answered_h: int | None, closed_h: int | None, now_h: int) -> None:
    due = T + due_h * H
    answered = None if answered_h is None else T + answered_h * H
    closed = None if closed_h is None else T + closed_h * H
    verdict = rules.counts_for_health(due, answered, closed, now=T + now_h * H)
    if answered is not None:
        assert verdict is (answered <= due)
    elif closed is not None and closed <= due:
        assert verdict is None  # the shopper closed it before an answer was owed
    else:
        assert verdict is (None if T + now_h * H <= due else False)
    if verdict is False:  # a health miss is always a breach the job flags
        assert rules.first_response_breached(due, answered, now=T + now_h * H)


def test_idle_retention_and_mail_throttle() -> None:
    assert not rules.idle_since(T, now=T + dt.timedelta(days=7) - dt.timedelta(seconds=1), days=7)
    assert rules.idle_since(T, now=T + dt.timedelta(days=7), days=7)
    assert rules.retention_cutoff(T, 730) == T - dt.timedelta(days=730)
    assert rules.may_email(None, now=T, minutes=15)
    assert not rules.may_email(T, now=T + dt.timedelta(minutes=14), minutes=15)
    assert rules.may_email(T, now=T + dt.timedelta(minutes=15), minutes=15)
    assert rules.unread_due(T, now=T + dt.timedelta(minutes=15), minutes=15)
    assert not rules.unread_due(T, now=T + dt.timedelta(minutes=14), minutes=15)


def test_placeholders() -> None:
    body = "Hi {shopper_name}: order {order_id}, {tracking_url} {{literal}}"
    assert placeholders.check(body) == ["shopper_name", "order_id", "tracking_url"]
    values = {"shopper_name": "Ada", "order_id": "12", "tracking_url": placeholders.tracking_url("ups", "1Z9")}
    assert placeholders.render(body, values) == "Hi Ada: order 12, https://www.ups.com/track?tracknum=1Z9 {literal}"
    assert placeholders.render("{estimated_date}", {}) == placeholders.MISSING
    for bad in ("{orderid}", "a { b", "{Order_Id}", "}"):
        with pytest.raises(placeholders.TemplateError):
            placeholders.check(bad)
    assert placeholders.tracking_url("pigeon", "x") is None and placeholders.tracking_url("usps", None) is None
