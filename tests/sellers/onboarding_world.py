"""Helpers for the onboarding tests: sign-ups over HTTP, a complete US application, GMV histories."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx

from support import LiveServer

EIN = "27-4918263"
DOC_NUMBER = "X9K2P7Q4M1"
PHONE = "(212) 736-0142"


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def sign_up(server: LiveServer, name: str, market_code: str = "US") -> dict[str, Any]:
    """A would-be seller signs up; returns the token, ids and the draft application."""
    with server.client() as c:
        body = ok(
            c.post(
                "/v1/seller-signups",
                json={
                    "email": f"{name}@sellers.example.com",
                    "display_name": name.title(),
                    "password": "correct horse battery",
                    "seller_name": f"{name.title()} Shop",
                    "market_code": market_code,
                },
            ),
            201,
        )
    return body


def us_sections(*, doc_number: str = DOC_NUMBER, ein: str = EIN, followers: int = 12_000) -> dict[str, Any]:
    """Every section of a US application that meets the seed policy (GMV aside)."""
    return {
        "entity": {
            "entity_type": "llc",
            "legal_name": "Glow Labs LLC",
            "country": "US",
            "ein": ein,
            "address": {"line1": "350 5th Ave", "city": "New York", "state": "ny", "postal_code": "10118-0110"},
        },
        "document": {
            "type": "drivers_license",
            "number": doc_number,
            "expires_on": (today() + dt.timedelta(days=800)).isoformat(),
            "issuing_country": "US",
            "issuing_state": "NY",
        },
        "phone": {"phone": PHONE},
        "shipping_origin": {"country": "US", "postal_code": "07102"},
        "social": {"platform": "tiktok", "handle": "@glowlabs", "follower_count": followers},
    }


def streak(days: int, cents: int, *, ending: dt.date | None = None) -> list[dict[str, Any]]:
    """``days`` consecutive days of ``cents`` each, ending yesterday (or ``ending``)."""
    last = ending or today() - dt.timedelta(days=1)
    return [{"date": (last - dt.timedelta(days=i)).isoformat(), "gmv_cents": cents} for i in range(days)]


def rules(application: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["kind"]: r for r in application["evaluation"]["rules"]}
