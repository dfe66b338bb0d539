"""The returns flow through real HTTP on SQLite and PostgreSQL: eligibility, auto-approval with a label,
shipping back, receipt, inspection with disposition and stock, the refund (once, partial by line) and
the order's status; seller review, rejection, returnless refunds, and bad input that changes nothing."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import func, select

from returns.returns_world import line_ids, platform_delivered, seller_delivered
from shipping.shipping_world import stock_at
from support import LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.catalog.models import Variant
from yellowcart.checkout.models import Payment
from yellowcart.checkout.payments import TestPaymentProvider
from yellowcart.db import utcnow
from yellowcart.events import OutboxEvent
from yellowcart.orders.models import Order
from yellowcart.returns.models import ReturnRequest


@pytest.fixture
def world(server: LiveServer, market: Market) -> dict[str, Any]:
    acme = market.seller("acme")
    return {
        "acme": acme,
        "shopper": market.user("ada", Role.SHOPPER),
        "other": market.user("bob", Role.SHOPPER),
        "seller": market.user("acme-staff", Role.SELLER, acme),
        "stranger": market.user("zed-staff", Role.SELLER, market.seller("zed")),
        "operator": market.user("ops", Role.OPERATOR),
    }


def _payment(market: Market, order_id: int) -> Payment:
    with market.db.transaction() as s:
        payment = s.scalar(select(Payment).join(Order, Order.payment_id == Payment.id).where(Order.id == order_id))
        assert payment is not None
        s.expunge(payment)
        return payment


def _count_returns(market: Market) -> int:
    with market.db.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(ReturnRequest)) or 0)


def test_change_of_mind_return_end_to_end(
    server: LiveServer, market: Market, world: dict[str, Any], provider: TestPaymentProvider
) -> None:
    order_id, sku, wid = platform_delivered(server, market, world, qty=2)
    [line] = line_ids(market, order_id)
    assert stock_at(market.db, sku, wid) == (8, 0)
    with server.client(world["shopper"]) as c:
        elig = c.get(f"/v1/orders/{order_id}/return-eligibility").json()
        [el] = elig["lines"]
        assert el["returnable_quantity"] == 2 and "no_reason" in el["reasons"] and el["why_not"] is None
        assert elig["shopper_time_zone"] == "America/New_York"
        r = c.post(f"/v1/orders/{order_id}/returns", json={"lines": [{"order_line_id": line, "quantity": 1}]})
        assert r.status_code == 201, r.text
        ret = r.json()
        # Change of mind inside the window: approved at once, label bought back to the Newark warehouse.
        assert ret["status"] == "awaiting_buyer_ship" and ret["tracking_number"] and ret["label_payer"] == "platform"
        assert c.get(f"/v1/orders/{order_id}/return-eligibility").json()["lines"][0]["returnable_quantity"] == 1
        assert c.post(f"/v1/returns/{ret['id']}/ship", json={}).json()["status"] == "buyer_shipped"
    with server.client(world["seller"]) as c:  # the platform's warehouse receives full-custody returns
        assert c.post(f"/v1/returns/{ret['id']}/receive").status_code == 403
    with server.client(world["operator"]) as c:
        got = c.post(f"/v1/returns/{ret['id']}/receive").json()
        assert got["status"] == "received" and got["refund_due_by"]
        bad = c.post(f"/v1/returns/{ret['id']}/inspection", json={"grades": {}})
        assert bad.status_code == 422  # every line needs a grade
        done = c.post(f"/v1/returns/{ret['id']}/inspection", json={"grades": {str(line): "A"}})
        assert done.status_code == 200, done.text
        body = done.json()
    assert body["status"] == "completed" and body["lines"][0]["disposition"] == "restock"
    with market.db.transaction() as s:
        order = s.scalar(select(Order).where(Order.id == order_id))
        assert order is not None
        ln = order.lines[0]
        half = (ln.line_subtotal_cents + ln.line_tax_cents) // 2
        assert order.status.value == "PARTIALLY_RETURNED"
    # Half of a two-unit line: its exact share of goods and tax (the earlier unit takes an odd cent).
    assert body["refund_cents"] in (half, half + 1)
    assert _payment(market, order_id).refunded_cents == body["refund_cents"]
    assert provider.count("refunded") == 1
    assert stock_at(market.db, sku, wid) == (9, 0)  # grade A: back on the shelf where it came back to
    with market.db.transaction() as s:
        kinds = set(s.scalars(select(OutboxEvent.topic)))
    assert "return.refunded" in kinds


def test_returning_the_rest_makes_the_order_returned_and_refunds_add_up(
    server: LiveServer, market: Market, world: dict[str, Any]
) -> None:
    order_id, _, _ = platform_delivered(server, market, world, qty=2, price_cents=3333)
    [line] = line_ids(market, order_id)
    refunds = []
    for _ in range(2):
        with server.client(world["shopper"]) as c:
            ret = c.post(
                f"/v1/orders/{order_id}/returns", json={"lines": [{"order_line_id": line, "quantity": 1}]}
            ).json()
            c.post(f"/v1/returns/{ret['id']}/ship", json={})
        with server.client(world["operator"]) as c:
            c.post(f"/v1/returns/{ret['id']}/receive")
            refunds.append(c.post(f"/v1/returns/{ret['id']}/inspection", json={"grades": {str(line): "B"}}).json())
    with market.db.transaction() as s:
        order = s.scalar(select(Order).where(Order.id == order_id))
        assert order is not None
        ln = order.lines[0]
        assert order.status.value == "RETURNED"
        # Unit by unit, the two refunds are exactly the line's goods and tax (shipping is not refunded
        # for a change of mind).
        assert sum(r["refund_cents"] for r in refunds) == ln.line_subtotal_cents + ln.line_tax_cents
    with server.client(world["shopper"]) as c:
        el = c.get(f"/v1/orders/{order_id}/return-eligibility").json()["lines"][0]
        assert el["returnable_quantity"] == 0 and "already returned" in el["why_not"]
    # Full custody grade B goes back to the consignor, not to open-box resale.
    assert {r["lines"][0]["disposition"] for r in refunds} == {"return_to_seller"}


def test_bad_requests_change_nothing(server: LiveServer, market: Market, world: dict[str, Any]) -> None:
    order_id, _, _ = platform_delivered(server, market, world, qty=1)
    [line] = line_ids(market, order_id)
    with server.client(world["shopper"]) as c:
        more = c.post(f"/v1/orders/{order_id}/returns", json={"lines": [{"order_line_id": line, "quantity": 2}]})
        assert more.status_code == 422 and more.json()["code"] == "return_not_allowed"
        assert c.post(f"/v1/orders/{order_id}/returns", json={"lines": []}).status_code == 422
        foreign = c.post(f"/v1/orders/{order_id}/returns", json={"lines": [{"order_line_id": 999999, "quantity": 1}]})
        assert foreign.status_code == 422
        twice = {"lines": [{"order_line_id": line, "quantity": 1}, {"order_line_id": line, "quantity": 1}]}
        assert c.post(f"/v1/orders/{order_id}/returns", json=twice).status_code == 422
        assert (
            c.post(
                f"/v1/orders/{order_id}/returns",
                json={"lines": [{"order_line_id": line, "quantity": 1}], "reason": "bored"},
            ).status_code
            == 422
        )
    with server.client(world["other"]) as c:  # someone else's order: not found, not forbidden
        r = c.post(f"/v1/orders/{order_id}/returns", json={"lines": [{"order_line_id": line, "quantity": 1}]})
        assert r.status_code == 404
        assert c.get(f"/v1/orders/{order_id}/return-eligibility").status_code == 404
    assert _count_returns(market) == 0
    assert _payment(market, order_id).refunded_cents == 0


def test_after_the_window_only_the_guarantee_remains(server: LiveServer, market: Market, world: dict[str, Any]) -> None:
    order_id, _, _ = platform_delivered(server, market, world, qty=1, delivered_at=utcnow() - dt.timedelta(days=45))
    [line] = line_ids(market, order_id)
    with server.client(world["shopper"]) as c:
        el = c.get(f"/v1/orders/{order_id}/return-eligibility").json()["lines"][0]
        assert set(el["reasons"]) == {"wrong_item", "damaged", "defective"} and el["returnable_quantity"] == 1
        late = c.post(f"/v1/orders/{order_id}/returns", json={"lines": [{"order_line_id": line, "quantity": 1}]})
        assert late.status_code == 422 and "cannot be returned as no_reason" in late.json()["detail"]
        # Damaged 45 days in: covered by the 90-day guarantee, but a person answers (not automatic).
        ok = c.post(
            f"/v1/orders/{order_id}/returns",
            json={"lines": [{"order_line_id": line, "quantity": 1}], "reason": "damaged", "photos": ["m/1.jpg"]},
        )
        assert (
            ok.status_code == 201 and ok.json()["status"] == "request_pending" and ok.json()["reviewer"] == "operator"
        )


def test_seller_reviews_its_own_and_rejects_only_with_a_reason(
    server: LiveServer, market: Market, world: dict[str, Any]
) -> None:
    order_id, _ = seller_delivered(server, market, world)
    [line] = line_ids(market, order_id)
    with server.client(world["shopper"]) as c:
        ret = c.post(
            f"/v1/orders/{order_id}/returns",
            json={"lines": [{"order_line_id": line, "quantity": 1}], "reason": "defective"},
        ).json()
    assert ret["status"] == "request_pending" and ret["reviewer"] == "seller" and ret["label_payer"] == "seller"
    with server.client(world["stranger"]) as c:
        assert c.post(f"/v1/returns/{ret['id']}/decision", json={"approve": True}).status_code == 404
    with server.client(world["seller"]) as c:
        assert [r["id"] for r in c.get("/v1/returns", params={"status": "request_pending"}).json()["items"]] == [
            ret["id"]
        ]
        nope = c.post(f"/v1/returns/{ret['id']}/decision", json={"approve": False})
        assert nope.status_code == 422
        no = c.post(f"/v1/returns/{ret['id']}/decision", json={"approve": False, "note": "photo shows misuse"})
        assert no.json()["status"] == "rejected" and no.json()["decision_note"] == "photo shows misuse"
        assert c.post(f"/v1/returns/{ret['id']}/decision", json={"approve": True}).status_code == 409
    with server.client(world["shopper"]) as c:  # rejected: the units are free to ask again
        assert c.get(f"/v1/orders/{order_id}/return-eligibility").json()["lines"][0]["returnable_quantity"] == 1


def test_unanswered_request_is_approved_after_48_hours(
    server: LiveServer, market: Market, world: dict[str, Any]
) -> None:
    order_id, _ = seller_delivered(server, market, world)
    [line] = line_ids(market, order_id)
    with server.client(world["shopper"]) as c:
        ret = c.post(
            f"/v1/orders/{order_id}/returns",
            json={"lines": [{"order_line_id": line, "quantity": 1}], "reason": "damaged"},
        ).json()
    run = server.container.run_return_jobs
    assert run(utcnow() + dt.timedelta(hours=47)).approved == []
    assert run(utcnow() + dt.timedelta(hours=49)).approved == [ret["id"]]
    with server.client(world["shopper"]) as c:
        got = c.get(f"/v1/returns/{ret['id']}").json()
        assert got["status"] == "awaiting_buyer_ship" and got["decided_at"]
        assert got["tracking_number"]  # the job bought the label on the platform's behalf
        assert c.post(f"/v1/returns/{got['id']}/label").status_code == 409  # once


def test_refund_sla_refunds_before_inspection_and_grades_still_count(
    server: LiveServer, market: Market, world: dict[str, Any], provider: TestPaymentProvider
) -> None:
    order_id, sku, wid = platform_delivered(server, market, world, qty=1)
    [line] = line_ids(market, order_id)
    with server.client(world["shopper"]) as c:
        ret = c.post(f"/v1/orders/{order_id}/returns", json={"lines": [{"order_line_id": line, "quantity": 1}]}).json()
        c.post(f"/v1/returns/{ret['id']}/ship", json={})
    with server.client(world["operator"]) as c:
        due = c.post(f"/v1/returns/{ret['id']}/receive").json()["refund_due_by"]
    run = server.container.run_return_jobs
    due_at = dt.datetime.fromisoformat(due)
    assert run(due_at - dt.timedelta(hours=1)).refunded == []
    assert run(due_at + dt.timedelta(minutes=1)).refunded == [ret["id"]]
    assert run(due_at + dt.timedelta(days=1)).refunded == []  # once
    assert provider.count("refunded") == 1
    with server.client(world["operator"]) as c:
        graded = c.post(f"/v1/returns/{ret['id']}/inspection", json={"grades": {str(line): "A"}}).json()
    assert graded["status"] == "completed" and graded["lines"][0]["grade"] == "A"
    assert provider.count("refunded") == 1 and stock_at(market.db, sku, wid) == (10, 0)


def test_cheap_items_are_refunded_without_coming_back(
    server: LiveServer, market: Market, world: dict[str, Any]
) -> None:
    order_id, sku, wid = platform_delivered(server, market, world, qty=1, price_cents=599)
    [line] = line_ids(market, order_id)
    with server.client(world["shopper"]) as c:
        ret = c.post(f"/v1/orders/{order_id}/returns", json={"lines": [{"order_line_id": line, "quantity": 1}]}).json()
    assert ret["status"] == "completed" and ret["returnless"] and not ret["tracking_number"]
    assert ret["refund_cents"] > 0 and _payment(market, order_id).refunded_cents == ret["refund_cents"]
    assert stock_at(market.db, sku, wid) == (9, 0)  # nothing comes back to the shelf
    with market.db.transaction() as s:
        assert s.scalar(select(Order.status).where(Order.id == order_id)).value == "RETURNED"  # type: ignore[union-attr]


def test_empty_box_is_receive_rejected_and_the_next_request_goes_to_a_person(
    server: LiveServer, market: Market, world: dict[str, Any], provider: TestPaymentProvider
) -> None:
    first, _, _ = platform_delivered(server, market, world, qty=1)
    second, _, _ = platform_delivered(server, market, world, qty=1)
    with server.client(world["shopper"]) as c:
        ret = c.post(
            f"/v1/orders/{first}/returns",
            json={"lines": [{"order_line_id": line_ids(market, first)[0], "quantity": 1}]},
        ).json()
        c.post(f"/v1/returns/{ret['id']}/ship", json={})
    with server.client(world["operator"]) as c:
        c.post(f"/v1/returns/{ret['id']}/receive")
        got = c.post(f"/v1/returns/{ret['id']}/inspection", json={"outcome": "empty", "note": "box had a brick"}).json()
    assert got["status"] == "receive_rejected" and got["refund_cents"] == 0 and provider.count("refunded") == 0
    with server.client(world["shopper"]) as c:
        nxt = c.post(
            f"/v1/orders/{second}/returns",
            json={"lines": [{"order_line_id": line_ids(market, second)[0], "quantity": 1}]},
        ).json()
    # Not refused: put in front of a person.
    assert nxt["status"] == "request_pending" and "failed_inspection" in nxt["review_flags"]


def test_open_box_resale_creates_a_discounted_variant(
    server: LiveServer, market: Market, world: dict[str, Any]
) -> None:
    order_id, sku = seller_delivered(server, market, world, price_cents=10000)
    [line] = line_ids(market, order_id)
    with market.db.transaction() as s:  # electronics, not beauty: open box is allowed
        from yellowcart.catalog.models import Category, Product

        product_id = s.scalar(select(Variant.product_id).where(Variant.sku == sku))
        cat = Category(slug="audio", name="Audio", path="electronics/audio/")
        s.add(cat)
        s.flush()
        s.get(Product, product_id).category_id = cat.id  # type: ignore[union-attr]
    with server.client(world["shopper"]) as c:
        ret = c.post(f"/v1/orders/{order_id}/returns", json={"lines": [{"order_line_id": line, "quantity": 1}]}).json()
        assert ret["status"] == "awaiting_buyer_ship"
        c.post(f"/v1/returns/{ret['id']}/ship", json={})
    with server.client(world["seller"]) as c:  # the seller's own warehouse receives its returns
        assert c.post(f"/v1/returns/{ret['id']}/receive").status_code == 200
        done = c.post(f"/v1/returns/{ret['id']}/inspection", json={"grades": {str(line): "B"}}).json()
    [rl] = done["lines"]
    assert rl["disposition"] == "open_box" and rl["recovery_cents"] == 7000
    with market.db.transaction() as s:
        twin = s.get(Variant, rl["resale_variant_id"])
        assert twin is not None and twin.sku == f"{sku}-OB" and twin.price_cents == 7000
        assert twin.compare_at_cents == 10000 and twin.options["Condition"] == "Open box"
    # The refunded sales tax comes back from the state: it is not part of the loss.
    assert done["refund_tax_cents"] > 0
    assert done["net_loss_cents"] == done["refund_cents"] - done["refund_tax_cents"] + done["label_cost_cents"] - 7000


def test_policy_rules_are_operator_only_and_validated(
    server: LiveServer, market: Market, world: dict[str, Any]
) -> None:
    rule = {"scope": "category", "key": "electronics/", "settings": {"window_days": 15, "restocking_fee_bps": 1500}}
    with server.client(world["seller"]) as c:
        assert c.put("/v1/operator/return-policy-rules", json=rule).status_code == 403
    with server.client(world["operator"]) as c:
        bad = {**rule, "settings": {"window_days": 1000}}
        assert c.put("/v1/operator/return-policy-rules", json=bad).status_code == 422
        unknown = {**rule, "settings": {"free_pony": True}}
        assert c.put("/v1/operator/return-policy-rules", json=unknown).status_code == 422
        assert c.put("/v1/operator/return-policy-rules", json=rule).status_code == 200
    order_id, _, _ = platform_delivered(server, market, world, qty=1, delivered_at=utcnow() - dt.timedelta(days=20))
    with server.client(world["shopper"]) as c:
        el = c.get(f"/v1/orders/{order_id}/return-eligibility").json()["lines"][0]
    # 20 days after delivery, the electronics window of 15 days is over.
    assert "no_reason" not in el["reasons"] and el["restocking_fee_bps"] == 1500


def test_two_requests_at_once_cannot_take_the_same_units(
    server: LiveServer, market: Market, world: dict[str, Any]
) -> None:
    order_id, _, _ = platform_delivered(server, market, world, qty=1, price_cents=2999)
    [line] = line_ids(market, order_id)
    body = {"lines": [{"order_line_id": line, "quantity": 1}], "reason": "damaged"}
    barrier = threading.Barrier(4)

    def ask() -> int:
        with server.client(world["shopper"]) as c:
            barrier.wait()
            return int(c.post(f"/v1/orders/{order_id}/returns", json=body).status_code)

    with ThreadPoolExecutor(4) as pool:
        codes = sorted(pool.map(lambda _: ask(), range(4)))
    assert codes == [201, 422, 422, 422]
    assert _count_returns(market) == 1


def test_analytics_count_returned_units_value_and_loss(
    server: LiveServer, market: Market, world: dict[str, Any]
) -> None:
    platform_delivered(server, market, world, qty=1, price_cents=2000)  # kept: sold, not returned
    back, _, _ = platform_delivered(server, market, world, qty=2, price_cents=3000)
    [line] = line_ids(market, back)
    with server.client(world["shopper"]) as c:
        ret = c.post(f"/v1/orders/{back}/returns", json={"lines": [{"order_line_id": line, "quantity": 1}]}).json()
        c.post(f"/v1/returns/{ret['id']}/ship", json={})
    with server.client(world["operator"]) as c:
        c.post(f"/v1/returns/{ret['id']}/receive")
        done = c.post(f"/v1/returns/{ret['id']}/inspection", json={"grades": {str(line): "C"}}).json()
        report = c.get("/v1/operator/returns/analytics").json()
        assert c.get("/v1/operator/returns/analytics", params={"from": "2030-01-01T00:00:00"}).status_code == 422
    total = report["total"]
    assert (total["sold_units"], total["returned_units"]) == (3, 1)
    assert total["sold_cents"] == 2000 + 6000 and total["returned_cents"] == done["refund_cents"]
    assert [(r["key"], r["returned_units"]) for r in report["by_reason"]] == [("no_reason", 1)]
    assert [(r["key"], r["sold_units"]) for r in report["by_department"]] == [("electronics", 3)]
    assert report["by_mode"][0]["key"] == "full_custody"
    assert report["net_loss_cents"] == done["net_loss_cents"] and report["returns"] == 1
    assert report["hours_to_refund_p50"] is not None
    with server.client(world["seller"]) as c:
        mine = c.get(f"/v1/sellers/{world['acme']}/returns/analytics").json()
        assert mine["total"]["returned_units"] == 1
    with server.client(world["stranger"]) as c:
        assert c.get(f"/v1/sellers/{world['acme']}/returns/analytics").status_code == 404
        assert c.get("/v1/operator/returns/analytics").status_code == 403


def test_a_return_lost_on_the_way_back_is_refunded_on_proof_of_shipment(
    server: LiveServer, market: Market, world: dict[str, Any], provider: TestPaymentProvider
) -> None:
    order_id, _, _ = platform_delivered(server, market, world, qty=1)
    [line] = line_ids(market, order_id)
    with server.client(world["shopper"]) as c:
        ret = c.post(f"/v1/orders/{order_id}/returns", json={"lines": [{"order_line_id": line, "quantity": 1}]}).json()
        c.post(f"/v1/returns/{ret['id']}/ship", json={})
    run = server.container.run_return_jobs
    assert run(utcnow() + dt.timedelta(days=20)).lost == []
    assert run(utcnow() + dt.timedelta(days=22)).lost == [ret["id"]]
    assert run(utcnow() + dt.timedelta(days=23)).lost == []
    with server.client(world["shopper"]) as c:
        got = c.get(f"/v1/returns/{ret['id']}").json()
    assert got["status"] == "completed" and got["refund_cents"] > 0 and provider.count("refunded") == 1


def test_a_seller_approval_issues_the_label(server: LiveServer, market: Market, world: dict[str, Any]) -> None:
    order_id, _ = seller_delivered(server, market, world)
    [line] = line_ids(market, order_id)
    with server.client(world["shopper"]) as c:
        ret = c.post(
            f"/v1/orders/{order_id}/returns",
            json={"lines": [{"order_line_id": line, "quantity": 1}], "reason": "wrong_item"},
        ).json()
    with server.client(world["seller"]) as c:
        ok = c.post(f"/v1/returns/{ret['id']}/decision", json={"approve": True}).json()
    assert ok["status"] == "awaiting_buyer_ship" and ok["tracking_number"] and ok["label_payer"] == "seller"
