"""A phone sent on a seller application is a contact change: recorded as its keyed hash, never the number."""

from __future__ import annotations

from sqlalchemy import select

from risk_signals.scenarios import KEY
from sellers.onboarding_world import PHONE, sign_up
from support import LiveServer
from yellowcart.db import Database
from yellowcart.risk.signal_models import RiskSignal, SignalKind
from yellowcart.risk.signals import phone_fingerprint
from yellowcart.sellers.policies import seed_markets


def test_application_phone_change_is_a_contact_change(server: LiveServer, db: Database) -> None:
    with db.transaction() as s:
        seed_markets(s)
    signed = sign_up(server, "glow")
    with server.client(signed["token"]) as c:
        r = c.patch(
            f"/v1/seller-applications/{signed['application']['id']}",
            json={"phone": {"phone": PHONE}},
            headers={"X-Device-Id": "glow-laptop-1", "X-Client-Timezone": "America/New_York"},
        )
        assert r.status_code == 200, r.text
        social = {"social": {"platform": "tiktok", "handle": "@glow", "follower_count": 9000}}
        assert c.patch(f"/v1/seller-applications/{signed['application']['id']}", json=social).status_code == 200
    with db.transaction() as s:
        [change] = s.scalars(select(RiskSignal).where(RiskSignal.kind == SignalKind.CONTACT_CHANGE)).all()
    assert (change.seller_id, change.user_id) == (signed["seller_id"], signed["user_id"])
    assert change.fingerprint == phone_fingerprint(KEY, "+12127360142")
    assert change.detail == {"field": "phone"} and change.timezone == "America/New_York"
    assert "7360142" not in str({c.name: getattr(change, c.name) for c in RiskSignal.__table__.columns})
