"""In a real browser (headless chromium), what plain HTTP cannot show: an operator opens a warehouse's settings
(a disclosure in its table row), sets a capacity and a cut-off with the browser's number and time inputs and
reads them back; then opens an ended live room, whose page fetches the recap link with htmx, and follows it
to the recap with its chart, named for assistive technology."""

from __future__ import annotations

import re
from typing import Any

from live_rooms.room_world import drain, product_id
from support import LiveServer, Market
from web_browser.browser_world import person, shot, sign_in
from yellowcart.auth.models import Role
from yellowcart.inventory.models import Warehouse


def _ended_room(server: LiveServer, market: Market) -> int:
    shop = market.seller("glow")
    pid = product_id(market, market.product(shop, title="Glow serum"))
    with server.client(market.user("hana", Role.SELLER, seller_id=shop)) as c:
        made = c.post("/v1/content", json={"kind": "live", "title": "Friday drop", "product_ids": [pid]})
        assert made.status_code == 201, made.text
        room_id = int(made.json()["id"])
        for state in ("live", "ended"):
            assert c.patch(f"/v1/content/{room_id}", json={"live_state": state}).status_code == 200
    drain(server)
    return room_id


def test_operator_sets_capacity_and_follows_a_room_to_its_recap(server: LiveServer, market: Market, page: Any) -> None:
    room_id = _ended_room(server, market)
    wh = market.warehouse_ids[0]
    base = server.base_url
    sign_in(page, base, person(market, "olive", Role.OPERATOR))

    page.goto(f"{base}/ops/warehouses")
    row = page.locator(f"#warehouse-{wh}")
    capacity = row.get_by_label("Daily capacity, orders (empty: no limit)")
    assert not capacity.is_visible()  # folded away until asked for
    row.get_by_text("Change").click()
    capacity.fill("75")
    row.get_by_label(re.compile(r"^Cut-off, local time")).fill("11:30")
    row.get_by_role("button", name="Save WH-glow").click()
    page.wait_for_url(re.compile(rf"/ops/warehouses\?done=warehouse_saved#warehouse-{wh}$"))
    assert "Warehouse settings saved" in page.get_by_role("status").inner_text()
    assert "11:30, 1 d" in row.inner_text() and "0 / 75" in row.inner_text()
    with market.db.transaction() as s:
        saved = s.get(Warehouse, wh)
        assert saved is not None and (saved.daily_capacity, saved.cutoff_minutes) == (75, 690)
    shot(page, "ops-warehouses")

    page.goto(f"{base}/live/{room_id}")
    page.get_by_role("link", name="See this room's recap").click()  # swapped in by htmx once the page loaded
    page.wait_for_url(re.compile(rf"/live/{room_id}/recap$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Recap: Friday drop"
    assert page.get_by_role("img", name="Recap chart of Friday drop").count() == 1
    shot(page, "live-recap")
