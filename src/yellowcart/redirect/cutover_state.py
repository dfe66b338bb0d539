"""Is the redirect loop still open for a seller's market at an instant? One small read, shared by the
click links, the mode switch (entering redirect), product creation, the feed and the product page.

A seller's market is its onboarding application's market (``sellers``), else the default market from
settings. The cutover is keyed by that code string, so a market needs no row of its own to have one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from yellowcart.errors import Conflict
from yellowcart.redirect.models import Cutover, CutoverStatus
from yellowcart.sellers.models import MarketPolicy, SellerApplication
from yellowcart.settings import get_settings

#: A market code as the sellers domain names markets ("US", "US-XB"); the cutover is per code.
MARKET_PATTERN = r"^[A-Z]{2}(-[A-Z0-9]{1,8})?$"


class RedirectCutoverPassed(Conflict):
    code, title = "redirect_cutover_passed", "Redirect listings have ended in this market"


def default_market() -> str:
    return get_settings().default_market


def known_market(session: Session, market: str) -> bool:
    """The default market, or one the sellers domain has a policy for."""
    return market == default_market() or session.get(MarketPolicy, market) is not None


def seller_market(session: Session, seller_id: int) -> str:
    market = session.scalar(select(SellerApplication.market_code).where(SellerApplication.seller_id == seller_id))
    return market or default_market()


def seller_markets(session: Session, seller_ids: Sequence[int]) -> dict[int, str]:
    """Markets of many sellers in one query."""
    found: dict[int, str] = {}
    if seller_ids:
        query = select(SellerApplication.seller_id, SellerApplication.market_code)
        for seller_id, market in session.execute(query.where(SellerApplication.seller_id.in_(list(seller_ids)))):
            found[seller_id] = market
    return {seller_id: found.get(seller_id) or default_market() for seller_id in seller_ids}


def scheduled_cutover(session: Session, market: str) -> Cutover | None:
    """The market's cutover unless cancelled (it may lie in the past: then it is in force)."""
    return session.scalar(select(Cutover).where(Cutover.market == market, Cutover.status == CutoverStatus.SCHEDULED))


def cutover_at(session: Session, market: str) -> dt.datetime | None:
    found = scheduled_cutover(session, market)
    return found.cutover_at if found else None


def links_open(session: Session, *, market: str, now: dt.datetime) -> bool:
    """Redirect links work until the cutover instant (exclusive) and forever without one."""
    at = cutover_at(session, market)
    return at is None or now < at


def links_open_for_seller(session: Session, *, seller_id: int, now: dt.datetime) -> bool:
    return links_open(session, market=seller_market(session, seller_id), now=now)


def ensure_redirect_allowed(session: Session, *, seller_id: int, now: dt.datetime) -> None:
    """Refuse a new redirect listing (created, or switched into) once the seller's market cut over."""
    market = seller_market(session, seller_id)
    if not links_open(session, market=market, now=now):
        raise RedirectCutoverPassed(
            f"Redirect listings ended in market {market}; sell in-app (seller_fulfilled or full_custody).",
            field="selling_mode",
            market=market,
        )


def sellers_with_links_open(session: Session, *, seller_ids: Sequence[int], now: dt.datetime) -> set[int]:
    """Which of these sellers' redirect links still work (two queries for a whole page of cards)."""
    markets = seller_markets(session, sorted(set(seller_ids)))
    ended = (
        set(
            session.scalars(
                select(Cutover.market).where(
                    Cutover.market.in_(sorted(set(markets.values()))),
                    Cutover.status == CutoverStatus.SCHEDULED,
                    Cutover.cutover_at <= now,
                )
            )
        )
        if markets
        else set()
    )
    return {seller_id for seller_id, market in markets.items() if market not in ended}
