"""Re-ranking rules, pure: what may be shown, in what mix. Applied after scoring, always.

- never an item the shopper hid, already saw in this session, or that cannot be bought (out of stock,
  suspended: the caller passes only sellable ids in ``sellable``);
- diversity: at most ``per_seller`` items of one seller and ``per_category`` of one category per page;
- exploration: a share of each page goes to new listings (cold start), so they can earn signals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass
class Candidate:
    product_id: int
    seller_id: int
    category_id: int
    score: float = 0.0
    is_new: bool = False
    sources: dict[str, float] = field(default_factory=dict)

    def add(self, source: str, value: float) -> None:
        self.sources[source] = max(self.sources.get(source, 0.0), value)


@dataclass(frozen=True, slots=True)
class Rules:
    per_seller: int = 2
    per_category: int = 4
    explore_share: float = 0.1


def rerank(
    candidates: list[Candidate], *, limit: int, sellable: set[int], exclude: set[int], rules: Rules = Rules()
) -> list[Candidate]:
    """Pick up to ``limit`` candidates, best score first, under the rules above."""
    pool = sorted(
        (c for c in candidates if c.product_id in sellable and c.product_id not in exclude),
        key=lambda c: (-c.score, c.product_id),
    )
    explore = math.ceil(limit * rules.explore_share) if rules.explore_share > 0 else 0
    fresh = [c for c in pool if c.is_new][:explore]
    page: list[Candidate] = []
    per_seller: dict[int, int] = {}
    per_category: dict[int, int] = {}
    for cand in fresh + pool:
        if len(page) >= limit:
            break
        if cand in page or per_seller.get(cand.seller_id, 0) >= rules.per_seller:
            continue
        if per_category.get(cand.category_id, 0) >= rules.per_category:
            continue
        page.append(cand)
        per_seller[cand.seller_id] = per_seller.get(cand.seller_id, 0) + 1
        per_category[cand.category_id] = per_category.get(cand.category_id, 0) + 1
    for cand in pool:  # a thin catalogue must not leave the page short: relax the caps last
        if len(page) >= limit:
            break
        if cand not in page:
            page.append(cand)
    page.sort(key=lambda c: (-c.score, c.product_id))
    return page
