"""GET /v1/feed: candidate sources -> features -> trained ranker -> re-rank rules -> cards with a ``why``.

Sources, each a named score in [0, 1] and a feature of the ranker:

- ``engine``: the multi-behaviour engine (what ``yellowcart eval multibehavior`` measures) for this
  shopper's training rows plus their live events; ``next``: the sequential engine (``yellowcart eval
  sequential``) after their history plus their latest events;
- ``co_engaged``: item-to-item co-engagement from the shopper's recent products ("people who watched
  this bought"), weighted by event type and watch time;
- ``interest`` / ``seller``: categories and sellers of what the shopper engaged with lately, read from
  the event log on every request, so a tap changes the very next page; ``again``: items engaged with
  and not bought;
- ``trending`` (time-decayed engagement of everyone), ``new`` (cold start: listings of the last two
  weeks) and ``similar`` (new listings whose words match the shopper's interests), ``followed``
  (what followed creators and sellers tagged lately), ``live`` (pinned in a live room on air now).

Side features: price, how the price fits the shopper's usual price, the listing's and its seller's
return rates, the category's conversion. The trained ranker (``yellowcart train``: logistic regression
or gradient-boosted trees, whichever wins on held-out shoppers) scores the pool; until one beats the
hand-set ``BLEND`` there, the blend serves. Anonymous visitors get trending, new and live.

Global state (catalogue, content, statistics, trending, models) lives in per-process snapshots refreshed
in the background; per request the feed reads only the shopper's own events and follows, and checks
its final picks against the database.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
import time
import zlib
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yellowcart.catalog.models import Category, Product, ProductStatus, Variant
from yellowcart.catalog.modes import SellingMode
from yellowcart.db import Database, id_in
from yellowcart.errors import InvalidInput
from yellowcart.feed import sources, text
from yellowcart.feed.catalogue import (
    Catalogue,
    ContentSnapshot,
    ProductStats,
    catalogue_snapshot,
    content_snapshot,
    product_stats,
)
from yellowcart.feed.engines import ENGINES_KIND, Engines, top_candidates
from yellowcart.feed.ranker import RANKER_KIND, Ranker, load_ranker
from yellowcart.feed.rerank import Candidate, Rules, rerank
from yellowcart.feed.training import ActiveModels, ActiveVersion, StaticModels, StaticVersion
from yellowcart.inventory.models import Stock, Warehouse
from yellowcart.sellers.models import Seller, SellerStatus

#: The hand-set interim ranker (source scores only), serving until a trained ranker beats it.
BLEND = {
    "interest": 0.35,
    "engine": 0.30,
    "co_engaged": 0.25,
    "again": 0.20,
    "followed": 0.15,
    "similar": 0.15,
    "next": 0.15,
    "embedding": 0.10,
    "trending": 0.10,
    "live": 0.10,
    "seller": 0.05,
    "new": 0.05,
}
SOURCES = (
    "co_engaged",
    "interest",
    "seller",
    "again",
    "trending",
    "new",
    "followed",
    "similar",
    "engine",
    "next",
    "embedding",
    "live",
)
SIDE = ("price_log", "price_fit", "return_rate", "seller_returns", "category_conversion")
FEATURES = SOURCES + SIDE
_COL = {name: i for i, name in enumerate(FEATURES)}
_BLEND_WEIGHTS = np.array([BLEND.get(name, 0.0) for name in FEATURES])
MAX_SEEN = 600
MAX_CURSOR_BYTES = 16_384  # 600 ids as JSON stay well under this
FRESH_DAYS = 14
LOW_STOCK = 5  # units: "only a few left" on the card


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


class WordBags:
    """Word bags of listings for cold-start similarity, cached per process for ``ttl`` seconds (titles
    rarely change; a renamed listing is matched by its new words within that time)."""

    def __init__(self, limit: int = 50_000, ttl: float = 300.0) -> None:
        self.limit, self.ttl = limit, ttl
        self._bags: dict[int, frozenset[str]] = {}
        self._since = time.monotonic()

    def invalidate(self) -> None:
        self._bags, self._since = {}, time.monotonic()

    def get(self, session: Session, ids: set[int]) -> dict[int, frozenset[str]]:
        if len(self._bags) > self.limit or time.monotonic() - self._since > self.ttl:
            self.invalidate()
        missing = [pid for pid in ids if pid not in self._bags]
        if missing:
            rows = session.execute(
                select(Product.id, Product.title, Product.brand, Category.name)
                .join(Category, Category.id == Product.category_id)
                .where(id_in(session, Product.id, missing))
            )
            for pid, title, brand, category in rows:
                self._bags[pid] = text.words(title, brand, category)
        return {pid: self._bags[pid] for pid in ids if pid in self._bags}


@dataclass
class Signals:
    """Global signals shared by every request of a process, refreshed in the background of requests."""

    trending: sources.Refreshing[sources.TrendingSnapshot]
    catalogue: sources.Refreshing[Catalogue]
    content: sources.Refreshing[ContentSnapshot]
    stats: sources.Refreshing[ProductStats]
    models: ActiveModels | StaticModels | None = None
    ranker: ActiveVersion[Ranker] | StaticVersion[Ranker] | None = None
    engines: ActiveVersion[Engines] | StaticVersion[Engines] | None = None
    bags: WordBags = field(default_factory=WordBags)

    @classmethod
    def create(cls, db: Database | None = None, ttl: float = 10.0) -> Signals:
        """Trending and statistics are heavier (weeks of events) and less urgent: every 3 x ``ttl``."""
        sessions = db.transaction if db is not None else None
        return cls(
            sources.Refreshing(sources.trending_snapshot, ttl * 3, sessions),
            sources.Refreshing(catalogue_snapshot, ttl, sessions),
            sources.Refreshing(content_snapshot, ttl, sessions),
            sources.Refreshing(product_stats, ttl * 6, sessions),
            ActiveModels(check_every=ttl),
            ActiveVersion(RANKER_KIND, load_ranker, check_every=ttl),
            ActiveVersion(ENGINES_KIND, Engines.from_bytes, check_every=ttl),
        )

    def invalidate(self) -> None:
        for signal in (self.trending, self.catalogue, self.content, self.stats):
            signal.invalidate()
        for model in (self.models, self.ranker, self.engines):
            if model is not None:
                model.invalidate()
        self.bags.invalidate()


@dataclass
class Pool:
    """Everything one shopper could be shown right now: catalogue positions and their feature rows."""

    catalogue: Catalogue
    positions: np.ndarray
    features: np.ndarray  # (len(positions), len(FEATURES))
    exclude: set[int]
    on_air: frozenset[int]

    @property
    def product_ids(self) -> np.ndarray:
        return np.asarray(self.catalogue.ids[self.positions])

    def parts(self, row: int) -> dict[str, float]:
        return {name: float(self.features[row, i]) for i, name in enumerate(FEATURES)}


class _Features:
    """Sparse source scores keyed by catalogue position, gathered into the pool's feature matrix."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.columns: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def by_product(self, name: str, scores: dict[int, float]) -> np.ndarray:
        if not scores:
            return np.zeros(0, np.int64)
        ids = np.fromiter(scores.keys(), dtype=np.int64, count=len(scores))
        values = np.fromiter(scores.values(), dtype=np.float64, count=len(scores))
        return self.by_position(name, self.catalogue.positions(ids), values)

    def by_position(self, name: str, positions: np.ndarray, values: np.ndarray) -> np.ndarray:
        keep = positions >= 0
        self.columns[name] = (positions[keep], values[keep])
        return positions[keep]


