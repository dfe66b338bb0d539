"""Webhook signatures (EasyPost's X-Hmac-Signature format) for the simulated carrier's webhooks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from yellowcart.fulfillment.carriers import webhooks
from yellowcart.fulfillment.carriers.base import Address, LabelRequest, Parcel, TrackingStatus
from yellowcart.fulfillment.carriers.errors import WebhookPayloadError, WebhookSignatureError
from yellowcart.fulfillment.carriers.simulated import SimulatedCarrier

NOW = datetime(2025, 3, 10, 12, tzinfo=UTC)
RENO = Address("Warehouse", "1 Commerce St", "Reno", "NV", "89501")
NYC = Address("Shopper", "2 W 34th St", "New York", "NY", "10001")


@pytest.fixture
def signed() -> tuple[SimulatedCarrier, bytes, dict[str, str]]:
    carrier = SimulatedCarrier(seed=7, webhook_secret="whsec_test_1", clock=lambda: NOW)
    rate = next(r for r in carrier.rates(Parcel(700), RENO, NYC) if r.service == "ground")
    label = carrier.buy_label(LabelRequest("shp-1", Parcel(700), RENO, NYC), rate)
    carrier.hand_over(label.tracking_number, datetime(2025, 3, 3, 16, tzinfo=UTC))
    body, headers = carrier.webhook_request(label.tracking_number)
    return carrier, body, headers


def test_given_a_signed_webhook_then_events_are_returned(
    signed: tuple[SimulatedCarrier, bytes, dict[str, str]],
) -> None:
    carrier, body, headers = signed
    assert headers["X-Hmac-Signature"].startswith("hmac-sha256-hex=")
    events = carrier.parse_webhook(body, headers)
    assert events[0].status is TrackingStatus.LABEL_CREATED
    assert events[-1].status is TrackingStatus.DELIVERED  # a week later everything has happened
    assert {e.tracking_number for e in events} == {events[0].tracking_number}


def test_header_name_is_case_insensitive(signed: tuple[SimulatedCarrier, bytes, dict[str, str]]) -> None:
    carrier, body, headers = signed
    lowered = {k.lower(): v for k, v in headers.items()}
    assert carrier.parse_webhook(body, lowered)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda body, h: (body.replace(b"delivered", b"exception"), h),
        lambda body, h: (body + b" ", h),
        lambda body, h: (body, {"X-Hmac-Signature": h["X-Hmac-Signature"][:-1] + "0"}),
        lambda body, h: (body, {"X-Hmac-Signature": webhooks.sign(body, "whsec_other")}),
        lambda body, h: (body, {"X-Hmac-Signature": h["X-Hmac-Signature"].removeprefix("hmac-sha256-hex=")}),
    ],
    ids=["body-changed", "body-extended", "signature-changed", "wrong-secret", "prefix-missing"],
)
def test_given_a_tampered_webhook_then_rejected(
    signed: tuple[SimulatedCarrier, bytes, dict[str, str]], tamper: object
) -> None:
    carrier, body, headers = signed
    bad_body, bad_headers = tamper(body, headers)  # type: ignore[operator]
    with pytest.raises(WebhookSignatureError) as err:
        carrier.parse_webhook(bad_body, bad_headers)
    assert err.value.status == 401
    assert err.value.to_problem()["code"] == "invalid_webhook_signature"


@pytest.mark.parametrize("headers", [{}, {"X-Hmac-Signature": ""}, {"Content-Type": "application/json"}])
def test_given_no_signature_then_rejected(
    signed: tuple[SimulatedCarrier, bytes, dict[str, str]], headers: dict[str, str]
) -> None:
    carrier, body, _ = signed
    with pytest.raises(WebhookSignatureError, match="missing X-Hmac-Signature"):
        carrier.parse_webhook(body, headers)


def test_given_a_valid_signature_over_garbage_then_payload_error() -> None:
    carrier = SimulatedCarrier(webhook_secret="s3cret")
    body = b'{"events": [{"status": "teleported"}]}'
    with pytest.raises(WebhookPayloadError):
        carrier.parse_webhook(body, {"X-Hmac-Signature": webhooks.sign(body, "s3cret")})


def test_sign_matches_the_documented_format() -> None:
    # hex HMAC-SHA256 of b"{}" with key b"secret", computed independently with openssl.
    assert webhooks.sign(b"{}", "secret") == (
        "hmac-sha256-hex=" + "77325902caca812dc259733aacd046b73817372c777b8d95b402647474516e13"
    )
