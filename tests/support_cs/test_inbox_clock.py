"""The response-time clock of the seller's inbox and the operators' queue (pure): it runs only while a
person was asked and nobody answered, on an open conversation; it reads as time left or overdue."""

from __future__ import annotations

import datetime as dt

import pytest

from yellowcart.support.inbox import Clock, duration, response_clock
from yellowcart.support.models import ConversationStatus

NOW = dt.datetime(2024, 5, 6, 12, 0, tzinfo=dt.UTC)
OPEN, CLOSED = ConversationStatus.OPEN, ConversationStatus.CLOSED


def test_the_clock_runs_while_a_person_was_asked_and_nobody_answered() -> None:
    due = NOW + dt.timedelta(hours=3, minutes=20, seconds=30)
    clock = response_clock(status=OPEN, due_at=due, answered_at=None, now=NOW)
    assert clock == Clock(due, 3 * 3600 + 20 * 60 + 30)
    assert not clock.overdue
    assert clock.label == "3 h 20 min left"


def test_past_the_due_time_it_reads_overdue() -> None:
    due = NOW - dt.timedelta(days=1, hours=2, minutes=5)
    clock = response_clock(status=OPEN, due_at=due, answered_at=None, now=NOW)
    assert clock is not None and clock.overdue
    assert clock.seconds_left == -(26 * 3600 + 5 * 60)
    assert clock.label == "overdue by 1 d 2 h"


def test_at_the_due_instant_it_is_not_yet_overdue() -> None:
    """rules.first_response_breached counts a breach only after the due time: the clock agrees."""
    clock = response_clock(status=OPEN, due_at=NOW, answered_at=None, now=NOW)
    assert clock is not None and not clock.overdue and clock.label == "0 min left"
    late = response_clock(status=OPEN, due_at=NOW - dt.timedelta(seconds=1), answered_at=None, now=NOW)
    assert late is not None and late.overdue and late.label == "overdue by 0 min"


@pytest.mark.parametrize(
    ("status", "due", "answered"),
    [
        (OPEN, None, None),  # nobody asked for a person (an automatic answer did the job)
        (OPEN, NOW + dt.timedelta(hours=2), NOW - dt.timedelta(minutes=5)),  # answered in time
        (OPEN, NOW - dt.timedelta(hours=2), NOW - dt.timedelta(minutes=5)),  # answered late: stopped anyway
        (CLOSED, NOW - dt.timedelta(hours=2), None),  # closed before anyone answered
    ],
)
def test_no_clock_without_a_question_waiting_for_a_person(
    status: ConversationStatus, due: dt.datetime | None, answered: dt.datetime | None
) -> None:
    assert response_clock(status=status, due_at=due, answered_at=answered, now=NOW) is None


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0 min"), (59, "0 min"), (60, "1 min"), (3599, "59 min"), (3600, "1 h 0 min"), (12 * 3600 + 61, "12 h 1 min"),
     (86_400, "1 d 0 h"), (3 * 86_400 + 5 * 3600 + 59 * 60, "3 d 5 h"), (-5, "0 min")],
)  # fmt: skip
def test_duration_reads_at_a_glance(seconds: int, text: str) -> None:
    assert duration(seconds) == text
