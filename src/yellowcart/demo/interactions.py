"""Thirty days of feed interactions from a simple latent-interest model, plus every paid order as purchases.

Each shopper has one to three favourite leaf categories (the first usually what they bought before)
and maybe one department they dislike. Their feed serves them mostly videos from their favourites,
the rest from everything published so far, and each impression walks a funnel whose rates depend on
how well the video's category fits: impression -> view (watch time = duration x a beta-distributed
completion, higher for a fit) -> like / share / comment / follow (rare) -> cart tap -> add to cart
(closed-loop listings only). Disliked departments get hidden now and then. So the log has structure a
recommender can learn: who likes what, which videos are catchy, and what purchases follow.

Purchase events mirror :func:`yellowcart.interactions.handlers.on_order_paid`: one per product of every
paid order, at the order's ``paid_at``, with client_event_id ``purchase-{order_id}-{product_id}``.
"""

from __future__ import annotations

import datetime as dt
import random
from bisect import bisect, bisect_right
from collections import Counter
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

from yellowcart.demo.content import Listing, VideoFact
from yellowcart.demo.plan import Row, ShopperPlan, weighted_index
from yellowcart.interactions.models import EventType

E = EventType
WINDOW = dt.timedelta(days=30)
EXPLOIT = 0.55  # share of impressions served from the shopper's favourites
ACTIVE_SHARE = 0.7  # shoppers who opened the feed in the window
EVENTS_PER_IMPRESSION = 1.43  # measured: impressions plus what follows them, on average
FAVOURITE_WEIGHTS = (0.55, 0.3, 0.15)
#: Completion ~ Beta(a, b) by fit: favourite category, same department as a favourite, anything else.
COMPLETION = {1.0: (2.6, 1.5), 0.5: (1.8, 2.0), 0.0: (1.2, 2.8)}


@dataclass(frozen=True, slots=True)
class Taste:
    favourites: tuple[int, ...]  # leaf category ids, most loved first
    departments: frozenset[str]
    disliked: str | None  # a department


@dataclass(slots=True)
class EventPlan:
    rows: list[Row] = field(default_factory=list)
    tastes: dict[int, Taste] = field(default_factory=dict)  # user id -> taste (what the log was drawn from)


def build_tastes(
    rng: random.Random, shoppers: list[ShopperPlan], videos: list[VideoFact], bought: dict[int, Counter[int]]
) -> dict[int, Taste]:
    """Favourites drawn in proportion to how much content each category has; buyers mostly love what they bought."""
    per_category = Counter(v.category_id for v in videos)
    department_of = {v.category_id: v.department for v in videos}
    categories = sorted(per_category)
    cum = list(accumulate(float(per_category[c]) for c in categories))
    departments = sorted(set(department_of.values()))
    tastes: dict[int, Taste] = {}
    for shopper in shoppers:
        wanted = rng.choices((1, 2, 3), (40, 40, 20))[0]
        favourites: list[int] = []
        history = bought.get(shopper.user_id)
        if history and rng.random() < 0.8:
            top = max(history.items(), key=lambda kv: (kv[1], -kv[0]))[0]
            if top in per_category:
                favourites.append(top)
        for _ in range(10 * wanted):
            if len(favourites) >= wanted or not categories:
                break
            candidate = categories[weighted_index(rng, cum)]
            if candidate not in favourites:
                favourites.append(candidate)
        liked = frozenset(department_of[c] for c in favourites)
        others = [d for d in departments if d not in liked]
        disliked = rng.choice(others) if others and rng.random() < 0.5 else None
        tastes[shopper.user_id] = Taste(tuple(favourites), liked, disliked)
    return tastes


def build_events(
    rng: random.Random,
    *,
    shoppers: list[ShopperPlan],
    videos: list[VideoFact],
    listings: dict[int, Listing],
    purchases: list[tuple[int, int, int, dt.datetime]],  # (user, order, product, paid_at)
    target: int,
    reference: dt.datetime,
) -> EventPlan:
    """Events in time order, ids following it; times are kept as seconds after the window opens until the
    rows are made (a timedelta per step would cost more than the model itself)."""
    bought: dict[int, Counter[int]] = {}
    for user, _order, product, _at in purchases:
        if product in listings:
            bought.setdefault(user, Counter())[listings[product].category_id] += 1
    plan = EventPlan(tastes=build_tastes(rng, shoppers, videos, bought))
    start = reference - WINDOW
    # (seconds, user, type, content, product, target user, watch_ms, completion, client id, exact time)
    events: list[tuple[Any, ...]] = [
        ((at - start).total_seconds(), user, E.PURCHASE, None, product, None, None, None,
         f"purchase-{order}-{product}", at)
        for user, order, product, at in purchases
    ]  # fmt: skip
    if videos:
        impressions = max(0, round((target - len(events)) / EVENTS_PER_IMPRESSION))
        feed = _feed(rng, shoppers, plan.tastes, videos, listings, impressions, start)
        events += [e for e in feed if e[0] < WINDOW.total_seconds()]  # a session cut by the reference instant
    events.sort(key=lambda e: (e[0], e[1]))  # stable: ties keep their generated order
    rows, rand, seconds = plan.rows, rng.random, dt.timedelta
    for eid, (at, user, kind, content, product, to_user, watch_ms, completion, client_id, exact) in enumerate(
        events, 1
    ):
        if exact is None:  # the app sends events in small batches, a few seconds after they happen
            occurred, received = start + seconds(seconds=at), start + seconds(seconds=at + 0.2 + 20 * rand())
        else:
            occurred = received = exact  # recorded by the server when the order was paid
        rows.append({
            "id": eid, "user_id": user, "client_event_id": client_id or f"demo-{eid}", "type": kind,
            "content_id": content, "product_id": product, "target_user_id": to_user, "watch_ms": watch_ms,
            "completion": completion, "occurred_at": occurred, "received_at": received,
        })  # fmt: skip
    return plan


