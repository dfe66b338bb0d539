"""EINs and ID document numbers never leave in clear: not in any response body (successes, errors,
lists, the operator's queue), not in the logs (captured at DEBUG), not in the database. What is kept
(last four + a keyed hash) still lets operators see the same document or EIN on another seller."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
import structlog
from pydantic import SecretStr
from sqlalchemy import text

from sellers.conftest import PII_KEY
from sellers.onboarding_world import DOC_NUMBER, EIN, ok, sign_up, streak, us_sections
from support import LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.db import Database
from yellowcart.sellers import identity, onboarding
from yellowcart.settings import Settings

BAD_EIN = "07-4918263"  # an unassigned prefix: refused, and must not be echoed either
SECRETS = (EIN, EIN.replace("-", ""), "4918263", DOC_NUMBER, "X9K2-P7Q4-M1", BAD_EIN)
ONBOARDING_TABLES = (
    "seller_applications",
    "seller_id_documents",
    "seller_gmv_days",
    "seller_application_history",
    "outbox_events",
)


@pytest.fixture
def settings(db: Database) -> Settings:
    """Everything logged: a number would have every chance to show up."""
    return Settings(
        database_url=db.url,
        inline_worker=False,
        feed_warmup=False,
        log_level="DEBUG",
        pii_hash_key=SecretStr(PII_KEY),
    )


class Recorder:
    """Every response body the test client receives."""

    def __init__(self) -> None:
        self.bodies: list[str] = []

    def __call__(self, response: httpx.Response) -> None:
        response.read()
        self.bodies.append(response.text)


def _journey(server: LiveServer, market: Market, seen: Recorder) -> int:
    signed = sign_up(server, "glow")
    app_id = int(signed["application"]["id"])
    hooks: dict[str, Any] = {"response": [seen]}
    sections = us_sections()
    sections["document"]["number"] = "x9k2-p7q4-m1"  # spelled loosely: normalised to DOC_NUMBER
    with server.client(signed["token"], event_hooks=hooks) as c:
        ok(c.patch(f"/v1/seller-applications/{app_id}", json=sections))
        bad = c.patch(f"/v1/seller-applications/{app_id}", json={"entity": {**sections["entity"], "ein": BAD_EIN}})
        assert bad.status_code == 422
        bad_doc = {**sections["document"], "number": DOC_NUMBER + "!"}
        assert c.patch(f"/v1/seller-applications/{app_id}", json={"document": bad_doc}).status_code == 422
        ok(c.post(f"/v1/seller-applications/{app_id}/gmv", json={"days": streak(30, 25_000)}))
        ok(c.get(f"/v1/seller-applications/{app_id}"))
        ok(c.get("/v1/seller-applications"))
        ok(c.post(f"/v1/seller-applications/{app_id}/submit"))
    with server.client(market.user("ops", Role.OPERATOR), event_hooks=hooks) as c:
        ok(c.get("/v1/operator/seller-applications"))
        ok(c.get("/v1/seller-applications"))
        ok(c.get(f"/v1/seller-applications/{app_id}"))
        ok(c.post(f"/v1/operator/seller-applications/{app_id}/decision", json={"decision": "approve"}))
    return app_id


def test_numbers_never_appear_in_responses_logs_or_rows(
    server: LiveServer,
    market: Market,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    # A fresh logger proxy picks up this app's DEBUG configuration (module loggers cache their first one).
    monkeypatch.setattr(onboarding, "log", structlog.get_logger("yellowcart.sellers.onboarding"))
    seen = Recorder()
    app_id = _journey(server, market, seen)
    out, err = capfd.readouterr()
    logs = out + err + caplog.text
    assert "seller_application.updated" in logs and "seller_application.status" in logs  # logging was on
    assert any("**-***8263" in body for body in seen.bodies) and any("****Q4M1" in b for b in seen.bodies)
    for secret in SECRETS:
        assert not any(secret in body for body in seen.bodies), secret
        assert secret not in logs, secret
    with market.db.engine.connect() as conn:
        for table in ONBOARDING_TABLES:
            for row in conn.execute(text(f"SELECT * FROM {table}")):  # our own table names
                dumped = repr(tuple(row))
                assert not any(secret in dumped for secret in SECRETS), (table, dumped)
        digest = conn.execute(text("SELECT number_hmac FROM seller_id_documents")).scalar_one()
    expected = identity.document_hash(
        PII_KEY.encode(), doc_type="drivers_license", country="US", state="NY", number=DOC_NUMBER
    )
    assert digest == expected and app_id


def test_operators_see_a_document_or_ein_reused_across_sellers(server: LiveServer, market: Market) -> None:
    ops = market.user("ops", Role.OPERATOR)
    ids = []
    for name, ein in (("first", EIN), ("second", "27-1111111"), ("third", EIN)):
        signed = sign_up(server, name)
        ids.append(signed["application"]["id"])
        with server.client(signed["token"]) as c:
            body = ok(c.patch(f"/v1/seller-applications/{ids[-1]}", json=us_sections(ein=ein)))
            assert body["reuse"] is None  # the seller is not told about other sellers
    with server.client(ops) as c:
        reuse = {a["id"]: a["reuse"] for a in ok(c.get("/v1/seller-applications"))["items"]}
        assert reuse == {
            ids[0]: {"document": 2, "ein": 1},
            ids[1]: {"document": 2, "ein": 0},
            ids[2]: {"document": 2, "ein": 1},
        }
        assert ok(c.get(f"/v1/seller-applications/{ids[1]}"))["reuse"] == {"document": 2, "ein": 0}
