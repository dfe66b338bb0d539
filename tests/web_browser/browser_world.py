"""A small market for the browser tests: a seller with a few products, a coupon, and people who sign in
with passwords (the API's own users), plus the steps that ship and deliver an order."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from shipping.shipping_world import drain
from sla.sla_world import scan, shipments_of
from support import LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.auth.service import create_user
from yellowcart.db import utcnow
from yellowcart.promotions.models import CouponCode, Funder, Promotion, PromotionKind, PromotionStatus

PASSWORD = "correct horse battery"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def person(market: Market, name: str, role: Role, seller_id: int | None = None) -> str:
    """A user who signs in with an email and :data:`PASSWORD`; returns the email."""
    email = f"{name}@web.example"
    with market.db.transaction() as s:
        user = create_user(
            s, email=email, display_name=name.title(), role=role, seller_id=seller_id, password=PASSWORD,
            home_zip="10118" if role is Role.SHOPPER else None,
        )  # fmt: skip
        market.users[name] = user.id
    return email


def coupon(market: Market, code: str, *, amount_off_cents: int, min_spend_cents: int = 0) -> int:
    now = utcnow()
    with market.db.transaction() as s:
        p = Promotion(
            kind=PromotionKind.COUPON,
            name=f"Coupon {code}",
            status=PromotionStatus.ACTIVE,
            created_by=next(iter(market.users.values())),
            funder=Funder.PLATFORM,
            seller_share_bps=0,
            starts_at=now - dt.timedelta(hours=1),
            ends_at=now + dt.timedelta(days=7),
            amount_off_cents=amount_off_cents,
            min_spend_cents=min_spend_cents,
        )
        s.add(p)
        s.flush()
        s.add(CouponCode(promotion_id=p.id, code=code))
        return p.id


def ship_and_deliver(server: LiveServer, market: Market, seller_token: str, order_id: int) -> None:
    """The seller buys the label and ships; the carrier scans the parcel accepted, then delivered."""
    drain(server)  # order.paid -> allocation
    with server.client(seller_token) as c:
        [shipment] = c.get("/v1/shipments", params={"status": "allocated"}).json()["items"]
        assert c.post(f"/v1/shipments/{shipment['id']}/label").status_code == 200
        assert c.post(f"/v1/shipments/{shipment['id']}/ship", json={}).status_code == 200
    at = utcnow() - dt.timedelta(hours=2)
    for n, parcel in enumerate(shipments_of(market, order_id)):
        assert parcel.tracking_number
        scan(server, parcel.tracking_number, "accepted", at - dt.timedelta(days=1), eid=f"a{n}")
        scan(server, parcel.tracking_number, "delivered", at, eid=f"d{n}")


def sign_in(page: Any, base_url: str, email: str, password: str = PASSWORD, next_path: str = "") -> None:
    page.goto(f"{base_url}/signin" + (f"?next={next_path}" if next_path else ""))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def shot(page: Any, name: str) -> None:
    """Save the page as docs/screenshots/<name>.png when YC_SCREENSHOTS=1 (the README shows them)."""
    if os.environ.get("YC_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.evaluate("window.scrollTo(0, 0)")  # a sticky header drawn mid-page after an #anchor otherwise
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
