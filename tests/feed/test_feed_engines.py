"""The evaluated engines, served: ``yellowcart train`` fits the same multi-behaviour and sequential
recommenders that ``yellowcart eval`` measures, on the interaction log, and the feed asks them for a
live shopper: a view made after training changes the engines' candidates on the next request."""

from __future__ import annotations

import datetime as dt

import numpy as np
from sqlalchemy import select

from support import LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.catalog.models import Variant
from yellowcart.db import utcnow
from yellowcart.feed.engines import (
    ENGINES_KIND,
    Engines,
    multibehavior_folder,
    read_log,
    sequences_of,
    train_engines,
)
from yellowcart.feed.recommend.multibehavior import MultiBehaviorRecommender
from yellowcart.feed.recommend.sequential import SequentialRecommender
from yellowcart.feed.training import ActiveVersion
from yellowcart.interactions.models import EventType, InteractionEvent

PAIRS = 6
BUYERS = 48


def _pid(market: Market, sku: str) -> int:
    with market.db.transaction() as s:
        return int(s.scalar(select(Variant.product_id).where(Variant.sku == sku)) or 0)


def _planted_market(market: Market) -> tuple[list[int], list[int], list[int]]:
    """Shoppers who view A_k then buy B_k (and glance at a common listing first)."""
    sellers = [market.seller(f"s{i}") for i in range(6)]
    viewed = [_pid(market, market.product(sellers[k % 6], category=f"c{k}", title=f"Viewed {k}")) for k in range(PAIRS)]
    bought = [
        _pid(market, market.product(sellers[(k + 1) % 6], category=f"d{k}", title=f"Bought {k}")) for k in range(PAIRS)
    ]
    common = [_pid(market, market.product(sellers[k % 6], category="misc")) for k in range(3)]
    start = utcnow() - dt.timedelta(days=2)
    with market.db.transaction() as s:
        for n in range(BUYERS):
            market.user(f"b{n}", Role.SHOPPER)
            user, k = market.users[f"b{n}"], n % PAIRS
            steps = [(EventType.VIEW, common[n % 3]), (EventType.VIEW, viewed[k]), (EventType.PURCHASE, bought[k])]
            for i, (kind, pid) in enumerate(steps):
                s.add(
                    InteractionEvent(
                        user_id=user,
                        client_event_id=f"{n}-{i}",
                        type=kind,
                        product_id=pid,
                        occurred_at=start + dt.timedelta(minutes=n * 10 + i),
                    )
                )
    return viewed, bought, common


def test_log_becomes_the_eval_layout(market: Market) -> None:
    viewed, bought, _ = _planted_market(market)
    with market.db.transaction() as s:
        log = read_log(s)
    folder = multibehavior_folder(log)
    assert folder.n_users == BUYERS and len(folder.buy) == BUYERS and len(folder.valid) == BUYERS
    assert set(folder.auxiliary) == {"view", "cart", "collect"} and len(folder.auxiliary["view"]) == 2 * BUYERS
    sequences = sequences_of(log)
    first = sequences[0]  # index + 1: item 0 is the sequential protocol's padding, never a listing
    assert len(first) == 3 and first.min() >= 1
    assert [int(log.items[i - 1]) for i in first[1:]] == [viewed[0], bought[0]]


def test_trained_engines_serve_a_live_shopper(server: LiveServer, market: Market) -> None:
    viewed, bought, _ = _planted_market(market)
    version = train_engines(market.db)
    assert version is not None and version.active and version.kind == ENGINES_KIND
    stats = version.stats
    assert stats["events"] == 3 * BUYERS and stats["multibehavior"]["valid_cases"] == BUYERS
    with market.db.transaction() as s:
        engines = ActiveVersion(ENGINES_KIND, Engines.from_bytes, check_every=0).get(s)
    assert engines is not None
    assert isinstance(engines.multi, MultiBehaviorRecommender)
    assert isinstance(engines.sequential, SequentialRecommender)
    # A shopper the engines never saw: scored from the live rows alone.
    rows = engines.live_rows(None, {"view": [viewed[2]]})
    scores = engines.multi_scores(None, rows)
    top = engines.items[np.argsort(-scores)[:3]]
    assert bought[2] in top
    after = engines.sequential_scores(None, [viewed[3]])
    assert after is not None and int(engines.items[int(np.argmax(after))]) == bought[3]

    server.container.feed_signals.invalidate()
    newcomer = market.user("new", Role.SHOPPER)
    with server.client(newcomer) as c:
        first = {i["product"]["id"]: i for i in c.get("/v1/feed", params={"limit": 30}).json()["items"]}
        # nothing known yet: at most the engines' popularity prior, and the same for every pair
        before = first.get(bought[4], {"why": {"sources": {}}})["why"]["sources"]
        assert "next" not in before
        event = {
            "client_event_id": "v",
            "type": "view",
            "product_id": viewed[4],
            "watch_ms": 5000,
            "occurred_at": utcnow().isoformat(),
        }
        assert c.post("/v1/events", json={"events": [event]}).json()["accepted"] == 1
        page = c.get("/v1/feed", params={"limit": 10}).json()["items"]
    sources = {i["product"]["id"]: i["why"]["sources"] for i in page}
    assert bought[4] in sources, sources
    assert sources[bought[4]].get("next", 0) > 0
    mine = sources[bought[4]].get("engine", 0)
    others = [sources.get(b, {}).get("engine", 0) for k, b in enumerate(bought) if k != 4]
    assert mine == 1.0 and max(others) < mine  # the view lifted its pair above the other bought items


def test_embedding_retrieval_follows_the_session(market: Market) -> None:
    viewed, _, _ = _planted_market(market)
    version = train_engines(market.db)
    assert version is not None
    with market.db.transaction() as s:
        engines = ActiveVersion(ENGINES_KIND, Engines.from_bytes, check_every=0).get(s)
    assert engines is not None and engines.ann is not None and len(engines.ann) == len(engines.items)
    assert engines.embedding_neighbours(None, engines.live_rows(None, {}))[0].size == 0  # no taste yet
    for k in range(PAIRS):
        idx, scores = engines.embedding_neighbours(None, engines.live_rows(None, {"view": [viewed[k]]}))
        assert scores[0] == 1.0 and np.all(np.diff(scores) <= 1e-6)
        # the ANN answer is the exact inner-product ranking of the same taste vector
        taste = engines.taste(None, engines.live_rows(None, {"view": [viewed[k]]}))
        exact = np.argsort(-(engines.multi.item_factors @ taste))[:3]  # type: ignore[union-attr]
        assert set(idx[:3]) == set(exact)
