"""Folding tracking events: duplicates, out-of-order arrival and final states (pure, no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yellowcart.fulfillment.carriers.base import TrackingEvent, TrackingStatus
from yellowcart.fulfillment.carriers.tracking import dedupe_events, fold_events, new_events

T0 = datetime(2025, 3, 3, 15, 0, tzinfo=UTC)
S = TrackingStatus


def ev(n: int, status: TrackingStatus, hours: float, description: str = "") -> TrackingEvent:
    return TrackingEvent("1ZYC4R210126259110", status, T0 + timedelta(hours=hours), f"e{n}", description)


JOURNEY = [
    ev(0, S.LABEL_CREATED, 0),
    ev(1, S.ACCEPTED, 2),
    ev(2, S.IN_TRANSIT, 9),
    ev(3, S.IN_TRANSIT, 30),
    ev(4, S.OUT_FOR_DELIVERY, 40),
    ev(5, S.DELIVERED, 46),
]


def test_given_a_normal_journey_when_folded_then_delivered_with_its_time() -> None:
    state = fold_events(JOURNEY)
    assert state.status is S.DELIVERED
    assert state.delivered_at == T0 + timedelta(hours=46)
    assert state.updated_at == state.delivered_at
    assert state.is_final
    assert [e.event_id for e in state.events] == ["e0", "e1", "e2", "e3", "e4", "e5"]


def test_given_no_events_then_label_created_and_nothing_else() -> None:
    state = fold_events([])
    assert (state.status, state.updated_at, state.delivered_at, state.events) == (S.LABEL_CREATED, None, None, ())


def test_given_events_in_reverse_with_duplicates_then_same_state_and_timeline() -> None:
    shuffled = [*reversed(JOURNEY), JOURNEY[2], JOURNEY[5], JOURNEY[0]]
    assert fold_events(shuffled) == fold_events(JOURNEY)
    assert len(fold_events(shuffled).events) == 6


def test_given_delivered_when_a_later_in_transit_scan_arrives_then_still_delivered() -> None:
    late_scan = ev(9, S.IN_TRANSIT, 50, "mis-scan at hub")
    state = fold_events([*JOURNEY, late_scan])
    assert state.status is S.DELIVERED
    assert state.delivered_at == T0 + timedelta(hours=46)
    assert state.events[-1] == late_scan  # kept in the timeline, not as the status


def test_given_out_for_delivery_received_after_delivered_then_delivered() -> None:
    # Arrival order: delivered first, then the earlier out_for_delivery scan from a slow facility.
    state = fold_events([JOURNEY[5], JOURNEY[4]])
    assert state.status is S.DELIVERED


def test_given_returned_to_sender_then_final_against_later_scans() -> None:
    events = [*JOURNEY[:4], ev(6, S.EXCEPTION, 41), ev(7, S.RETURNED_TO_SENDER, 60), ev(8, S.IN_TRANSIT, 70)]
    state = fold_events(events)
    assert state.status is S.RETURNED_TO_SENDER
    assert state.delivered_at is None


def test_given_lost_then_a_later_scan_means_found() -> None:
    lost = ev(6, S.LOST, 300)
    assert fold_events([*JOURNEY[:3], lost]).status is S.LOST
    found = ev(7, S.OUT_FOR_DELIVERY, 310)
    assert fold_events([*JOURNEY[:3], lost, found]).status is S.OUT_FOR_DELIVERY
    # ...but a scan dated before the declaration, arriving late, does not undo it.
    assert fold_events([*JOURNEY[:3], lost, ev(8, S.IN_TRANSIT, 100)]).status is S.LOST


def test_given_an_exception_then_a_later_scan_clears_it() -> None:
    assert fold_events([*JOURNEY[:3], ev(6, S.EXCEPTION, 20)]).status is S.EXCEPTION
    assert fold_events([*JOURNEY[:4], ev(6, S.EXCEPTION, 20)]).status is S.IN_TRANSIT


def test_given_same_time_events_then_journey_order_breaks_the_tie() -> None:
    a, b = ev(1, S.OUT_FOR_DELIVERY, 5), ev(2, S.DELIVERED, 5)
    assert fold_events([b, a]).status is S.DELIVERED
    assert fold_events([a, b]).status is S.DELIVERED


def test_given_two_copies_of_an_id_with_different_content_then_the_choice_is_order_independent() -> None:
    one, other = ev(1, S.IN_TRANSIT, 5, "copy A"), ev(1, S.IN_TRANSIT, 5, "copy B")
    assert dedupe_events([one, other]) == dedupe_events([other, one]) == [one]


def test_new_events_are_the_unknown_ids_only() -> None:
    assert new_events(JOURNEY[:3], [JOURNEY[2], JOURNEY[3], JOURNEY[3]]) == [JOURNEY[3]]


def test_event_times_are_normalised_to_utc_and_naive_times_refused() -> None:
    eastern = timezone(timedelta(hours=-5))
    event = TrackingEvent("X", S.ACCEPTED, datetime(2025, 3, 3, 10, tzinfo=eastern), "a")
    assert event.occurred_at == datetime(2025, 3, 3, 15, tzinfo=UTC)
    assert event.occurred_at.utcoffset() == timedelta(0)
    with pytest.raises(ValueError, match="timezone-aware"):
        TrackingEvent("X", S.ACCEPTED, datetime(2025, 3, 3, 10), "a")
    with pytest.raises(ValueError, match="event_id"):
        TrackingEvent("X", S.ACCEPTED, T0, "")


events_strategy = st.lists(
    st.builds(
        ev,
        n=st.integers(0, 12),
        status=st.sampled_from(list(TrackingStatus)),
        hours=st.integers(0, 200),
        description=st.sampled_from(["", "scan", "rescan"]),
    ),
    max_size=25,
)


@given(events=events_strategy, order=st.randoms(use_true_random=False), repeats=st.integers(0, 3))
def test_fold_ignores_arrival_order_and_duplicates(events: list[TrackingEvent], order: object, repeats: int) -> None:
    shuffled = events + events[:repeats]
    order.shuffle(shuffled)  # type: ignore[attr-defined]
    assert fold_events(shuffled) == fold_events(events)


@given(a=events_strategy, b=events_strategy)
def test_fold_is_idempotent_and_final_states_stick(a: list[TrackingEvent], b: list[TrackingEvent]) -> None:
    once = fold_events(a + b)
    assert fold_events(list(once.events) + a) == once
    if once.is_final:
        first_final = next(e for e in once.events if e.status in (S.DELIVERED, S.RETURNED_TO_SENDER))
        assert once.status is first_final.status
        assert once.updated_at == first_final.occurred_at
