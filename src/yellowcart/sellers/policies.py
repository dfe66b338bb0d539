"""Markets and their onboarding policies: data, not code. Seeded with the US policy of the seed market
and a cross-border example; operators read and replace a market's rules through the API."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from yellowcart.db import flush_guarded, utcnow
from yellowcart.errors import Conflict, NotFound
from yellowcart.sellers.models import MarketPolicy
from yellowcart.sellers.rules import SEED_MARKETS, Rule, dump_rules, parse_rules


class UnknownMarket(NotFound):
    code, title = "unknown_market", "Unknown market"


class MarketTaken(Conflict):
    code, title = "market_exists", "Market created concurrently; retry to update it"


def seed_markets(session: Session) -> int:
    """Insert the seed markets that are missing (never overwrites an operator's changes); how many."""
    present = set(session.scalars(select(MarketPolicy.code)))
    missing = [code for code in SEED_MARKETS if code not in present]
    for code in missing:
        name, rules = SEED_MARKETS[code]
        session.add(MarketPolicy(code=code, name=name, rules=dump_rules(rules), version=1))
    session.flush()
    return len(missing)


def list_markets(session: Session) -> Sequence[MarketPolicy]:
    return session.scalars(select(MarketPolicy).order_by(MarketPolicy.code)).all()


def get_market(session: Session, *, code: str, lock: bool = False) -> MarketPolicy:
    market = session.get(MarketPolicy, code, with_for_update=lock)
    if market is None:
        raise UnknownMarket(f"Market {code!r} does not exist.", field="market_code")
    return market


def rules_of(market: MarketPolicy) -> list[Rule]:
    return parse_rules(market.rules)


def save_policy(
    session: Session, *, code: str, name: str | None, rules: list[Rule], user_id: int
) -> tuple[MarketPolicy, bool]:
    """Replace a market's rules (a new version), or open a new market; returns (market, created)."""
    market = session.get(MarketPolicy, code, with_for_update=True)
    created = market is None
    if market is None:
        market = MarketPolicy(code=code, name=name or code, rules=dump_rules(rules), version=1)
        new = market
        flush_guarded(session, lambda: session.add(new), lambda: MarketTaken(f"Market {code!r} was just created."))
    else:
        market.rules, market.version = dump_rules(rules), market.version + 1
        if name is not None:
            market.name = name
    market.updated_at, market.updated_by_user_id = utcnow(), user_id
    session.flush()
    return market, created
