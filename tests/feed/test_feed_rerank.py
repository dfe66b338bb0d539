"""Re-ranking rules, property-tested (pure)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from yellowcart.feed.rerank import Candidate, Rules, rerank

cands = st.lists(
    st.builds(
        Candidate,
        product_id=st.integers(1, 60),
        seller_id=st.integers(1, 8),
        category_id=st.integers(1, 5),
        score=st.floats(0, 10, allow_nan=False),
        is_new=st.booleans(),
    ),
    max_size=80,
    unique_by=lambda c: c.product_id,
)


@given(cands, st.integers(1, 20), st.sets(st.integers(1, 60)), st.sets(st.integers(1, 60)))
def test_rules_always_hold(pool: list[Candidate], limit: int, sellable: set[int], exclude: set[int]) -> None:
    page = rerank(pool, limit=limit, sellable=sellable, exclude=exclude, rules=Rules(per_seller=2, per_category=4))
    ids = [c.product_id for c in page]
    eligible = [c for c in pool if c.product_id in sellable and c.product_id not in exclude]
    assert len(ids) == len(set(ids)) == min(limit, len(eligible))
    assert all(i in sellable and i not in exclude for i in ids)
    assert [c.score for c in page] == sorted((c.score for c in page), reverse=True)


def test_caps_and_exploration() -> None:
    pool = [Candidate(i, seller_id=1 if i < 10 else i, category_id=i % 3, score=100 - i) for i in range(1, 30)]
    pool.append(Candidate(99, seller_id=99, category_id=7, score=0.0, is_new=True))
    page = rerank(pool, limit=10, sellable={c.product_id for c in pool}, exclude=set(), rules=Rules(explore_share=0.1))
    assert sum(1 for c in page if c.seller_id == 1) == 2
    assert 99 in [c.product_id for c in page]  # the new listing got its exploration slot despite scoring 0
