"""Sellers see their promotions' money over real HTTP (SQLite and PostgreSQL): the platform-funded part
as promotion line items on the statement (it is paid to them), their own funded part as memo lines
(already out of the goods they are credited), in the JSON statement and the CSV; the trial balance
carries the platform's promotion expense."""

from __future__ import annotations

import csv
import datetime as dt
import io

from ledger.ledger_world import listing, move
from ledger_promotions.promo_world import offers_of, place_promoted_order, promotion
from shipping.shipping_world import drain
from support import LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.catalog.modes import SellingMode
from yellowcart.ledger.periods import Period
from yellowcart.orders.state import OrderStatus
from yellowcart.promotions.models import PromotionKind as K


def test_statement_shows_who_funded_each_promotion(server: LiveServer, market: Market) -> None:
    acme = market.seller("acme")
    seller = market.user("acme-staff", Role.SELLER, acme)
    ops = market.user("ops", Role.OPERATOR)
    market.user("ada", Role.SHOPPER)
    with server.client(ops) as c:
        r = c.put("/v1/operator/commission-rates/default", json={"commission_bps": 1000, "fee_bps": 0})
        assert r.status_code == 200, r.text
    db, by = server.container.db, market.users["ops"]
    item = listing(market, acme, SellingMode.SELLER_FULFILLED, 2000)
    own = promotion(db, created_by=by, kind=K.COUPON, seller_id=acme, seller_share_bps=10_000, amount_off_cents=500,
                    name="SPRING")  # fmt: skip
    platform = promotion(db, created_by=by, kind=K.FREE_SHIPPING, name="free shipping")
    oid = place_promoted_order(db, market.users["ada"], [(item, 1)], offers_of(db, [own, platform]))
    move(db, oid, OrderStatus.IN_TRANSIT)
    drain(server)
    period = Period.containing(dt.datetime.now(dt.UTC)).label
    owed = 1500 + 599 - 150  # goods paid + the waived fee the platform pays - 10% of $15.00
    with server.client(seller) as c:
        statement = c.get(f"/v1/sellers/{acme}/statements/{period}").json()
        assert statement["closing_balance_cents"] == owed
        assert statement["totals"]["promotion"] == 599 and statement["totals"]["goods"] == 1500
        memo = {(p["promotion_id"], p["kind"]): p for p in statement["promotions"]}
        assert memo[(own, "goods")]["seller_funded_cents"] == 500 and memo[(own, "goods")]["order_id"] == oid
        assert memo[(platform, "shipping")]["platform_funded_cents"] == 599
        rows = list(csv.DictReader(io.StringIO(c.get(f"/v1/sellers/{acme}/statements/{period}.csv").text)))
        closing = next(i for i, row in enumerate(rows) if row["kind"] == "closing_balance")
        assert sum(int(row["amount_cents"]) for row in rows[1:closing]) == owed
        funding = [row for row in rows[closing + 1 :] if row["kind"] == "promotion_funding"]
        assert len(funding) == 2 and all(row["amount_cents"] == "" for row in funding)
        assert any("seller-funded 5.00" in row["memo"] for row in funding)
    with server.client(ops) as c:
        tb = c.get("/v1/operator/ledger/trial-balance").json()
        assert tb["balanced"] and tb["accounts"]["promotion_expense"] == 599