class _Shelf:
    """Published videos in publication order with cumulative catchiness, to draw one out before ``t``."""

    def __init__(self, videos: list[VideoFact], start: dt.datetime) -> None:
        self.videos = videos
        self.times = [(v.published_at - start).total_seconds() for v in videos]
        self.cum = list(accumulate(v.weight for v in videos))

    def draw(self, rng: random.Random, at: float) -> VideoFact | None:
        k = bisect_right(self.times, at)
        if not k:
            return None
        return self.videos[bisect(self.cum, rng.random() * self.cum[k - 1])]


def _feed(
    rng: random.Random,
    shoppers: list[ShopperPlan],
    tastes: dict[int, Taste],
    videos: list[VideoFact],
    listings: dict[int, Listing],
    impressions: int,
    start: dt.datetime,
) -> list[tuple[Any, ...]]:
    """Sessions of feed impressions per active shopper; times in seconds after ``start``."""
    everything = _Shelf(videos, start)
    by_category: dict[int, list[VideoFact]] = {}
    for v in videos:
        by_category.setdefault(v.category_id, []).append(v)
    shelves = {c: _Shelf(vs, start) for c, vs in by_category.items()}
    active = [s for i, s in enumerate(shoppers) if i == 0 or rng.random() < ACTIVE_SHARE]  # the demo shopper too
    activity = [rng.lognormvariate(0, 1.0) for _ in active]
    activity[0] = max(activity[0], 3.0)
    total = sum(activity)
    out: list[tuple[Any, ...]] = []
    end = WINDOW.total_seconds()
    rand, beta, uniform, emit = rng.random, rng.betavariate, rng.uniform, out.append
    for shopper, weight in zip(active, activity, strict=True):
        user = shopper.user_id
        taste = tastes[user]
        favs = taste.favourites
        fav_cum = list(accumulate(FAVOURITE_WEIGHTS[: len(favs)]))
        following: set[int] = set()
        share = impressions * weight / total
        remaining = max(1, int(share) + (rand() < share - int(share)))
        while remaining > 0:
            t = end * rand()
            for _ in range(min(remaining, rng.randint(4, 30))):
                remaining -= 1
                if t >= end:
                    break
                video = None
                if favs and rand() < EXPLOIT:
                    video = shelves[favs[weighted_index(rng, fav_cum)]].draw(rng, t)
                if video is None:
                    video = everything.draw(rng, t)
                if video is None:
                    t += uniform(0.8, 3)
                    continue
                cid = video.id
                fit = 1.0 if video.category_id in favs else 0.5 if video.department in taste.departments else 0.0
                emit((t, user, E.IMPRESSION, cid, None, None, None, None, None, None))
                if video.department == taste.disliked:
                    if rand() < 0.2:
                        emit((t + uniform(0.5, 3), user, E.HIDE, cid, None, None, None, None, None, None))
                        t += uniform(1, 4)
                        continue
                    view_p = 0.05
                else:
                    view_p = 0.15 + 0.37 * fit
                if rand() >= view_p:
                    t += uniform(0.8, 3)
                    continue
                completion = round(beta(*COMPLETION[fit]), 4)
                watch = video.duration_s * completion
                seen = t + watch
                emit((seen, user, E.VIEW, cid, None, None, round(watch * 1000), completion, None, None))
                after = seen + uniform(0.3, 2)
                if rand() < (0.02 + 0.12 * fit) * (0.5 + completion):
                    emit((t + watch * rand(), user, E.LIKE, cid, None, None, None, None, None, None))
                if rand() < 0.004 + 0.012 * fit:
                    emit((after, user, E.SHARE, cid, None, None, None, None, None, None))
                if rand() < 0.004 + 0.01 * fit:
                    emit((after + uniform(5, 40), user, E.COMMENT, cid, None, None, None, None, None, None))
                owner = video.owner_user_id
                if owner not in following and owner != user and rand() < 0.004 + 0.03 * fit * completion:
                    following.add(owner)
                    emit((after, user, E.FOLLOW, cid, None, owner, None, None, None, None))
                t = after + uniform(0.5, 3)
                if rand() < 0.01 + 0.05 * fit * (0.5 + completion):
                    anchors = video.anchors
                    product = anchors[0] if len(anchors) == 1 or rand() < 0.6 else rng.choice(anchors[1:])
                    emit((t, user, E.CART_TAP, cid, product, None, None, None, None, None))
                    t += uniform(4, 60)
                    if listings[product].closed_loop and rand() < 0.3 + 0.2 * fit:
                        emit((t, user, E.ADD_TO_CART, cid, product, None, None, None, None, None))
                        t += uniform(1, 5)
    return out