def _followed(session: Session, content: ContentSnapshot, user_id: int, now: dt.datetime) -> dict[int, float]:
    """Listings tagged in recent content of followed creators and sellers, newest content first."""
    owners = sources.followed_users(session, user_id=user_id, now=now)
    tagged = sorted((pair for owner in owners for pair in content.by_owner.get(owner, [])[:100]), reverse=True)
    scores: dict[int, float] = {}
    for _, pid in tagged:
        if len(scores) >= 100:
            break
        scores.setdefault(pid, 1.0 / (1.0 + len(scores) / 10))
    return scores


def _engine_sources(
    engines: Engines | None, user_id: int, interest: sources.SessionInterest, feats: _Features
) -> list[np.ndarray]:
    if engines is None:
        return []
    found = []
    rows = engines.live_rows(user_id, interest.live)
    for name, scores in (
        ("engine", engines.multi_scores(user_id, rows) if engines.multi is not None else None),
        ("next", engines.sequential_scores(user_id, interest.recent)),
    ):
        idx, values = top_candidates(scores)
        if len(idx):
            found.append(feats.by_position(name, feats.catalogue.positions(engines.items[idx]), values))
    idx, values = engines.embedding_neighbours(user_id, rows)
    if len(idx):
        found.append(feats.by_position("embedding", feats.catalogue.positions(engines.items[idx]), values))
    return found


