"""The completion rule without a database: the window ends at midnight in the shopper's zone, per line,
with the policy's overrides; the latest window decides; nothing delivered means nothing completes."""

from __future__ import annotations

import datetime as dt

from yellowcart.catalog.modes import SellingMode
from yellowcart.orders.models import Order, OrderLine
from yellowcart.returns import policy as rules
from yellowcart.returns.completion import shortest_window, window_closed

LA = {"zip": "90012"}  # Los Angeles: Pacific time
BASE = rules.Policy()


def _order(*line_ids: int, ship_to: dict[str, str] = LA) -> Order:
    lines = [OrderLine(id=i, selling_mode=SellingMode.SELLER_FULFILLED) for i in line_ids]
    return Order(id=1, seller_id=7, ship_to=ship_to, lines=lines)


def _closed(order: Order, deliveries: dict[int, dt.datetime | None], now: dt.datetime, **kw: object) -> bool:
    return window_closed(
        order,
        deliveries=deliveries,
        delivered_at=kw.get("delivered_at"),  # type: ignore[arg-type]
        paths={ln.id: str(kw.get("path", "beauty/")) for ln in order.lines},
        policies=kw.get("policies", ()),  # type: ignore[arg-type]
        base=BASE,
        now=now,
    )


def test_the_window_ends_at_midnight_in_the_shoppers_zone() -> None:
    # 11 pm in Los Angeles on 1 March (07:00 UTC on the 2nd): returnable until midnight LA on the 31st.
    delivered = dt.datetime(2030, 3, 2, 7, 0, tzinfo=dt.UTC)
    end = dt.datetime(2030, 4, 1, 7, 0, tzinfo=dt.UTC)  # 1 April 00:00 PDT
    order = _order(10)
    assert not _closed(order, {10: delivered}, end - dt.timedelta(seconds=1))
    assert _closed(order, {10: delivered}, end)


def test_every_delivered_line_must_be_over_and_rules_change_the_window() -> None:
    early, late = dt.datetime(2030, 3, 1, 15, tzinfo=dt.UTC), dt.datetime(2030, 3, 10, 15, tzinfo=dt.UTC)
    now = dt.datetime(2030, 4, 5, tzinfo=dt.UTC)  # past the first line's window, not the second's
    order = _order(10, 11, 12)
    assert not _closed(order, {10: early, 11: late}, now)
    assert _closed(order, {10: early}, now)  # line 11 and 12 not delivered (lost): only line 10 counts
    longer = [rules.Rule("category", "beauty/", {"window_days": 45})]
    assert not _closed(order, {10: early}, now, policies=longer)
    assert _closed(order, {10: early}, dt.datetime(2030, 4, 17, tzinfo=dt.UTC), policies=longer)
    assert _closed(order, {10: None}, now)  # delivered without a time: read as long ago, like eligibility


def test_without_parcels_the_history_counts_and_without_anything_nothing_completes() -> None:
    order = _order(10)
    now = dt.datetime(2030, 4, 5, tzinfo=dt.UTC)
    assert not _closed(order, {}, now)
    assert _closed(order, {}, now, delivered_at=dt.datetime(2030, 3, 1, tzinfo=dt.UTC))
    assert not _closed(order, {}, now, delivered_at=dt.datetime(2030, 3, 20, tzinfo=dt.UTC))


def test_the_shortest_window_bounds_the_candidates() -> None:
    assert shortest_window([], BASE) == 30
    some = [rules.Rule("seller", "3", {"window_days": 14}), rules.Rule("category", "x/", {"returnable": False})]
    assert shortest_window(some, BASE) == 14
    assert shortest_window(some, rules.Policy(window_days=7)) == 7
