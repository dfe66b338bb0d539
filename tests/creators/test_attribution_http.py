"""Attribution through real checkouts on SQLite and PostgreSQL: the shopper's last content touch wins,
targeted rates beat open ones (snapshotted), the window's edge, self-referral, suspended creators, no
touch; the outbox handler is idempotent."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from creators.creators_world import (
    World,
    attributions,
    checkout,
    join,
    listing,
    make_world,
    offer,
    placed_at,
    touch,
    touch_at,
    video,
)
from ledger.ledger_world import place_order
from shipping.shipping_world import drain
from support import LiveServer, Market
from yellowcart.catalog.models import Variant
from yellowcart.creators import attribution
from yellowcart.creators.rules import DEFAULT_WINDOW, Outcome
from yellowcart.events import emit
from yellowcart.orders.models import OrderLine

H = dt.timedelta(hours=1)


def variant_of(w: World, sku: str) -> int:
    with w.market.db.transaction() as s:
        return int(s.scalar(select(Variant.id).where(Variant.sku == sku)) or 0)


@pytest.fixture
def w(server: LiveServer, market: Market) -> World:
    world = make_world(server, market)
    join(world, "cara")
    join(world, "dev")
    return world


def test_last_touch_wins_with_its_creators_rate(w: World) -> None:
    sku, pid = listing(w, price_cents=2500)
    offer(w, pid, 1000)  # open: 10%
    offer(w, pid, 2000, creator="dev")  # dev's own: 20%
    cara_video, dev_video = video(w, "cara", pid), video(w, "dev", pid)
    touch(w, "ada", dev_video, pid)  # through the events API: dev first ...
    touch(w, "ada", cara_video, pid, kind="cart_tap")  # ... then cara, last
    order = checkout(w, "ada", [(sku, 2)])
    drain(w.server)
    [a] = attributions(w)
    assert (a.creator_id, a.content_id, a.order_id, a.touch.value) == (
        w.ids["cara"],
        cara_video,
        order["id"],
        "cart_tap",
    )
    assert (a.rate_kind.value, a.rate_bps, a.units, a.base_cents, a.commission_cents) == ("open", 1000, 2, 5000, 500)
    assert a.earned_at is None  # nothing accrues before the order completes
    # dev's touch is now the last: dev's targeted rate, snapshotted; a later rate change touches nothing
    touch(w, "ada", dev_video, pid)
    second = checkout(w, "ada", [(sku, 1)])
    drain(w.server)
    offer(w, pid, 3000, creator="dev")
    latest = attributions(w)[-1]
    assert (latest.order_id, latest.creator_id, latest.rate_kind.value, latest.rate_bps) == (
        second["id"], w.ids["dev"], "targeted", 2000,
    )  # fmt: skip
    assert latest.commission_cents == 500


def test_window_edge_self_referral_suspension_and_no_touch(w: World) -> None:
    sku, pid = listing(w, price_cents=1200)
    offer(w, pid, 1500)
    cara_video, dev_video = video(w, "cara", pid), video(w, "dev", pid)
    edge = checkout(w, "ada", [(sku, 1)])
    touch_at(w, "ada", cara_video, pid, placed_at(w, edge["id"]) - DEFAULT_WINDOW)  # exactly 7 days: counts
    late = checkout(w, "ada", [(sku, 1)])
    touch_at(w, "ada", cara_video, pid, placed_at(w, late["id"]) - DEFAULT_WINDOW - dt.timedelta(seconds=1))
    drain(w.server)
    assert [(a.order_id, a.creator_id) for a in attributions(w)] == [(edge["id"], w.ids["cara"])]
    # An order of cara's own (checkout is for shoppers: written as an import would) after her own video was
    # the last touch: nobody earns, not even dev, whose touch came earlier. Store orders: test_commissions.
    own = {"id": place_order(w.market.db, w.ids["cara"], [(variant_of(w, sku), 1)])}
    with w.market.db.transaction() as s:
        emit(s, "order.paid", order_id=own["id"], seller_id=w.seller_id, shopper_id=w.ids["cara"])
    at = placed_at(w, own["id"])
    touch_at(w, "cara", dev_video, pid, at - 2 * H)
    touch_at(w, "cara", cara_video, pid, at - H)
    # dev is suspended: its later touch does not count, cara's earlier one does
    with w.client("ops") as c:
        r = c.patch(f"/v1/creators/{w.ids['dev']}/membership", json={"status": "suspended", "reason": "fraud review"})
        assert r.status_code == 200
    suspended = checkout(w, "ada", [(sku, 1)])
    at = placed_at(w, suspended["id"])
    touch_at(w, "ada", cara_video, pid, at - 2 * H)
    touch_at(w, "ada", dev_video, pid, at - H)
    untouched = checkout(w, "bob", [(sku, 1)])  # bob never watched anything
    drain(w.server)
    by_order = {a.order_id: a.creator_id for a in attributions(w)}
    assert by_order == {edge["id"]: w.ids["cara"], suspended["id"]: w.ids["cara"]}
    assert own["id"] not in by_order and untouched["id"] not in by_order
    with w.market.db.transaction() as s:  # what the rules said about each line, run again: nothing new
        outcome = attribution.attribute_orders(
            s, order_ids=[own["id"], untouched["id"], edge["id"]], window=DEFAULT_WINDOW, now=at
        )
        assert outcome == {Outcome.SELF_REFERRAL: 1, Outcome.NO_TOUCH: 1}  # the attributed line is skipped
    assert len(attributions(w)) == 2


def test_content_not_tagging_the_listing_and_seller_content_do_not_count(w: World) -> None:
    sku, pid = listing(w)
    _, other = listing(w)
    offer(w, pid, 1000)
    offer(w, other, 1000)
    elsewhere = video(w, "cara", other)  # tags another listing
    with w.client("seller") as c:
        own = c.post(
            "/v1/content", json={"title": "ours", "duration_s": 9, "product_ids": [pid], "status": "published"}
        )
        seller_video = int(own.json()["id"])
    order = checkout(w, "ada", [(sku, 1)])
    at = placed_at(w, order["id"])
    touch_at(w, "ada", elsewhere, pid, at - H)
    touch_at(w, "ada", seller_video, pid, at - dt.timedelta(minutes=5))
    drain(w.server)
    assert attributions(w) == []
    with w.market.db.transaction() as s:
        assert s.scalar(select(OrderLine.id).where(OrderLine.order_id == order["id"])) is not None
