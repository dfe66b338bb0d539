"""GET /v1/feed: the calling shopper's interest feed (anonymous visitors: trending and new).

With ``?zip=`` each product card carries its delivery promise, computed for the whole page at once:
one stock-and-warehouse load for the page's cheapest variants and one lane load for the ZIP, then the
pure calculator per card (the product page's ``product_promise`` would cost ~5 queries a card).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from yellowcart.catalog.models import Category, Product, Variant
from yellowcart.catalog.modes import SellingMode
from yellowcart.db import id_in, utcnow
from yellowcart.feed import service
from yellowcart.feed.catalogue import ContentSnapshot
from yellowcart.feed.schemas import ContentCard, FeedItem, FeedPage, ProductCard, Why
from yellowcart.fulfillment import service as fulfillment
from yellowcart.fulfillment.geo import Place, destination
from yellowcart.fulfillment.promise import best_promise
from yellowcart.fulfillment.schemas import ZIP_PATTERN, DeliveryQuoteOut, PromiseOut
from yellowcart.http import App, Db, MaybeCaller, problems
from yellowcart.promotions import showing
from yellowcart.redirect import cutover_state as redirect_links
from yellowcart.redirect.clicks import redirect_click_path
from yellowcart.sellers.models import Seller

router = APIRouter(tags=["feed"])
Reason = fulfillment.Reason


def page_promises(
    session: Session, cheapest: Mapping[int, tuple[int, SellingMode]], dest: Place, now: dt.datetime
) -> dict[int, DeliveryQuoteOut]:
    """Per product (its cheapest active variant, one unit): the promise or why there is none. Two
    queries for the page whatever its size: stock with warehouses, then the lanes to ``dest``."""
    shipped = {pid: variant_id for pid, (variant_id, mode) in cheapest.items() if mode is not SellingMode.REDIRECT}
    stocked = fulfillment.load_stocked(session, sorted(set(shipped.values())), now) if shipped else {}
    origins = {s.node.zip for rows in stocked.values() for s in rows if s.available >= 1}
    transit = fulfillment.load_transit(session, origins, dest)
    out = {}
    for pid in cheapest:
        if pid not in shipped:
            out[pid] = DeliveryQuoteOut(zip=dest.zip, promise=None, reason=Reason.REDIRECT)
            continue
        holding = [s for s in stocked.get(shipped[pid], []) if s.available >= 1]
        promise = best_promise(holding, 1, dest, now, transit) if holding else None
        reason = None if promise else (Reason.NO_SERVICE if holding else Reason.OUT_OF_STOCK)
        out[pid] = DeliveryQuoteOut(zip=dest.zip, promise=PromiseOut.of(promise) if promise else None, reason=reason)
    return out


def feed_cards(
    session: Session,
    result: service.FeedResult,
    content: ContentSnapshot,
    dest: Place | None = None,
    now: dt.datetime | None = None,
    shopper_id: int | None = None,
) -> list[FeedItem]:
    """Cards for the picks: listing fields in one query, the media from the content snapshot, with a
    destination the page's delivery promises, and the page's promotions (one more query)."""
    ids = [c.product_id for c in result.picks]
    rows = session.execute(
        select(
            Product.id,
            Product.title,
            Product.seller_id,
            Seller.name,
            Product.selling_mode,
            Product.media,
            Variant.price_cents,
            Variant.compare_at_cents,
            Variant.is_active,
            Variant.id,
            Category.path,
            Variant.supply_price_cents,
        )
        .join(Seller, Seller.id == Product.seller_id)
        .join(Variant, Variant.product_id == Product.id)
        .join(Category, Category.id == Product.category_id)
        .where(id_in(session, Product.id, ids))
        .order_by(Product.id, Variant.is_active.desc(), Variant.price_cents, Variant.id)
    ).all()
    cards: dict[int, ProductCard] = {}
    cheapest: dict[int, tuple[int, SellingMode]] = {}
    facts: list[showing.ProductFacts] = []
    linking = {seller_id for _, _, seller_id, _, mode, *_ in rows if mode is SellingMode.REDIRECT}
    open_links = redirect_links.sellers_with_links_open(session, seller_ids=sorted(linking), now=now or utcnow())
    for pid, title, seller_id, seller_name, mode, media, price, compare_at, active, variant_id, path, supply in rows:
        if pid in cards:
            continue  # the first row is the cheapest active variant
        if active:
            cheapest[pid] = (variant_id, mode)
            facts.append(showing.ProductFacts(pid, seller_id, path, str(mode), variant_id, price, supply))
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
            redirect_click=redirect_click_path(pid)
            if mode is SellingMode.REDIRECT and seller_id in open_links
            else None,
            stock_state=result.stock_state(pid),
        )
    if dest is not None:
        promises = page_promises(session, cheapest, dest, now or utcnow())
        for pid, card in cards.items():
            card.delivery_promise = promises.get(pid) or DeliveryQuoteOut(
                zip=dest.zip, promise=None, reason=Reason.OUT_OF_STOCK
            )
    promoted = showing.annotate(session, facts, shopper_id=shopper_id, now=now or utcnow())
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
                promotion=promoted.get(cand.product_id),
            )
        )
    return items


@router.get(
    "/v1/feed",
    response_model=FeedPage,
    responses=problems(s422="Invalid input, e.g. zip: unknown_zip or military_zip_not_supported"),
    summary="My interest feed, page by page",
)
def get_feed(
    db: Db,
    app: App,
    who: MaybeCaller,
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
    cursor: Annotated[str | None, Query(max_length=4096)] = None,
    zip: Annotated[
        str | None, Query(pattern=ZIP_PATTERN, description="Ship-to ZIP: adds delivery_promise to every card")
    ] = None,
) -> FeedPage:
    seen = service.decode_seen(cursor)
    dest = destination(zip) if zip is not None else None  # unknown or military ZIP: 422 before any work
    with db.transaction() as session:
        now = utcnow()
        result = service.build_feed(
            session,
            user_id=who.user_id if who else None,
            limit=limit,
            seen=seen,
            signals=app.feed_signals,
            now=now,
        )
        content = app.feed_signals.content.get(session, now)
        items = feed_cards(session, result, content, dest, now, shopper_id=who.user_id if who else None)
    return FeedPage(items=items, next_cursor=service.encode_seen(result.seen) if items else None)
