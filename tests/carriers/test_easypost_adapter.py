"""EasyPostCarrier against recorded EasyPost HTTP responses, never the network.

The real ``easypost`` client builds and sends every request with ``requests``; ``responses`` serves the
bodies stored under fixtures/easypost/ (shaped like EasyPost's documented v2 objects) and records what
was sent. Any request without a registered response fails with a ConnectionError instead of leaving
the machine, and ``assert_all_requests_are_fired`` proves every recorded call was made.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
import responses

from yellowcart.fulfillment.carriers.base import Address, Carrier, LabelRequest, Parcel, Rate, TrackingStatus
from yellowcart.fulfillment.carriers.easypost_adapter import EasyPostCarrier, map_status
from yellowcart.fulfillment.carriers.errors import (
    CarrierError,
    CarrierUnavailable,
    NoMatchingRate,
    WebhookPayloadError,
    WebhookSignatureError,
)
from yellowcart.fulfillment.carriers.tracking import fold_events

FIXTURES = Path(__file__).parent / "fixtures" / "easypost"
API = "https://api.easypost.com/v2"
API_KEY = "EZTK5f3c9a1b2d4e6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2"
WEBHOOK_SECRET = "whsec_ÄpfelStrudel-9"  # non-ASCII: EasyPost NFKD-normalises the secret
SHP = "shp_9af92e0bdd6a428f8aba267686ab9cae"
FROM = Address("Yellowcart Reno", "388 Townsend St", "San Francisco", "CA", "94107", company="Yellowcart")
TO = Address("Elizabeth Swan", "179 N Harbor Dr", "Redondo Beach", "CA", "90277")
PARCEL = Parcel(weight_grams=436, length_mm=254, width_mm=203, height_mm=102)
REQUEST = LabelRequest("shipment-41", PARCEL, FROM, TO)


def recorded(name: str) -> tuple[int, dict[str, Any]]:
    data = json.loads((FIXTURES / f"{name}.json").read_text())
    return data["status_code"], data["body"]


def serve(api: responses.RequestsMock, method: str, path: str, name: str) -> None:
    status, body = recorded(name)
    api.add(method, f"{API}{path}", json=body, status=status)


def sent(api: responses.RequestsMock, i: int) -> dict[str, Any]:
    call = api.calls[i]
    assert call.request.headers["Authorization"] == f"Bearer {API_KEY}"
    return json.loads(call.request.body) if call.request.body else {}


@pytest.fixture
def api() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def carrier() -> EasyPostCarrier:
    return EasyPostCarrier(API_KEY, webhook_secret=WEBHOOK_SECRET, timeout_seconds=5)


def test_it_is_a_carrier_and_never_shows_its_key(carrier: EasyPostCarrier) -> None:
    c: Carrier = carrier
    assert c.name == "easypost"
    assert API_KEY not in repr(carrier) and API_KEY not in str(carrier)
    assert repr(carrier) == "EasyPostCarrier(api_key='EZTK***')"
    with pytest.raises(ValueError):
        EasyPostCarrier("", webhook_secret="x")


def test_rates_create_a_shipment_and_map_every_rate(api: responses.RequestsMock, carrier: EasyPostCarrier) -> None:
    serve(api, "POST", "/shipments", "shipment_created")
    rates = carrier.rates(PARCEL, FROM, TO)
    body = sent(api, 0)["shipment"]
    assert body["parcel"] == {"weight": 15.4, "length": 10.0, "width": 8.0, "height": 4.0}
    assert body["to_address"]["zip"] == "90277" and body["to_address"]["residential"] is True
    assert body["from_address"]["company"] == "Yellowcart" and "street2" not in body["from_address"]
    assert "reference" not in body
    assert [(r.carrier, r.service, r.amount_cents, r.est_days) for r in rates] == [
        ("usps", "GroundAdvantage", 593, 3),
        ("usps", "Priority", 695, 2),
        ("ups", "Ground", 919, 4),  # "9.185" rounds half-up to the cent
        ("fedex", "FEDEX_2_DAY", 2410, 2),
        ("usps", "Express", 3125, None),
    ]
    assert rates[0] == Rate(
        carrier="usps",
        service="GroundAdvantage",
        amount_cents=593,
        est_days=3,
        provider="easypost",
        rate_ref="rate_b936eae682e543b1a6550ea120e81a3e",
        shipment_ref=SHP,
    )


def test_buy_label_buys_exactly_the_quoted_rate(api: responses.RequestsMock, carrier: EasyPostCarrier) -> None:
    serve(api, "POST", "/shipments", "shipment_created")
    serve(api, "POST", f"/shipments/{SHP}/buy", "shipment_bought")
    cheapest = carrier.rates(PARCEL, FROM, TO)[0]
    label = carrier.buy_label(REQUEST, cheapest)
    assert sent(api, 1) == {"rate": {"id": "rate_b936eae682e543b1a6550ea120e81a3e"}}
    assert label.tracking_number == "9400100105442285876350"
    assert (label.carrier, label.service, label.cost_cents) == ("usps", "GroundAdvantage", 593)
    assert label.label_url.startswith("https://easypost-files.s3")
    assert (label.shipment_ref, label.tracker_ref) == (SHP, "trk_1ddd9a69b5d0487ebfc3941639b11b18")
    assert label.tracking_url is not None and label.tracking_url.startswith("https://track.easypost.com/")


def test_buy_label_without_ids_creates_a_referenced_shipment_and_picks_the_same_service(
    api: responses.RequestsMock, carrier: EasyPostCarrier
) -> None:
    serve(api, "POST", "/shipments", "shipment_created")
    serve(api, "POST", f"/shipments/{SHP}/buy", "shipment_bought")
    wanted = Rate("usps", "GroundAdvantage", 600, 3, provider="easypost")
    label = carrier.buy_label(REQUEST, wanted)
    assert sent(api, 0)["shipment"]["reference"] == "shipment-41"
    assert sent(api, 1) == {"rate": {"id": "rate_b936eae682e543b1a6550ea120e81a3e"}}
    assert label.cost_cents == 593  # what EasyPost charged, not the stale quote


def test_buy_label_for_a_service_not_offered_raises_no_matching_rate(
    api: responses.RequestsMock, carrier: EasyPostCarrier
) -> None:
    serve(api, "POST", "/shipments", "shipment_created")
    with pytest.raises(NoMatchingRate, match="no ups NextDayAir rate"):
        carrier.buy_label(REQUEST, Rate("ups", "NextDayAir", 3000, 1, provider="easypost"))


def test_a_retried_purchase_returns_the_label_already_bought(
    api: responses.RequestsMock, carrier: EasyPostCarrier
) -> None:
    serve(api, "POST", f"/shipments/{SHP}/buy", "error_postage_exists_422")
    serve(api, "GET", f"/shipments/{SHP}", "shipment_bought")
    rate = Rate("usps", "GroundAdvantage", 593, 3, "easypost", "rate_b936eae682e543b1a6550ea120e81a3e", SHP)
    assert carrier.buy_label(REQUEST, rate).tracking_number == "9400100105442285876350"


def test_a_failed_purchase_without_a_label_raises_with_the_easypost_code(
    api: responses.RequestsMock, carrier: EasyPostCarrier
) -> None:
    serve(api, "POST", f"/shipments/{SHP}/buy", "error_insufficient_funds_402")
    serve(api, "GET", f"/shipments/{SHP}", "shipment_created")
    rate = Rate("usps", "GroundAdvantage", 593, 3, "easypost", "rate_b936eae682e543b1a6550ea120e81a3e", SHP)
    with pytest.raises(CarrierError) as err:
        carrier.buy_label(REQUEST, rate)
    assert not isinstance(err.value, CarrierUnavailable)
    assert (err.value.code, err.value.http_status) == ("PAYMENT_REQUIRED", 402)
    assert "Insufficient funds" in str(err.value)


def test_an_address_error_is_a_clear_carrier_error(api: responses.RequestsMock, carrier: EasyPostCarrier) -> None:
    serve(api, "POST", "/shipments", "error_address_422")
    with pytest.raises(CarrierError) as err:
        carrier.rates(PARCEL, FROM, TO)
    assert not isinstance(err.value, CarrierUnavailable)
    assert (err.value.code, err.value.http_status) == ("ADDRESS.VERIFY.FAILURE", 422)
    assert "easypost create shipment failed" in str(err.value)
    assert "address: Address not found" in str(err.value)
    assert API_KEY not in str(err.value)


def test_an_inactive_key_is_a_carrier_error_without_the_key(
    api: responses.RequestsMock, carrier: EasyPostCarrier
) -> None:
    serve(api, "POST", "/shipments", "error_apikey_401")
    with pytest.raises(CarrierError) as err:
        carrier.rates(PARCEL, FROM, TO)
    assert (err.value.code, err.value.http_status) == ("APIKEY.INACTIVE", 401)
    assert API_KEY not in str(err.value)


def test_server_errors_and_connection_failures_are_unavailable(
    api: responses.RequestsMock, carrier: EasyPostCarrier
) -> None:
    serve(api, "POST", "/shipments", "error_internal_500")
    with pytest.raises(CarrierUnavailable) as err:
        carrier.rates(PARCEL, FROM, TO)
    assert err.value.http_status == 500
    api.add("POST", f"{API}/trackers", body=requests.ConnectionError("connection reset"))
    with pytest.raises(CarrierUnavailable, match="HttpError"):
        carrier.track("9400100105442285876350")


def test_track_maps_statuses_and_folds_to_delivered(api: responses.RequestsMock, carrier: EasyPostCarrier) -> None:
    serve(api, "POST", "/trackers", "tracker_created")
    events = carrier.track("9400100105442285876350", carrier="usps")
    assert sent(api, 0) == {"tracker": {"tracking_code": "9400100105442285876350", "carrier": "USPS"}}
    statuses = [e.status for e in events]
    assert TrackingStatus.ACCEPTED in statuses and TrackingStatus.EXCEPTION in statuses  # weather_delay
    assert len(events) == 8  # the "unknown" detail carries no information
    state = fold_events(events)
    assert len(state.events) == 7  # the re-sent departure scan is one event
    assert state.status is TrackingStatus.DELIVERED
    assert state.delivered_at == datetime(2023, 12, 1, 19, 2, tzinfo=UTC)
    delivered = state.events[-1]
    assert (delivered.location, delivered.carrier, delivered.description) == (
        "REDONDO BEACH, CA 90277",
        "usps",
        "Delivered, In/At Mailbox",
    )
    assert [e.status for e in state.events][:2] == [TrackingStatus.LABEL_CREATED, TrackingStatus.ACCEPTED]


# ---- webhooks --------------------------------------------------------------------------------------


def easypost_signature(body: bytes, secret: str = WEBHOOK_SECRET) -> str:
    import unicodedata

    key = unicodedata.normalize("NFKD", secret).encode()
    return "hmac-sha256-hex=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def test_a_signed_tracker_webhook_gives_the_same_events_as_polling(
    api: responses.RequestsMock, carrier: EasyPostCarrier
) -> None:
    body = (FIXTURES / "event_tracker_updated.json").read_bytes()
    from_webhook = carrier.parse_webhook(body, {"x-hmac-signature": easypost_signature(body)})
    serve(api, "POST", "/trackers", "tracker_created")
    from_poll = carrier.track("9400100105442285876350")
    assert {e.event_id for e in from_webhook} == {e.event_id for e in from_poll}
    assert fold_events(from_webhook + from_poll) == fold_events(from_poll)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Hmac-Signature": ""},
        {"X-Hmac-Signature": "hmac-sha256-hex=" + "0" * 64},
        {"X-Hmac-Signature": "TAMPERED"},
    ],
    ids=["missing", "empty", "wrong", "garbage"],
)
def test_webhooks_without_a_valid_signature_are_rejected(carrier: EasyPostCarrier, headers: dict[str, str]) -> None:
    body = (FIXTURES / "event_tracker_updated.json").read_bytes()
    with pytest.raises(WebhookSignatureError):
        carrier.parse_webhook(body, headers)


def test_a_tampered_body_or_another_secret_is_rejected(carrier: EasyPostCarrier) -> None:
    body = (FIXTURES / "event_tracker_updated.json").read_bytes()
    signature = easypost_signature(body)
    with pytest.raises(WebhookSignatureError):
        carrier.parse_webhook(body.replace(b'"delivered"', b'"in_transit"'), {"X-Hmac-Signature": signature})
    with pytest.raises(WebhookSignatureError):
        carrier.parse_webhook(body, {"X-Hmac-Signature": easypost_signature(body, "whsec_other")})


def test_other_event_kinds_give_no_events_and_garbage_is_a_payload_error(carrier: EasyPostCarrier) -> None:
    batch = (FIXTURES / "event_batch_updated.json").read_bytes()
    assert carrier.parse_webhook(batch, {"X-Hmac-Signature": easypost_signature(batch)}) == []
    for garbage in (b"not json", b'{"object": "Tracker"}', b'{"object": "Event", "description": "tracker.updated"}'):
        with pytest.raises(WebhookPayloadError):
            carrier.parse_webhook(garbage, {"X-Hmac-Signature": easypost_signature(garbage)})


@pytest.mark.parametrize(
    ("status", "detail", "message", "expected"),
    [
        ("pre_transit", "label_created", "Shipping Label Created", TrackingStatus.LABEL_CREATED),
        ("in_transit", "received_at_origin_facility", "", TrackingStatus.ACCEPTED),
        ("in_transit", "status_update", "Picked Up by Shipping Partner", TrackingStatus.ACCEPTED),
        ("in_transit", "arrived_at_facility", "Arrived", TrackingStatus.IN_TRANSIT),
        ("in_transit", "weather_delay", "", TrackingStatus.EXCEPTION),
        ("out_for_delivery", "out_for_delivery", "", TrackingStatus.OUT_FOR_DELIVERY),
        ("available_for_pickup", "arrived_at_pickup_location", "", TrackingStatus.OUT_FOR_DELIVERY),
        ("delivered", "arrived_at_destination", "", TrackingStatus.DELIVERED),
        ("return_to_sender", "return", "", TrackingStatus.RETURNED_TO_SENDER),
        ("failure", "lost", "", TrackingStatus.LOST),
        ("failure", "damaged", "", TrackingStatus.EXCEPTION),
        ("unknown", "unknown", "", None),
    ],
)
def test_status_mapping(status: str, detail: str, message: str, expected: TrackingStatus | None) -> None:
    assert map_status(status, detail, message) is expected
