"""POST /v1/sellers/{id}/imports/shopify-csv through real HTTP on SQLite and PostgreSQL: multipart and
text/csv uploads, dry runs, who may import for whom, and files refused whole."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from catalog_import.import_world import LEGACY_IMPORTED, categories, fixture, products
from support import LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.catalog.import_api import MAX_UPLOAD_BYTES


@pytest.fixture
def world(market: Market) -> dict[str, Any]:
    acme = market.seller("acme")
    zed = market.seller("zed")
    categories(market.db)
    return {
        "acme": acme,
        "zed": zed,
        "seller": market.user("acme-staff", Role.SELLER, acme),
        "stranger": market.user("zed-staff", Role.SELLER, zed),
        "shopper": market.user("ada", Role.SHOPPER),
        "operator": market.user("ops", Role.OPERATOR),
    }


def _url(seller_id: int) -> str:
    return f"/v1/sellers/{seller_id}/imports/shopify-csv"


def _problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    return body


def test_seller_uploads_its_export_then_the_same_file_changes_nothing(
    server: LiveServer, market: Market, world: dict[str, Any]
) -> None:
    data = fixture("legacy_export.csv")
    with server.client(world["seller"]) as c:
        dry = c.post(
            _url(world["acme"]), params={"dry_run": "true"}, files={"file": ("products.csv", data, "text/csv")}
        )
        assert dry.status_code == 200, dry.text
        assert dry.json()["created"] == 3 and dry.json()["dry_run"] is True
        assert products(market.db, world["acme"]) == {}
        first = c.post(_url(world["acme"]), files={"file": ("products_export_1.csv", data, "text/csv")})
        assert first.status_code == 200, first.text
        body = first.json()
        assert {k: body[k] for k in ("import", "products", "variants", "created", "updated", "skipped")} == {
            "import": "shopify-csv", "products": 5, "variants": 8, "created": 3, "updated": 0, "skipped": 2,
        }  # fmt: skip
        assert {r["handle"] for r in body["results"] if r["outcome"] == "created"} == LEGACY_IMPORTED
        assert [r["row"] for r in body["row_reports"]] == list(range(2, 11))
        again = c.post(_url(world["acme"]), content=data, headers={"Content-Type": "text/csv"})
        assert again.status_code == 200, again.text
        assert (again.json()["created"], again.json()["updated"], again.json()["unchanged"]) == (0, 0, 3)
        listed = c.get("/v1/products", params={"status": "active", "seller_id": world["acme"]}).json()["items"]
        tee = next(p for p in listed if p["title"] == "Classic Heavyweight Tee")
        assert [(v["sku"], v["price_cents"], v["available"]) for v in tee["variants"]] == [
            ("NB-TEE-BLK-S", 2900, 12), ("NB-TEE-BLK-M", 2900, 20), ("NB-TEE-BLK-L", 2800, 0),
        ]  # fmt: skip
        assert tee["category"]["slug"] == "t-shirts"


def test_who_may_import_for_whom(server: LiveServer, market: Market, world: dict[str, Any]) -> None:
    data = fixture("current_export.csv")
    files = {"file": ("p.csv", data, "text/csv")}
    with server.client(world["stranger"]) as c:
        _problem(c.post(_url(world["acme"]), files=files), 404, "not_found")
    with server.client(world["shopper"]) as c:
        _problem(c.post(_url(world["acme"]), files=files), 403, "forbidden")
    with server.client() as c:
        _problem(c.post(_url(world["acme"]), files=files), 401, "unauthorized")
    assert products(market.db) == {}
    with server.client(world["operator"]) as c:
        _problem(c.post(_url(99999), files=files), 404, "not_found")
        made = c.post(_url(world["zed"]), files=files)
        assert made.status_code == 200 and made.json()["created"] == 3, made.text
    assert set(products(market.db, world["zed"])) == {"glow-serum", "cork-yoga-mat", "travel-candle-trio"}


def test_files_refused_whole(server: LiveServer, market: Market, world: dict[str, Any]) -> None:
    url = _url(world["acme"])
    with server.client(world["seller"]) as c:
        body = _problem(c.post(url, content=b"name,email\nAda,ada@example.com\n"), 422, "not_shopify_csv")
        assert "Title" in body["detail"]
        broken = fixture("legacy_export.csv") + b'broken-row,"never closed\r\n'
        assert "malformed" in _problem(c.post(url, content=broken), 422, "not_shopify_csv")["detail"]
        _problem(c.post(url, content="Handle,Title\nmug,Caf\u00e9\n".encode("latin-1")), 422, "not_shopify_csv")
        _problem(c.post(url, content=b""), 422, "invalid_input")
        _problem(c.post(url, files={"other": ("p.csv", b"Handle,Title\n", "text/csv")}), 422, "invalid_input")
        big = b"Handle,Title\n" + b"x" * MAX_UPLOAD_BYTES
        _problem(c.post(url, content=big, headers={"Content-Type": "text/csv"}), 413, "file_too_large")
    assert products(market.db) == {}
