"""Cold-start content similarity (pure) and through the feed: a brand-new listing nobody touched
reaches the shoppers whose interests its words match."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from support import LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.catalog.models import Variant
from yellowcart.db import utcnow
from yellowcart.feed.text import affinity, similarity, words


def test_words_and_similarity() -> None:
    serum = words("Glow Vitamin C Serum", "Lumiere", "Serums")
    assert "serum" in serum and "the" not in words("the serum")
    assert similarity(serum, serum) == 1.0
    assert similarity(serum, words("Garden trowel")) == 0.0
    scores = affinity({1: words("Vitamin C night serum"), 2: words("Steel garden trowel")}, [(serum, 1.0)])
    assert set(scores) == {1}


@given(st.lists(st.text(alphabet="abcdefg ", min_size=0, max_size=30), min_size=2, max_size=2))
def test_similarity_is_a_cosine(texts: list[str]) -> None:
    a, b = words(texts[0]), words(texts[1])
    assert 0.0 <= similarity(a, b) <= 1.0 + 1e-9
    assert similarity(a, b) == similarity(b, a)


def test_new_listing_reaches_matching_interest(server: LiveServer, market: Market) -> None:
    sellers = [market.seller(f"s{i}") for i in range(3)]
    liked_sku = market.product(sellers[0], category="beauty", title="Vitamin C glow serum")
    with market.db.transaction() as s:
        liked = int(s.scalar(select(Variant.product_id).where(Variant.sku == liked_sku)) or 0)
    shopper = market.user("ann", Role.SHOPPER)
    with server.client(shopper) as c:
        event = {"client_event_id": "l1", "type": "like", "product_id": liked, "occurred_at": utcnow().isoformat()}
        assert c.post("/v1/events", json={"events": [event]}).json()["accepted"] == 1
        other = market.product(sellers[1], category="garden", title="Steel garden trowel")
        match = market.product(sellers[2], category="garden", title="Vitamin C night serum")
        server.container.feed_signals.invalidate()
        items = {i["product"]["id"]: i for i in c.get("/v1/feed", params={"limit": 20}).json()["items"]}
    with market.db.transaction() as s:
        ids = dict(s.execute(select(Variant.sku, Variant.product_id)).all())
    assert items[ids[match]]["why"]["sources"].get("similar", 0) > 0
    assert "similar" not in items[ids[other]]["why"]["sources"]
