"""API docs work offline: the Swagger UI page loads its assets from the app, never a CDN."""

from __future__ import annotations

import re

from support import LiveServer


def test_docs_assets_are_served_locally(server: LiveServer) -> None:
    with server.client() as c:
        page = c.get("/docs")
        assert page.status_code == 200
        sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert sources and not [s for s in sources if s.startswith("http")], sources
        for src in sources:
            assert c.get(src).status_code == 200, src
        spec = c.get("/openapi.json").json()
        assert spec["info"]["title"] == "yellowcart" and "/v1/checkout" in spec["paths"]
