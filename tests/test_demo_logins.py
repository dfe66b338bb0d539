"""The demo's logins (on the reserved .test domain, which sign-up refuses) can sign in over HTTP."""

from __future__ import annotations

from support import LiveServer, Market
from yellowcart.auth.models import Role, User
from yellowcart.auth.service import hash_password
from yellowcart.demo.people import DEMO_LOGINS


def test_demo_logins_sign_in(server: LiveServer, market: Market) -> None:
    email, password, name = DEMO_LOGINS["operator"]
    with market.db.transaction() as s:
        s.add(User(email=email, display_name=name, role=Role.OPERATOR, password_hash=hash_password(password)))
    with server.client() as c:
        ok = c.post("/v1/auth/tokens", json={"email": email.upper(), "password": password})
        assert ok.status_code == 201, ok.text
        assert ok.json()["role"] == "operator"
        assert c.post("/v1/auth/tokens", json={"email": email, "password": "wrong-password"}).status_code == 401
        assert c.post("/v1/auth/tokens", json={"email": "", "password": "x"}).status_code == 422
        # Sign-up still wants a real address.
        signup = {"email": "new@yellowcart.test", "display_name": "N", "password": "long enough pass"}
        assert c.post("/v1/users", json=signup).status_code == 422