def candidate_pool(
    session: Session, *, user_id: int | None, seen: list[int], signals: Signals, now: dt.datetime
) -> Pool:
    """Sources -> candidates with their features, as of ``now`` (training replays the past with it)."""
    cat = signals.catalogue.get(session, now)
    snapshot = signals.trending.get(session, now)
    content = signals.content.get(session, now)
    stats = signals.stats.get(session, now)
    feats = _Features(cat)
    interest = sources.session_interest(session, user_id=user_id, now=now) if user_id else None
    engaged = _normalise(interest.products) if interest else {}
    engaged_pos = cat.positions(list(engaged))
    cats: dict[int, float] = defaultdict(float)
    sellers: dict[int, float] = defaultdict(float)
    for pid, pos in zip(engaged, engaged_pos, strict=True):
        if pos >= 0:
            cats[int(cat.category[pos])] += max(engaged[pid], 0.0)
            sellers[int(cat.seller[pos])] += max(engaged[pid], 0.0)
    cats, sellers = _normalise(cats), _normalise(sellers)

    pools = [cat.positions(list(snapshot.top)), cat.newest]
    pools.append(feats.by_product("live", dict.fromkeys(content.on_air, 1.0)))
    if user_id is not None and interest is not None:
        model = signals.models.neighbours(session) if signals.models is not None else None
        pools.append(feats.by_product("again", engaged))
        pools.append(feats.by_product("co_engaged", _co_engaged(model, engaged)))
        pools.append(feats.by_product("followed", _followed(session, content, user_id, now)))
        engines = signals.engines.get(session) if signals.engines is not None else None
        pools += _engine_sources(engines, user_id, interest, feats)
        top_cats = sorted(cats, key=lambda c: -cats[c])[:5]
        pools += [cat.by_category.get(c, np.zeros(0, np.int64))[:40] for c in top_cats]
        newest_ids = [int(p) for p in cat.ids[cat.newest]]
        pools.append(feats.by_product("similar", _similar_new(session, signals.bags, newest_ids, engaged)))
    positions = np.unique(np.concatenate([np.asarray(p, dtype=np.int64) for p in pools]))
    positions = positions[positions >= 0]
    exclude = set(seen) | (interest.hidden | interest.bought if interest else set())
    if exclude:
        positions = positions[~np.isin(cat.ids[positions], np.fromiter(exclude, np.int64, len(exclude)))]
    x = np.zeros((len(positions), len(FEATURES)), dtype=np.float64)
    for name, (where, values) in feats.columns.items():
        rows = np.searchsorted(positions, where)
        rows = np.minimum(rows, max(len(positions) - 1, 0))
        hit = (positions[rows] == where) if len(positions) else np.zeros(0, bool)
        np.maximum.at(x[:, _COL[name]], rows[hit], values[hit])
    if len(positions):
        _side_features(x, cat, positions, cats, sellers, engaged_pos, stats, now)
        trend = snapshot.scores
        x[:, _COL["trending"]] = [trend.get(int(pid), 0.0) for pid in cat.ids[positions]]
    return Pool(cat, positions, x, exclude, frozenset(content.on_air))


def _side_features(
    x: np.ndarray,
    cat: Catalogue,
    positions: np.ndarray,
    cats: dict[int, float],
    sellers: dict[int, float],
    engaged_pos: np.ndarray,
    stats: ProductStats,
    now: dt.datetime,
) -> None:
    categories, seller_ids = cat.category[positions], cat.seller[positions]
    x[:, _COL["interest"]] = [cats.get(int(c), 0.0) for c in categories]
    x[:, _COL["seller"]] = [sellers.get(int(s), 0.0) for s in seller_ids]
    x[:, _COL["new"]] = cat.created[positions] >= (now - dt.timedelta(days=FRESH_DAYS)).timestamp()
    price = np.log1p(cat.price[positions] / 100.0)
    x[:, _COL["price_log"]] = price / math.log1p(10_000)
    liked = engaged_pos[engaged_pos >= 0]
    if len(liked):
        usual = float(np.log1p(cat.price[liked] / 100.0).mean())
        x[:, _COL["price_fit"]] = np.exp(-np.abs(price - usual))
    ids = cat.ids[positions]
    x[:, _COL["return_rate"]] = [stats.return_rate.get(int(p), stats.prior_return_rate) for p in ids]
    x[:, _COL["seller_returns"]] = [stats.seller_return_rate.get(int(s), stats.prior_return_rate) for s in seller_ids]
    conv = [stats.category_conversion.get(int(c), stats.prior_conversion) for c in categories]
    top = max(max(conv, default=0.0), 1e-9)
    x[:, _COL["category_conversion"]] = np.asarray(conv) / top


def _co_engaged(model: object | None, engaged: dict[int, float]) -> dict[int, float]:
    """Products that people who engaged with the shopper's recent products also engaged with."""
    if model is None or not engaged:
        return {}
    scores: dict[int, float] = defaultdict(float)
    for pid, weight in sorted(engaged.items(), key=lambda kv: -kv[1])[:20]:
        for neighbour, similarity in model.of(pid):  # type: ignore[attr-defined]
            scores[neighbour] += weight * similarity
    return _normalise(dict(sorted(scores.items(), key=lambda kv: -kv[1])[:150]))


