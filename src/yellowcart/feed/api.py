"""GET /v1/feed: the calling shopper's interest feed (anonymous visitors: trending and new)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from yellowcart.catalog.models import Product
from yellowcart.db import utcnow
from yellowcart.feed import service
from yellowcart.feed.rerank import Candidate
from yellowcart.feed.schemas import ContentCard, FeedItem, FeedPage, ProductCard, Why
from yellowcart.http import App, Db, MaybeCaller, problems
from yellowcart.sellers.models import Seller

router = APIRouter(tags=["feed"])


def _cards(session: Session, picks: list[Candidate]) -> list[FeedItem]:
    ids = [c.product_id for c in picks]
    products = {
        p.id: (p, name)
        for p, name in session.execute(
            select(Product, Seller.name)
            .join(Seller, Seller.id == Product.seller_id)
            .where(Product.id.in_(ids))
            .options(selectinload(Product.variants))
        )
    }
    content = service.featured_content(session, ids)
    items = []
    for cand in picks:
        product, seller_name = products[cand.product_id]
        variants = [v for v in product.variants if v.is_active] or product.variants
        cheapest = min(variants, key=lambda v: v.price_cents)
        image = next((m.get("url") for m in product.media or [] if m.get("type") == "image"), None)
        card = ProductCard(
            id=product.id,
            title=product.title,
            price_cents=cheapest.price_cents,
            compare_at_cents=cheapest.compare_at_cents,
            seller_id=product.seller_id,
            seller_name=seller_name,
            selling_mode=product.selling_mode.value,
            image=image,
            redirect_url=product.redirect_url,
        )
        shown = content.get(product.id)
        items.append(
            FeedItem(
                kind=shown.kind.value if shown else "product",
                product=card,
                content=ContentCard(
                    id=shown.id,
                    kind=shown.kind.value,
                    title=shown.title,
                    poster_ref=shown.poster_ref,
                    duration_s=shown.duration_s,
                    owner_user_id=shown.owner_user_id,
                )
                if shown
                else None,
                why=Why(score=round(cand.score, 4), sources=cand.sources),
            )
        )
    return items


@router.get("/v1/feed", response_model=FeedPage, responses=problems(), summary="My interest feed, page by page")
def get_feed(
    db: Db,
    app: App,
    who: MaybeCaller,
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
    cursor: Annotated[str | None, Query(max_length=4096)] = None,
) -> FeedPage:
    seen = service.decode_seen(cursor)
    with db.transaction() as session:
        result = service.build_feed(
            session,
            user_id=who.user_id if who else None,
            limit=limit,
            seen=seen,
            signals=app.feed_signals,
            now=utcnow(),
        )
        items = _cards(session, result.picks)
    return FeedPage(items=items, next_cursor=service.encode_seen(result.seen) if items else None)
