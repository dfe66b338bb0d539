"""Feed impressions of one seller's listings in a window, read in one pass over the interaction log.

An impression counts for a listing when the feed showed the listing's own card, or content (a video, a
live room) tagging it. The log is the largest table (~300,000 events a month on the demo market) and a
window's impressions are most of it, so a seller's page reads them once: per product for the card
impressions, per content for the tagged content, and folds them in Python into per-mode figures (the
analytics service) and per-product figures (the charts of ``trends``), instead of one scan each.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import Session

from yellowcart.catalog.models import Product
from yellowcart.catalog.modes import SellingMode
from yellowcart.content.models import Anchor
from yellowcart.interactions.models import EventType, InteractionEvent


def content_tagging(seller_id: int) -> Select[int]:
    """Ids of the content (videos, live rooms) tagging any of the seller's listings."""
    return (
        select(Anchor.content_id).join(Product, Product.id == Anchor.product_id).where(Product.seller_id == seller_id)
    )


@dataclass(frozen=True, slots=True)
class SellerImpressions:
    """What the feed showed of one seller's listings in [since, until)."""

    seller_id: int
    since: dt.datetime
    until: dt.datetime
    cards: dict[int, int]  # product -> impressions of its own card
    content: dict[int, int]  # content tagging the seller's listings -> its impressions
    tags: tuple[tuple[int, int], ...]  # (content, product): the anchors on the seller's listings
    modes: dict[int, SellingMode]  # product -> selling mode (every product above)

    def by_mode(self) -> dict[SellingMode, int]:
        """Per selling mode; content tagging several listings of one mode counts once for that mode."""
        out: Counter[SellingMode] = Counter()
        for product_id, n in self.cards.items():
            out[self.modes[product_id]] += n
        tagged: defaultdict[int, set[SellingMode]] = defaultdict(set)
        for content_id, product_id in self.tags:
            tagged[content_id].add(self.modes[product_id])
        for content_id, n in self.content.items():
            for mode in tagged.get(content_id, ()):
                out[mode] += n
        return dict(out)

    def by_product(self) -> Counter[int]:
        """Per product; content tagging several of the seller's listings counts for each of them."""
        out = Counter(self.cards)
        for content_id, product_id in self.tags:
            out[product_id] += self.content.get(content_id, 0)
        return out


def seller_impressions(
    session: Session, *, seller_id: int, since: dt.datetime, until: dt.datetime
) -> SellerImpressions:
    """One grouped query over the window's impressions (cards of the seller's products, and content tagging
    them), plus the seller's anchors; no access check: callers check who may see the seller's figures."""
    e = InteractionEvent
    own = select(Product.id).where(Product.seller_id == seller_id)
    via = case((e.product_id.is_(None), e.content_id), else_=None)
    query = (
        select(e.product_id, via, func.count())
        .where(e.type == EventType.IMPRESSION, e.occurred_at >= since, e.occurred_at < until)
        .where(or_(e.product_id.in_(own), and_(e.product_id.is_(None), e.content_id.in_(content_tagging(seller_id)))))
        .group_by(e.product_id, via)
    )
    cards: dict[int, int] = {}
    content: dict[int, int] = {}
    for product_id, content_id, n in session.execute(query):
        if product_id is not None:
            cards[product_id] = cards.get(product_id, 0) + int(n)
        elif content_id is not None:
            content[content_id] = int(n)
    anchors = session.execute(
        select(Anchor.content_id, Anchor.product_id, Product.selling_mode)
        .join(Product, Product.id == Anchor.product_id)
        .where(Product.seller_id == seller_id)
        .distinct()
    ).all()
    modes = {product_id: mode for _, product_id, mode in anchors}
    unseen = sorted(set(cards) - set(modes))
    if unseen:
        for product_id, mode in session.execute(select(Product.id, Product.selling_mode).where(Product.id.in_(unseen))):
            modes[product_id] = mode
    tags = tuple((content_id, product_id) for content_id, product_id, _ in anchors)
    return SellerImpressions(seller_id, since, until, cards, content, tags, modes)
