"""GET /v1/feed: the calling shopper's interest feed (anonymous visitors: trending and new)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from yellowcart.catalog.models import Product, Variant
from yellowcart.db import id_in, utcnow
from yellowcart.feed import service
from yellowcart.feed.catalogue import ContentSnapshot
from yellowcart.feed.schemas import ContentCard, FeedItem, FeedPage, ProductCard, Why
from yellowcart.http import App, Db, MaybeCaller, problems
from yellowcart.sellers.models import Seller

router = APIRouter(tags=["feed"])


def _cards(session: Session, result: service.FeedResult, content: ContentSnapshot) -> list[FeedItem]:
    """Cards for the picks: listing fields in one query, the media from the content snapshot."""
    ids = [c.product_id for c in result.picks]
    rows = session.execute(
        select(
            Product.id,
            Product.title,
            Product.seller_id,
            Seller.name,
            Product.selling_mode,
            Product.media,
            Product.redirect_url,
            Variant.price_cents,
            Variant.compare_at_cents,
            Variant.is_active,
        )
        .join(Seller, Seller.id == Product.seller_id)
        .join(Variant, Variant.product_id == Product.id)
        .where(id_in(session, Product.id, ids))
        .order_by(Product.id, Variant.is_active.desc(), Variant.price_cents, Variant.id)
    )
    cards: dict[int, ProductCard] = {}
    for pid, title, seller_id, seller_name, mode, media, redirect, price, compare_at, _ in rows:
        if pid in cards:
            continue  # the first row is the cheapest active variant
        image = next((m.get("url") for m in media or [] if m.get("type") == "image"), None)
        cards[pid] = ProductCard(
            id=pid,
            title=title,
            price_cents=price,
            compare_at_cents=compare_at,
            seller_id=seller_id,
            seller_name=seller_name,
            selling_mode=str(mode),
            image=image,
            redirect_url=redirect,
            stock_state=result.stock_state(pid),
        )
    items = []
    for cand in result.picks:
        if cand.product_id not in cards:
            continue
        shown = content.featured.get(cand.product_id)
        items.append(
            FeedItem(
                kind=shown.kind if shown else "product",
                product=cards[cand.product_id],
                content=ContentCard(
                    id=shown.id,
                    kind=shown.kind,
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
        items = _cards(session, result, app.feed_signals.content.get(session, utcnow()))
    return FeedPage(items=items, next_cursor=service.encode_seen(result.seen) if items else None)
