"""The demo market as the API serves it: every public listing, product page and a shopper's
checkout work on generated data (what `make demo` shows people)."""

from __future__ import annotations

import uuid

from support import LiveServer
from yellowcart.auth.service import create_token
from yellowcart.demo.generate import generate_market


def test_demo_market_through_the_api(server: LiveServer) -> None:
    db = server.container.db
    generate_market(db, seed=7, scale=0.03, progress=False, reset=True)
    with server.client() as c:
        page = c.get("/v1/products", params={"limit": 100})
        assert page.status_code == 200, page.text
        products = page.json()["items"]
        assert products and all(p["status"] == "active" for p in products)
        for p in products[:20]:
            assert c.get(f"/v1/products/{p['id']}").status_code == 200
        assert c.get("/").status_code == 200
        buyable = next(
            p for p in products if p["selling_mode"] != "redirect" and any(v["available"] > 0 for v in p["variants"])
        )
        sku = next(v["sku"] for v in buyable["variants"] if v["available"] > 0)
    from sqlalchemy import select

    from yellowcart.auth.models import Role, User

    with db.transaction() as s:
        shopper = s.scalars(select(User).where(User.role == Role.SHOPPER).order_by(User.id)).first()
        assert shopper is not None
        token, _ = create_token(s, user_id=shopper.id)
    address = {"name": "Demo Shopper", "line1": "1 Main St", "city": "Seattle", "state": "WA", "zip": "98101"}
    with server.client(token) as c:
        r = c.post(
            "/v1/checkout",
            json={"items": [{"sku": sku, "quantity": 1}], "shipping_address": address, "payment_method": "tok_visa"},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        assert r.status_code == 201, r.text
        assert c.get("/v1/orders").status_code == 200
