"""Errors on page URLs are pages, the API's stay RFC 9457 JSON, on SQLite and PostgreSQL: a path segment that
cannot be an id is the 404 page for every web app (shopper, seller centre, operations console), an unknown
address the 404 page, a method a page does not take the 405 page (with Allow), a bad query or form value the
422 page naming the field; under /v1 (and static files) the same mistakes answer problem+json as before."""

from __future__ import annotations

from typing import Annotated, Any

import anyio
import httpx
import pytest
from fastapi import FastAPI, Form, Query

from support import LiveServer, Market
from web.web_client import signed_in
from web_browser.browser_world import PASSWORD, person
from yellowcart.app import create_app
from yellowcart.auth.models import Role
from yellowcart.bootstrap import Container
from yellowcart.http import PathId
from yellowcart.web.pages import is_page


def _page(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert f'data-status="{status}"' in response.text
    assert response.headers["cache-control"] == "no-store"
    return response.text


def _problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == code


def test_bad_ids_in_page_paths_are_the_not_found_page(server: LiveServer, market: Market) -> None:
    acme = market.seller("acme")
    bad = {
        person(market, "shay", Role.SHOPPER): {"/orders/abc": "order", "/orders/0": "order", "/returns/-1": "return"},
        person(market, "sam", Role.SELLER, seller_id=acme): {
            "/seller/promotions/-1": "promotion",
            "/seller/products/abc": "product",
        },
        person(market, "olive", Role.OPERATOR): {
            "/ops/applications/99999999999999999999": "application",
            "/ops/risk/cases/1.5": "case",
        },
    }
    for email, paths in bad.items():
        with signed_in(server, email, PASSWORD) as (c, _):
            for path, thing in paths.items():
                assert f"There is no such {thing}" in _page(c.get(path), 404), path
            if "shay" in email:  # the order page's own query value: a 422 page naming it
                assert "placed: Input should be a valid integer" in _page(c.get("/orders/1?placed=yes"), 422)
    with server.client(follow_redirects=False) as anonymous:  # who may see the page is checked first
        asked = anonymous.get("/orders/abc")
        assert asked.status_code == 303 and asked.headers["location"].startswith("/signin")


def test_unknown_addresses_and_methods_are_pages(server: LiveServer, market: Market) -> None:
    with server.client() as anonymous:
        for path in ("/nope", "/seller/nope", "/ops/nope/1", "/live"):
            assert "Page not found" in _page(anonymous.get(path), 404), path
        wrong = anonymous.request("DELETE", "/status")
        assert "Not allowed here" in _page(wrong, 405) and wrong.headers["allow"] == "GET"


def test_the_api_keeps_problem_json(server: LiveServer) -> None:
    with server.client() as c:
        _problem(c.get("/v1/nope"), 404, "not_found")
        _problem(c.get("/v1/live-rooms/abc"), 422, "validation_error")
        _problem(c.get("/v1/delivery-promise", params={"sku": "A-1", "zip": "nope"}), 422, "validation_error")
        _problem(c.delete("/v1/delivery-promise"), 405, "method_not_allowed")
        missing = c.get("/static/nope.css")
        assert missing.status_code == 404 and not missing.headers["content-type"].startswith("text/html")
        assert c.get("/openapi.json").status_code == 200


class Probe:
    """Requests to an app in process (no server, no lifespan): enough for its routing and error handlers."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://probe") as client:
                return await client.request(method, url, **kwargs)

        return anyio.run(send)

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)


@pytest.fixture
def probe(container: Container) -> Probe:
    """The real app (its handlers as installed) plus a page and an API route that take typed values."""
    app: FastAPI = create_app(container.settings, container)

    @app.get("/probe/{item_id}")
    def page_probe(item_id: PathId, size: Annotated[int, Query(ge=1, le=10)] = 1) -> dict[str, int]:
        return {"item_id": item_id, "size": size}

    @app.post("/probe")
    def form_probe(size: Annotated[int, Form(ge=1)]) -> dict[str, int]:
        return {"size": size}

    @app.get("/v1/probe/{item_id}")
    def api_probe(item_id: PathId, size: Annotated[int, Query(ge=1, le=10)] = 1) -> dict[str, int]:
        return {"item_id": item_id, "size": size}

    return Probe(app)


def test_bad_query_and_form_values_on_pages_are_the_422_page(probe: Probe) -> None:
    assert probe.get("/probe/3", params={"size": "2"}).json() == {"item_id": 3, "size": 2}
    assert "size: Input should be less than or equal to 10" in _page(probe.get("/probe/3", params={"size": 11}), 422)
    assert "size: Input should be a valid integer" in _page(probe.get("/probe/3", params={"size": "x"}), 422)
    assert "size" in _page(probe.post("/probe", data={"size": "0"}), 422)
    assert "There is no such item" in _page(probe.get("/probe/abc", params={"size": "x"}), 404)  # the id first
    _problem(probe.get("/v1/probe/3", params={"size": 11}), 422, "validation_error")
    _problem(probe.get("/v1/probe/abc"), 422, "validation_error")


@pytest.mark.parametrize(
    ("path", "page"),
    [
        ("/", True),
        ("/orders/1", True),
        ("/ops/warehouses", True),
        ("/r/abc", True),
        ("/v1", False),
        ("/v1/orders/1", False),
        ("/openapi.json", False),
        ("/docs", False),
        ("/redoc", False),
        ("/metrics", False),
        ("/healthz", False),
        ("/static/app.css", False),
        ("/static-offline-docs/swagger-ui.css", False),
    ],
)
def test_which_paths_are_pages(path: str, page: bool) -> None:
    assert is_page(path) is page
