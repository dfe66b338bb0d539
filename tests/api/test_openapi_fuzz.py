"""schemathesis fuzzes every operation in the app's OpenAPI against the live server: no 5xx, ever,
and every error body is problem+json. Examples are bounded so CI stays fast."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from support import LiveServer, Market
from yellowcart.app import create_app
from yellowcart.auth.models import Role
from yellowcart.bootstrap import bootstrap
from yellowcart.settings import Settings

_spec_app = create_app(
    Settings(database_url="sqlite:///:memory:", inline_worker=False),
    bootstrap(Settings(database_url="sqlite:///:memory:", inline_worker=False)),
)
schema = schemathesis.openapi.from_dict(_spec_app.openapi())


def _tokens(market: Market) -> dict[str, str]:
    seller = market.seller("fuzz")
    market.product(seller, stock=5)
    return {
        "shopper": market.user("fuzz-shopper", Role.SHOPPER),
        "operator": market.user("fuzz-ops", Role.OPERATOR),
        "seller": market.user("fuzz-seller", Role.SELLER, seller),
    }


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_server_errors(case: schemathesis.Case, server: LiveServer, market: Market) -> None:
    if not hasattr(market, "_fuzz_tokens"):
        market._fuzz_tokens = _tokens(market)  # type: ignore[attr-defined]
    tokens = market._fuzz_tokens  # type: ignore[attr-defined]
    path = case.operation.path
    role = "shopper" if path.startswith(("/v1/carts", "/v1/checkout", "/v1/orders")) else "operator"
    if path.startswith(("/v1/inventory", "/v1/products")) and case.method.upper() != "GET":
        role = "seller"
    headers = {"Authorization": f"Bearer {tokens[role]}"}
    if case.headers and "Authorization" in case.headers:
        headers = {}
    # A generous read timeout: this checks for 5xx, not speed (bench/ measures speed), and CI shares
    # two cores between two test workers.
    response = case.call(base_url=server.base_url, headers=headers, timeout=30)
    case.validate_response(response, checks=[not_a_server_error])
    if response.status_code >= 400:
        content_type = response.headers.get("content-type") or [""]
        assert content_type[0].startswith("application/problem+json"), response.text