def _similar_new(session: Session, bags: WordBags, newest: list[int], engaged: dict[int, float]) -> dict[int, float]:
    """Cold start: how close each new listing's words are to what the shopper engaged with most."""
    liked = dict(sorted(engaged.items(), key=lambda kv: -kv[1])[:10])
    if not liked or not newest:
        return {}
    found = bags.get(session, set(liked) | set(newest))
    candidates = {pid: found[pid] for pid in newest if pid in found and pid not in liked}
    return text.affinity(candidates, [(found[pid], weight) for pid, weight in liked.items() if pid in found])


def blend(parts: dict[str, float]) -> float:
    """The interim hand-set ranker, used until ``yellowcart train`` has produced a trained one."""
    return sum(BLEND.get(name, 0.0) * value for name, value in parts.items())


def blend_matrix(x: np.ndarray) -> np.ndarray:
    return np.asarray(x @ _BLEND_WEIGHTS)


def score_pool(pool: Pool, ranker: Ranker | None) -> np.ndarray:
    if not len(pool.positions):
        return np.zeros(0)
    if ranker is not None:
        return np.asarray(ranker.score_matrix(pool.features, FEATURES))
    return blend_matrix(pool.features)


@dataclass
class FeedResult:
    picks: list[Candidate]
    seen: list[int]
    on_air: frozenset[int] = frozenset()
    units: dict[int, int | None] = field(default_factory=dict)  # available now; None: the seller's store

    def stock_state(self, product_id: int) -> str:
        available = self.units.get(product_id)
        if available is None:
            return "seller_store"
        return "low_stock" if available <= LOW_STOCK else "in_stock"


def _candidate(pool: Pool, row: int, score: float) -> Candidate:
    pos = pool.positions[row]
    cat = pool.catalogue
    new = bool(pool.features[row, _COL["new"]] > 0)
    cand = Candidate(int(cat.ids[pos]), int(cat.seller[pos]), int(cat.category[pos]), score=score, is_new=new)
    for i, name in enumerate(SOURCES):
        value = float(pool.features[row, i])
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
    scores = score_pool(pool, ranker)
    # Only the front of the queue becomes Candidate objects (plus every new listing, for exploration).
    front = np.argsort(-scores, kind="stable")[: max(limit * 5, 100)]
    fresh = np.flatnonzero(pool.features[:, _COL["new"]] > 0)
    rows = np.unique(np.concatenate([front, fresh]))
    rows = rows[pool.catalogue.in_stock[pool.positions[rows]]]  # the snapshot's stock state
    candidates = [_candidate(pool, int(r), float(scores[r])) for r in rows]
    exclude = set(pool.exclude)
    picks: list[Candidate] = []
    units: dict[int, int | None] = {}
    for _ in range(3):  # the snapshot may be seconds old: the final picks are checked as of now
        picks = rerank(
            candidates, limit=limit, sellable={c.product_id for c in candidates}, exclude=exclude, rules=rules
        )
        units = sellable_now(session, [c.product_id for c in picks])
        gone = {c.product_id for c in picks} - set(units)
        if not gone:
            break
        exclude |= gone
        picks = [c for c in picks if c.product_id not in gone]
    return FeedResult(picks, seen + [c.product_id for c in picks], pool.on_air, units)


def sellable_now(session: Session, product_ids: list[int]) -> dict[int, int | None]:
    """Which of these listings can be bought right now, with the units available: active, of an active
    seller, and a redirect listing (``None``: the seller's store holds the stock) or a unit available in
    an active warehouse. One query."""
    if not product_ids:
        return {}
    units = (
        select(func.coalesce(func.sum(Stock.on_hand - Stock.reserved), 0))
        .join(Variant, Variant.id == Stock.variant_id)
        .join(Warehouse, Warehouse.id == Stock.warehouse_id)
        .where(
            Variant.product_id == Product.id,
            Variant.is_active.is_(True),
            Warehouse.is_active.is_(True),
            Stock.on_hand > Stock.reserved,
        )
        .scalar_subquery()
    )
    rows = session.execute(
        select(Product.id, Product.selling_mode, units)
        .join(Seller, Seller.id == Product.seller_id)
        .where(
            id_in(session, Product.id, product_ids),
            Product.status == ProductStatus.ACTIVE,
            Seller.status == SellerStatus.ACTIVE,
        )
    )
    found: dict[int, int | None] = {}
    for pid, mode, available in rows:
        if mode == SellingMode.REDIRECT:
            found[pid] = None
        elif available and available > 0:
            found[pid] = int(available)
    return found
