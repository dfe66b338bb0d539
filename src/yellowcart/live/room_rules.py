"""Pure rules of live rooms (no I/O): presence, viewers per minute, conversion, state deltas."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: A viewer session: a random key the client keeps per tab (the server makes one when none is sent).
SESSION_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
#: Fields that change with the clock, not with the room: never a reason to push an update.
VOLATILE = frozenset({"seconds_left", "server_time", "ts"})
#: The longest recap series: a day of minutes (content caps rooms far below that).
MAX_MINUTES = 24 * 60


def present(*, last_seen_at: dt.datetime, left_at: dt.datetime | None, now: dt.datetime, timeout_s: float) -> bool:
    """Counted as watching: not left, and a heartbeat within the timeout (a closed tab stops beating)."""
    return left_at is None and now - last_seen_at <= dt.timedelta(seconds=timeout_s)


@dataclass(frozen=True, slots=True)
class Stay:
    """One visit as an interval; ``end`` is when it left, else its last heartbeat."""

    viewer: str  # the signed-in user, else the session: one person with two tabs is one viewer
    start: dt.datetime
    end: dt.datetime


def minute_floor(at: dt.datetime) -> dt.datetime:
    return at.replace(second=0, microsecond=0)


def viewers_per_minute(stays: Iterable[Stay], *, start: dt.datetime, end: dt.datetime) -> list[tuple[dt.datetime, int]]:
    """Distinct viewers present at some point of each minute from ``start`` to ``end`` (both included).

    A stay [a, b] counts in minute [m, m + 1 min) when a < m + 1 min and b >= m. Capped at
    :data:`MAX_MINUTES` minutes from the start.
    """
    first = minute_floor(start)
    count = min(int((minute_floor(end) - first).total_seconds() // 60) + 1, MAX_MINUTES) if end >= start else 0
    seen: list[set[str]] = [set() for _ in range(count)]
    step = dt.timedelta(minutes=1)
    for stay in stays:
        a = max(stay.start, first)
        b = min(stay.end, first + step * count - dt.timedelta(microseconds=1))
        if b < a:
            continue
        lo = int((minute_floor(a) - first).total_seconds() // 60)
        hi = int((minute_floor(b) - first).total_seconds() // 60)
        for i in range(lo, hi + 1):
            seen[i].add(stay.viewer)
    return [(first + step * i, len(who)) for i, who in enumerate(seen)]


def watch_seconds(stays: Sequence[Stay]) -> int:
    """Total time watched (overlapping tabs of one viewer count once per tab: it is what was streamed)."""
    return int(sum(max((s.end - s.start).total_seconds(), 0.0) for s in stays))


def per_mille(orders: int, viewers: int) -> float | None:
    """Orders per 1,000 unique viewers, as analytics rounds it; None without viewers."""
    return round(1000 * orders / viewers, 3) if viewers else None


def _comparable(value: Any) -> Any:
    """The value without clock-driven fields, so a ticking countdown is not a change."""
    if isinstance(value, Mapping):
        return {k: _comparable(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    return value


def delta(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> dict[str, Any]:
    """Top-level keys of ``after`` whose value changed (whole values: a client replaces them); every
    key when there is no ``before``. A room state always has the same keys, so none disappears."""
    if before is None:
        return dict(after)
    return {k: v for k, v in after.items() if k not in VOLATILE and _comparable(before.get(k)) != _comparable(v)}


def apply(state: Mapping[str, Any], change: Mapping[str, Any]) -> dict[str, Any]:
    """What a client does with an update: replace the keys it names."""
    return {**state, **change}
