"""The operations console's warehouse settings over real HTTP on SQLite and PostgreSQL: an operator changes a
warehouse's daily capacity and cut-off from /ops/warehouses (audited, shown on the page), lifts the limit
again; a bad value is refused with the reason next to its field, the form kept as typed, and nothing written;
sellers, shoppers and a form without its CSRF token are refused."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from support import LiveServer, Market
from web.web_client import signed_in
from web_browser.browser_world import PASSWORD, person
from yellowcart.audit.models import AuditEntry
from yellowcart.auth.models import Role
from yellowcart.fulfillment.capacity import AUDIT_ACTION
from yellowcart.inventory.models import Warehouse


def _settings(market: Market, warehouse_id: int) -> tuple[int | None, int]:
    with market.db.transaction() as s:
        row = s.get(Warehouse, warehouse_id)
        assert row is not None
        return row.daily_capacity, row.cutoff_minutes


def _audits(market: Market) -> list[AuditEntry]:
    with market.db.transaction() as s:
        rows = list(s.scalars(select(AuditEntry).where(AuditEntry.action == AUDIT_ACTION).order_by(AuditEntry.id)))
        s.expunge_all()
        return rows


def _html(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def _form(csrf: str, daily_capacity: str, cutoff_local: str) -> dict[str, Any]:
    return {"csrf_token": csrf, "daily_capacity": daily_capacity, "cutoff_local": cutoff_local}


def test_operator_changes_capacity_and_cutoff(server: LiveServer, market: Market) -> None:
    market.seller("acme")
    wh = market.warehouse_ids[0]
    with signed_in(server, person(market, "olive", Role.OPERATOR), PASSWORD) as (c, csrf):
        page = _html(c.get("/ops/warehouses"), 200)
        assert f'action="/ops/warehouses/{wh}/settings"' in page
        assert f'<label for="cap-{wh}">' in page and f'<label for="cutoff-{wh}">' in page
        assert 'name="cutoff_local" type="time" required value="14:00"' in page  # the default cut-off

        done = c.post(f"/ops/warehouses/{wh}/settings", data=_form(csrf, "120", "15:30"))
        assert done.status_code == 303, done.text
        assert done.headers["location"] == f"/ops/warehouses?done=warehouse_saved#warehouse-{wh}"
        assert _settings(market, wh) == (120, 15 * 60 + 30)
        shown = _html(c.get(done.headers["location"]), 200)
        assert "Warehouse settings saved" in shown
        assert "0 / 120" in shown and "15:30, 1 d" in shown and 'value="120"' in shown

        lifted = c.post(f"/ops/warehouses/{wh}/settings", data=_form(csrf, "", "15:30"))
        assert lifted.status_code == 303
        assert _settings(market, wh) == (None, 15 * 60 + 30)
        again = c.post(f"/ops/warehouses/{wh}/settings", data=_form(csrf, "", "15:30"))
        assert again.status_code == 303  # the same values: saved, nothing new to audit

    first, second = _audits(market)
    assert first.actor_id == market.users["olive"] and first.actor_role == "operator"
    assert (first.subject_kind, first.subject_id) == ("warehouse", str(wh))
    assert first.detail["before"] == {"daily_capacity": None, "cutoff_local": "14:00"}
    assert first.detail["after"] == {"daily_capacity": 120, "cutoff_local": "15:30"}
    assert second.detail["before"]["daily_capacity"] == 120 and second.detail["after"]["daily_capacity"] is None


def test_bad_values_are_refused_next_to_their_field_and_write_nothing(server: LiveServer, market: Market) -> None:
    market.seller("acme")
    wh = market.warehouse_ids[0]
    cases = [
        ("-5", "14:00", "cap", "whole number"),
        ("abc", "14:00", "cap", "whole number"),
        ("2.5", "14:00", "cap", "whole number"),
        ("10000001", "14:00", "cap", "at most 10,000,000"),
        ("100", "25:00", "cutoff", "24-hour time"),
        ("100", "", "cutoff", "24-hour time"),
    ]
    with signed_in(server, person(market, "olive", Role.OPERATOR), PASSWORD) as (c, csrf):
        for capacity, cutoff, field, reason in cases:
            page = _html(c.post(f"/ops/warehouses/{wh}/settings", data=_form(csrf, capacity, cutoff)), 422)
            assert f'aria-invalid="true" aria-describedby="{field}-{wh}-error"' in page, capacity
            assert f'<p class="ops-bad" id="{field}-{wh}-error">' in page and reason in page
            assert "<details open>" in page  # the form stays open with what was typed
            assert f'value="{capacity}"' in page and f'value="{cutoff}"' in page
            assert 'role="alert"' in page  # and the reason is announced at the top

        missing = _html(c.post("/ops/warehouses/999999/settings", data=_form(csrf, "5", "14:00")), 404)
        assert "Warehouse 999999 does not exist" in missing
        no_id = _html(c.post("/ops/warehouses/abc/settings", data=_form(csrf, "5", "14:00")), 404)
        assert 'data-status="404"' in no_id
        forged = c.post(f"/ops/warehouses/{wh}/settings", data={"daily_capacity": "5", "cutoff_local": "14:00"})
        assert _html(forged, 403) and "This form has expired" in forged.text

    assert _settings(market, wh) == (None, 14 * 60)
    assert _audits(market) == []


def test_only_operators_change_warehouses(server: LiveServer, market: Market) -> None:
    acme = market.seller("acme")
    wh = market.warehouse_ids[0]
    for email in (person(market, "sam", Role.SELLER, seller_id=acme), person(market, "shay", Role.SHOPPER)):
        with signed_in(server, email, PASSWORD) as (c, csrf):
            assert "Not for your account" in _html(c.get("/ops/warehouses"), 403)
            refused = c.post(f"/ops/warehouses/{wh}/settings", data=_form(csrf, "5", "10:00"))
            assert "Not for your account" in _html(refused, 403)
    with server.client(follow_redirects=False) as anonymous:
        asked = anonymous.post(f"/ops/warehouses/{wh}/settings", data=_form("x", "5", "10:00"))
        assert asked.status_code == 303 and asked.headers["location"].startswith("/signin")
    assert _settings(market, wh) == (None, 14 * 60)
    assert _audits(market) == []
