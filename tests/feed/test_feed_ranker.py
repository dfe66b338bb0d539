"""The trained ranker: learned by replaying the past, judged on held-out shoppers, activated only
when it beats the hand-set blend there."""

from __future__ import annotations

import datetime as dt

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sqlalchemy import select, update

from support import LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.catalog.models import Product, Variant
from yellowcart.db import utcnow
from yellowcart.feed.ranker import RANKER_KIND, LogisticRanker, TreeRanker, load_ranker
from yellowcart.feed.ranker_training import train_ranker
from yellowcart.feed.training import ActiveVersion


def _pid(market: Market, sku: str) -> int:
    with market.db.transaction() as s:
        return int(s.scalar(select(Variant.product_id).where(Variant.sku == sku)) or 0)


def test_ranker_roundtrip_and_monotone() -> None:
    ranker = LogisticRanker(("again", "trending"), (2.0, 0.5), -1.0)
    again = load_ranker(ranker.to_bytes())
    assert again == ranker
    # columns come by name: a feature the ranker does not know is ignored, one it lacks counts as 0
    x = np.array([[0.0, 0.0, 5.0], [1.0, 1.0, 5.0]])
    low, high = again.score_matrix(x, ("again", "trending", "unknown"))
    assert 0 < low < high < 1
    assert again.score_matrix(x[:, :1], ("again",))[1] < high


def test_tree_ranker_learns_an_interaction_and_round_trips() -> None:
    rng = np.random.default_rng(0)
    x = rng.random((4000, 2))
    y = (x[:, 0] > 0.5) & (x[:, 1] > 0.5)  # only both together: no linear model can say this
    ranker = TreeRanker(("a", "b"), HistGradientBoostingClassifier(random_state=0).fit(x, y))
    again = load_ranker(ranker.to_bytes())
    probe = np.array([[0.9, 0.9], [0.9, 0.1], [0.1, 0.9]])
    scores = again.score_matrix(probe, ("a", "b"))
    assert scores[0] > 0.9 and scores[1] < 0.1 and scores[2] < 0.1
    assert np.allclose(scores, ranker.score_matrix(probe, ("a", "b")))


def test_ranker_is_trained_from_the_log_and_judged_before_activation(server: LiveServer, market: Market) -> None:
    sellers = [market.seller(f"s{i}") for i in range(6)]
    products = [_pid(market, market.product(sellers[i % 6], category=f"c{i % 4}")) for i in range(24)]
    now = utcnow()
    with market.db.transaction() as s:  # the listings existed before the replayed past
        s.execute(update(Product).values(created_at=now - dt.timedelta(days=10)))
    before, after = (now - dt.timedelta(days=5)).isoformat(), (now - dt.timedelta(hours=1)).isoformat()
    for n in range(80):
        liked, other = products[n % 24], products[(n + 7) % 24]
        events = [
            {"client_event_id": f"{n}-like", "type": "like", "product_id": liked, "occurred_at": before},
            {
                "client_event_id": f"{n}-view",
                "type": "view",
                "product_id": other,
                "watch_ms": 900,
                "occurred_at": before,
            },
        ]
        if n % 2 == 0:  # half come back and tap the cart on what they liked
            events.append(
                {"client_event_id": f"{n}-tap", "type": "cart_tap", "product_id": liked, "occurred_at": after}
            )
        with server.client(market.user(f"u{n}", Role.SHOPPER)) as c:
            assert c.post("/v1/events", json={"events": events}).json()["rejected"] == []
    version = train_ranker(market.db, sample=80)
    assert version is not None
    stats = version.stats
    assert stats["positives"] >= 30 and stats["users"] == 80
    assert 0.5 < stats["auc"] <= 1.0 and 0.0 <= stats["blend_auc"] <= 1.0
    assert stats["activated"] is (stats["auc"] > stats["blend_auc"]) is version.active
    assert set(stats["choice_auc"]) == {"logistic", "trees"} and stats["kind"] in stats["choice_auc"]
    if stats["kind"] == "logistic":  # what you liked and did not buy yet is what you come back for
        assert stats["coef"]["again"] > 0
    with server.container.db.transaction() as session:
        served = ActiveVersion(RANKER_KIND, load_ranker, check_every=0).get(session)
    assert (served is not None) is version.active
