"""GET /v1/feed, first version: candidate sources -> score -> re-rank -> cards with a ``why``.

Sources (named, each contributing a normalised score): ``interest`` (categories and sellers of what the
shopper engaged with lately, read from the event log on every request, so a tap changes the very next
page), ``again`` (items engaged with but not bought: a cart tap is the strongest purchase signal),
``trending`` (time-weighted engagement of everyone), ``new`` (listings of the last days, so a new
listing is in the feed the moment it is active: cold start). Anonymous visitors get trending + new.

The blend weights below are an interim, hand-set ranker; the trained models (``yellowcart train``,
the recommenders under feed/recommend, measured by ``yellowcart eval``) replace them.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import zlib
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from yellowcart.catalog.models import Category, Product, Variant
from yellowcart.content.models import Anchor, Content, ContentStatus
from yellowcart.db import Database, id_in
from yellowcart.errors import InvalidInput
from yellowcart.feed import sources, text
from yellowcart.feed.ranker import RANKER_KIND, Ranker
from yellowcart.feed.rerank import Candidate, Rules, rerank
from yellowcart.feed.training import ActiveModels, ActiveVersion, StaticModels
from yellowcart.inventory.service import available_by_variant

BLEND = {
    "interest": 0.35,
    "co_engaged": 0.25,
    "again": 0.20,
    "followed": 0.15,
    "trending": 0.10,
    "seller": 0.05,
    "new": 0.05,
    "similar": 0.15,
}
MAX_SEEN = 600
MAX_CURSOR_BYTES = 16_384  # 600 ids as JSON stay well under this


def encode_seen(seen: list[int]) -> str:
    raw = zlib.compress(json.dumps(seen[-MAX_SEEN:]).encode())
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_seen(cursor: str | None) -> list[int]:
    if not cursor:
        return []
    try:
        inflater = zlib.decompressobj()
        raw = inflater.decompress(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)), MAX_CURSOR_BYTES)
        if inflater.unconsumed_tail:  # a forged cursor that inflates past any real one: refuse, do not grow
            raise ValueError("cursor too large")
        seen = json.loads(raw)
        if not isinstance(seen, list) or not all(isinstance(i, int) for i in seen):
            raise ValueError("not a list of ids")
        return seen[-MAX_SEEN:]
    except (ValueError, zlib.error, UnicodeDecodeError) as exc:
        raise InvalidInput("The cursor is not valid; use next_cursor from the previous page.", field="cursor") from exc


def _normalise(values: dict[int, float]) -> dict[int, float]:
    top = max(values.values(), default=0.0)
    return {k: v / top for k, v in values.items()} if top > 0 else {}


def _affinities(session: Session, engaged: dict[int, float]) -> tuple[dict[int, float], dict[int, float]]:
    """Category and seller interest, from the products engaged with (whatever their status now)."""
    cats: dict[int, float] = defaultdict(float)
    sellers: dict[int, float] = defaultdict(float)
    if engaged:
        rows = session.execute(
            select(Product.id, Product.category_id, Product.seller_id).where(id_in(session, Product.id, engaged))
        )
        for pid, cat, seller in rows:
            cats[cat] += max(engaged[pid], 0.0)
            sellers[seller] += max(engaged[pid], 0.0)
    return _normalise(cats), _normalise(sellers)


def _in_stock(session: Session, infos: dict[int, sources.ProductInfo]) -> set[int]:
    """Sellable now: redirect listings always (the seller's store holds the stock), others if any unit."""
    variants = session.execute(
        select(Variant.id, Variant.product_id).where(
            id_in(session, Variant.product_id, infos), Variant.is_active.is_(True)
        )
    ).all()
    available = available_by_variant(session, [v for v, _ in variants])
    stocked = {pid for vid, pid in variants if available.get(vid, 0) > 0}
    return stocked | {pid for pid, info in infos.items() if info.selling_mode == "redirect"}


def _co_engaged(
    session: Session, models: ActiveModels | StaticModels | None, engaged: dict[int, float]
) -> dict[int, float]:
    """Products that people who engaged with the shopper's recent products also engaged with."""
    model = models.neighbours(session) if models is not None else None
    if model is None or not engaged:
        return {}
    scores: dict[int, float] = defaultdict(float)
    for pid, weight in sorted(engaged.items(), key=lambda kv: -kv[1])[:20]:
        for neighbour, similarity in model.of(pid):
            scores[neighbour] += weight * similarity
    return _normalise(dict(sorted(scores.items(), key=lambda kv: -kv[1])[:150]))


def _similar_new(
    session: Session, newest: dict[int, sources.ProductInfo], engaged: dict[int, float]
) -> dict[int, float]:
    """Cold start: how close each new listing's words are to what the shopper engaged with most."""
    liked = dict(sorted(engaged.items(), key=lambda kv: -kv[1])[:10])
    if not liked or not newest:
        return {}
    ids = set(liked) | set(newest)
    rows = session.execute(
        select(Product.id, Product.title, Product.brand, Category.name)
        .join(Category, Category.id == Product.category_id)
        .where(id_in(session, Product.id, ids))
    )
    bags = {pid: text.words(title, brand, category) for pid, title, brand, category in rows}
    candidates = {pid: bags[pid] for pid in newest if pid in bags and pid not in liked}
    return text.affinity(candidates, [(bags[pid], weight) for pid, weight in liked.items() if pid in bags])


@dataclass
class FeedResult:
    picks: list[Candidate]
    seen: list[int]


@dataclass
class Signals:
    """Global signals shared by every request of a process, refreshed in the background of requests."""

    trending: sources.Refreshing[sources.TrendingSnapshot]
    newest: sources.Refreshing[dict[int, sources.ProductInfo]]
    models: ActiveModels | StaticModels | None = None
    ranker: ActiveVersion[Ranker] | None = None

    @classmethod
    def create(cls, db: Database | None = None, ttl: float = 10.0) -> Signals:
        """Trending is heavier (a week of events) and less urgent: refreshed every 3 x ``ttl``."""
        sessions = db.transaction if db is not None else None
        return cls(
            sources.Refreshing(sources.trending_snapshot, ttl * 3, sessions),
            sources.Refreshing(sources.newest_products, ttl, sessions),
            ActiveModels(check_every=ttl),
            ActiveVersion(RANKER_KIND, Ranker.from_bytes, check_every=ttl),
        )

    def invalidate(self) -> None:
        self.trending.invalidate()
        self.newest.invalidate()
        for model in (self.models, self.ranker):
            if model is not None:
                model.invalidate()


Parts = dict[str, float]
FEATURES = ("co_engaged", "interest", "seller", "again", "trending", "new", "followed", "similar")


def blend(parts: Parts) -> float:
    """The interim hand-set ranker, used until ``yellowcart train`` has produced a trained one."""
    return sum(BLEND[name] * value for name, value in parts.items())


@dataclass
class Pool:
    """Everything one shopper could be shown right now, with each candidate's source scores."""

    infos: dict[int, sources.ProductInfo]
    parts: dict[int, Parts]
    exclude: set[int]


def candidate_pool(
    session: Session, *, user_id: int | None, seen: list[int], signals: Signals, now: dt.datetime
) -> Pool:
    """Sources -> candidates with their features, as of ``now`` (training replays the past with it)."""
    snapshot = signals.trending.get(session, now)
    trend = snapshot.scores
    interest = sources.session_interest(session, user_id=user_id, now=now) if user_id else None
    engaged = _normalise(interest.products) if interest else {}
    cats, sellers = _affinities(session, interest.products if interest else {})
    linked = _co_engaged(session, signals.models, engaged)
    followed = sources.followed_creators_products(session, user_id=user_id, now=now) if user_id else {}
    newest = signals.newest.get(session, now)
    exclude = set(seen) | (interest.hidden | interest.bought if interest else set())
    top_cats = set(sorted(cats, key=lambda c: -cats[c])[:5])
    pool = set(snapshot.top) | set(sources.in_category(session, top_cats, 100)) | set(engaged) | set(linked)
    pool |= set(followed)
    infos = {**sources.sellable_products(session, pool - set(newest) - exclude, until=now), **newest}
    similar = _similar_new(session, newest, engaged)
    fresh_after = now - dt.timedelta(days=14)
    parts = {
        pid: {
            "co_engaged": linked.get(pid, 0.0),
            "interest": cats.get(info.category_id, 0.0),
            "seller": sellers.get(info.seller_id, 0.0),
            "again": engaged.get(pid, 0.0),
            "trending": trend.get(pid, 0.0),
            "new": 1.0 if info.created_at >= fresh_after else 0.0,
            "followed": followed.get(pid, 0.0),
            "similar": similar.get(pid, 0.0),
        }
        for pid, info in infos.items()
        if pid not in exclude
    }
    return Pool({pid: infos[pid] for pid in parts}, parts, exclude)


def _candidate(info: sources.ProductInfo, parts: Parts, score: float) -> Candidate:
    cand = Candidate(info.id, info.seller_id, info.category_id, score=score, is_new=parts["new"] > 0)
    for name, value in parts.items():
        if value > 0:
            cand.add(name, round(value, 4))
    return cand


def build_feed(
    session: Session,
    *,
    user_id: int | None,
    limit: int,
    seen: list[int],
    signals: Signals,
    now: dt.datetime,
    rules: Rules = Rules(),
) -> FeedResult:
    pool = candidate_pool(session, user_id=user_id, seen=seen, signals=signals, now=now)
    ranker = signals.ranker.get(session) if signals.ranker is not None else None
    pids = list(pool.parts)
    scores = ranker.score_many([pool.parts[p] for p in pids]) if ranker else [blend(pool.parts[p]) for p in pids]
    candidates = [_candidate(pool.infos[p], pool.parts[p], float(s)) for p, s in zip(pids, scores, strict=True)]
    # Stock is checked only for the front of the queue (plus every new listing, for exploration).
    front = sorted(candidates, key=lambda c: -c.score)[: max(limit * 6, 120)]
    front_ids = {c.product_id for c in front} | {c.product_id for c in candidates if c.is_new}
    sellable = _in_stock(session, {pid: pool.infos[pid] for pid in front_ids})
    picks = rerank(candidates, limit=limit, sellable=sellable, exclude=pool.exclude, rules=rules)
    return FeedResult(picks, seen + [c.product_id for c in picks])


def featured_content(session: Session, product_ids: list[int]) -> dict[int, Content]:
    """The latest published video or live room that tags each product (the card's media)."""
    rows = session.execute(
        select(Anchor.product_id, Content)
        .join(Content, Content.id == Anchor.content_id)
        .where(id_in(session, Anchor.product_id, product_ids), Content.status == ContentStatus.PUBLISHED)
        .order_by(Content.published_at.desc(), Content.id.desc())
    )
    found: dict[int, Content] = {}
    for product_id, content in rows:
        found.setdefault(product_id, content)
    return found
