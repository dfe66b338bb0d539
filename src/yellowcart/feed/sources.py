"""Candidate sources read straight from the database, so every API process sees the same state and a
new interaction counts on the very next request (the session's interest is the event log itself)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Generic, TypeVar, TypeVarTuple

from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import Session, aliased

from yellowcart.content.models import Anchor
from yellowcart.interactions.models import EventType, InteractionEvent

#: How much each kind of interaction says about interest (hide is handled as an exclusion).
WEIGHTS: dict[EventType, float] = {
    EventType.IMPRESSION: 0.02,
    EventType.VIEW: 0.3,
    EventType.LIKE: 1.0,
    EventType.SHARE: 1.5,
    EventType.COMMENT: 1.0,
    EventType.FOLLOW: 0.5,
    EventType.CART_TAP: 2.0,
    EventType.ADD_TO_CART: 3.0,
    EventType.PURCHASE: 4.0,
    EventType.RETURN: -2.0,
    EventType.HIDE: 0.0,
}


#: Which behaviour of the evaluated engines each interaction is (impressions and hides say nothing
#: positive; ``feed.engines`` learns one matrix per behaviour, purchases are the target).
BEHAVIOUR: dict[EventType, str] = {
    EventType.VIEW: "view",
    EventType.CART_TAP: "cart",
    EventType.ADD_TO_CART: "cart",
    EventType.LIKE: "collect",
    EventType.SHARE: "collect",
    EventType.COMMENT: "collect",
    EventType.PURCHASE: "buy",
}

#: The product an interaction is about: the one named, or else the first listing the content tags
#: (a view of a video with a yellow cart is interest in what the cart sells).
_LEAD = aliased(Anchor)
EVENT_PRODUCT = func.coalesce(InteractionEvent.product_id, _LEAD.product_id)


Row = TypeVarTuple("Row")


def with_event_product(query: Select[*Row]) -> Select[*Row]:
    """Join what ``EVENT_PRODUCT`` needs and keep only events that resolve to a product."""
    joined = query.outerjoin(_LEAD, and_(_LEAD.content_id == InteractionEvent.content_id, _LEAD.position == 0))
    return joined.where(EVENT_PRODUCT.is_not(None))


T = TypeVar("T")


class Refreshing(Generic[T]):
    """A global signal recomputed at most every ``ttl`` seconds per process, stale-while-revalidate:
    when it expires, one background thread recomputes it (in its own transaction, from ``sessions``)
    while every request keeps the previous value, so no request ever waits for a refresh. Only the
    very first call of a process computes inline."""

    def __init__(
        self,
        compute: Callable[[Session, dt.datetime], T],
        ttl: float = 10.0,
        sessions: Callable[[], AbstractContextManager[Session]] | None = None,
    ) -> None:
        self.compute, self.ttl, self.sessions = compute, ttl, sessions
        self._lock = threading.Lock()
        self._first = threading.Lock()
        self._busy = False
        self._at = 0.0
        self._value: T | None = None

    def get(self, session: Session, now: dt.datetime) -> T:
        with self._lock:
            value, stale = self._value, time.monotonic() - self._at >= self.ttl
            start = value is not None and stale and not self._busy and self.sessions is not None
            if start:
                self._busy = True
        if start:
            threading.Thread(target=self._refresh, name="yc-feed-refresh", daemon=True).start()
        if value is not None and (not stale or self.sessions is not None or self._busy):
            return value
        with self._first:  # single flight: concurrent first requests wait for one computation
            with self._lock:
                if self._value is not None and time.monotonic() - self._at < self.ttl:
                    return self._value
            return self._store(self.compute(session, now))

    def _refresh(self) -> None:
        assert self.sessions is not None
        try:
            with self.sessions() as session:
                self._store(self.compute(session, dt.datetime.now(dt.UTC)))
        finally:
            with self._lock:
                self._busy = False

    def _store(self, value: T) -> T:
        with self._lock:
            self._value, self._at = value, time.monotonic()
        return value

    @property
    def ready(self) -> bool:
        """A value is there to serve (fresh or stale)."""
        with self._lock:
            return self._value is not None

    def invalidate(self) -> None:
        """Forget the value: the next call computes it afresh, inline."""
        with self._lock:
            self._value, self._at = None, 0.0


@dataclass(frozen=True, slots=True)
class TrendingSnapshot:
    """Trending scores normalised to [0, 1] and the best ``top`` ids, computed once per refresh
    rather than on every request."""

    scores: dict[int, float]
    top: tuple[int, ...]


def trending_snapshot(session: Session, now: dt.datetime, top: int = 100) -> TrendingSnapshot:
    raw = trending_scores(session, now)
    best = max(raw.values(), default=0.0)
    scores = {pid: value / best for pid, value in raw.items()} if best > 0 else {}
    return TrendingSnapshot(scores, tuple(sorted(scores, key=lambda p: (-scores[p], p))[:top]))


def trending_scores(session: Session, now: dt.datetime) -> dict[int, float]:
    """Time-weighted engagement per product over the last week (the last day counts fully, older 30%)."""
    recent = case((InteractionEvent.occurred_at >= now - dt.timedelta(days=1), 1.0), else_=0.3)
    rows = session.execute(
        with_event_product(select(EVENT_PRODUCT, InteractionEvent.type, func.sum(recent)))
        .where(
            InteractionEvent.occurred_at >= now - dt.timedelta(days=7),
            InteractionEvent.occurred_at <= now,  # point in time: training replays the past with this
        )
        .group_by(EVENT_PRODUCT, InteractionEvent.type)
    )
    totals: dict[int, float] = defaultdict(float)
    for product_id, kind, weight in rows:
        totals[int(product_id)] += WEIGHTS.get(EventType(kind), 0.0) * float(weight)
    return {pid: score for pid, score in totals.items() if score > 0}


@dataclass
class SessionInterest:
    """What the shopper engaged with lately: products, and through them categories and sellers."""

    products: dict[int, float]
    hidden: set[int]
    bought: set[int]
    live: dict[str, list[int]] = field(default_factory=dict)  # engine behaviour -> product ids
    recent: list[int] = field(default_factory=list)  # engaged product ids, oldest first


def session_interest(session: Session, *, user_id: int, now: dt.datetime, last: int = 100) -> SessionInterest:
    rows = session.execute(
        with_event_product(select(EVENT_PRODUCT, InteractionEvent.type, InteractionEvent.occurred_at))
        .where(
            InteractionEvent.user_id == user_id,
            InteractionEvent.occurred_at <= now,
        )
        .order_by(InteractionEvent.occurred_at.desc(), InteractionEvent.id.desc())
        .limit(last)
    )
    products: dict[int, float] = defaultdict(float)
    hidden: set[int] = set()
    bought: set[int] = set()
    live: dict[str, list[int]] = defaultdict(list)
    recent: list[int] = []
    for product_id, kind, at in rows:  # newest first
        pid, kind = int(product_id or 0), EventType(kind)
        if kind is EventType.HIDE:
            hidden.add(pid)
            continue
        if kind is EventType.PURCHASE:
            bought.add(pid)
        if kind in BEHAVIOUR:
            live[BEHAVIOUR[kind]].append(pid)
            recent.append(pid)
        age_h = max((now - at).total_seconds() / 3600, 0.0)
        products[pid] += WEIGHTS[kind] * 0.5 ** (age_h / 24)  # interest halves each day
    return SessionInterest(dict(products), hidden, bought, dict(live), recent[::-1])


def followed_users(session: Session, *, user_id: int, now: dt.datetime) -> list[int]:
    """Creators and sellers (their user ids) the shopper follows."""
    rows = session.scalars(
        select(InteractionEvent.target_user_id)
        .where(
            InteractionEvent.user_id == user_id,
            InteractionEvent.type == EventType.FOLLOW,
            InteractionEvent.target_user_id.is_not(None),
            InteractionEvent.occurred_at <= now,
        )
        .distinct()
    )
    return [int(u) for u in rows if u is not None]
