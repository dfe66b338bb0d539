"""Folding tracking events into the parcel's current state (pure, no I/O).

Carriers deliver events late, twice, and out of order: a webhook is retried after a timeout, a poll
overlaps the last one, a facility uploads yesterday's scans after today's. The fold is therefore:

* **de-duplicated** by ``event_id`` (when two copies differ, the earliest by time then content wins,
  so the result does not depend on arrival order);
* **ordered by event time**, not arrival time (ties broken by the journey order of the status, then
  the id, so any permutation of the same events folds to the same state);
* **final states stick**: once ``delivered`` or ``returned_to_sender``, a later ``in_transit`` scan
  (a mis-scan, a return-trip scan, a clock skew) is kept in the timeline but does not move the status.
  ``lost`` is not final: a scan dated after the declaration means the parcel turned up.

``fold_events(a + b) == fold_events(b + a) == fold_events(a + a + b)`` for any lists of events: the
property tests in tests/carriers prove it.
"""

from __future__ import annotations

from collections.abc import Iterable

from yellowcart.fulfillment.carriers.base import (
    FINAL_STATUSES,
    TrackingEvent,
    TrackingState,
    TrackingStatus,
)

_JOURNEY_ORDER = {status: i for i, status in enumerate(TrackingStatus)}


def _sort_key(event: TrackingEvent) -> tuple[object, ...]:
    return (event.occurred_at, _JOURNEY_ORDER[event.status], event.event_id, event.description, event.location or "")


def dedupe_events(events: Iterable[TrackingEvent]) -> list[TrackingEvent]:
    """One event per ``event_id`` (the earliest copy), ordered by event time."""
    chosen: dict[str, TrackingEvent] = {}
    for event in events:
        kept = chosen.get(event.event_id)
        if kept is None or _sort_key(event) < _sort_key(kept):
            chosen[event.event_id] = event
    return sorted(chosen.values(), key=_sort_key)


def fold_events(events: Iterable[TrackingEvent]) -> TrackingState:
    """The parcel's current state from every event seen so far (any order, duplicates allowed)."""
    timeline = dedupe_events(events)
    status = TrackingStatus.LABEL_CREATED
    updated_at = None
    delivered_at = None
    for event in timeline:
        if status in FINAL_STATUSES:
            break
        status, updated_at = event.status, event.occurred_at
        if status is TrackingStatus.DELIVERED:
            delivered_at = event.occurred_at
    return TrackingState(status=status, updated_at=updated_at, delivered_at=delivered_at, events=tuple(timeline))


def new_events(known: Iterable[TrackingEvent], incoming: Iterable[TrackingEvent]) -> list[TrackingEvent]:
    """The incoming events whose ids are not already known: what a handler should store."""
    seen = {event.event_id for event in known}
    return [event for event in dedupe_events(incoming) if event.event_id not in seen]
