"""A Carrier backed by EasyPost, using the official ``easypost`` package (v10, ``EasyPostClient``).

Mapping onto the Carrier protocol:

* ``rates`` creates a Shipment (``POST /v2/shipments``) and returns its rates; each Rate keeps the
  EasyPost ``rate_...`` and ``shp_...`` ids so ``buy_label`` buys exactly what was quoted. Carrier
  ``messages`` (one carrier failing to rate) are not errors: the other carriers' rates stand.
* ``buy_label`` buys that rate (``POST /v2/shipments/:id/buy``). When the Rate has no ids (quoted
  earlier, or by another process), a new Shipment is created with our shipment id as ``reference`` and
  the rate with the same carrier and service is bought. If the purchase fails or its outcome is
  unknown, the Shipment is read back: one that already has a label is returned as the result, so a
  retry never leaves a paid label behind and never buys a second one for the same Shipment.
* ``track`` creates a Tracker (``POST /v2/trackers``); EasyPost de-duplicates trackers by tracking
  code and carrier, so this returns the existing tracker's history rather than a new one.
* ``parse_webhook`` verifies ``X-Hmac-Signature`` with the package's own ``easypost.util.
  validate_webhook`` (HMAC-SHA256 of the raw body with the webhook secret, constant-time compare), then
  reads ``tracker.updated`` / ``tracker.created`` events. Other event kinds yield no tracking events.

EasyPost tracking details carry no id, so the event id is a digest of the tracking code, time,
status, status detail, message and location: the same scan seen by a poll and a webhook is one event.

Errors: a timeout, connection failure, 429 or 5xx raises CarrierUnavailable (retrying is safe);
every other API error raises CarrierError with EasyPost's error code and field messages. The API key is
never logged or put in an error message (``repr`` shows only its mode).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from easypost.easypost_client import EasyPostClient
from easypost.errors.api.api_error import ApiError
from easypost.errors.api.http_error import HttpError
from easypost.errors.api.timeout_error import TimeoutError as EasyPostTimeout
from easypost.errors.general.easypost_error import EasyPostError
from easypost.errors.general.signature_verification_error import SignatureVerificationError
from easypost.util import validate_webhook

from yellowcart.fulfillment.carriers import webhooks
from yellowcart.fulfillment.carriers.base import (
    Address,
    Label,
    LabelRequest,
    Parcel,
    Rate,
    TrackingEvent,
    TrackingStatus,
)
from yellowcart.fulfillment.carriers.errors import (
    CarrierError,
    CarrierUnavailable,
    NoMatchingRate,
    WebhookPayloadError,
    WebhookSignatureError,
)

PROVIDER = "easypost"

#: EasyPost carrier names (as they appear on rates and trackers) to ours; others are lower-cased.
_CARRIERS = {
    "usps": "usps",
    "ups": "ups",
    "upsdap": "ups",
    "fedex": "fedex",
    "fedexdefault": "fedex",
    "dhlexpress": "dhl_express",
    "dhlecs": "dhl_ecommerce",
    "dhlecommercesolutions": "dhl_ecommerce",
}
_EASYPOST_CARRIER_NAMES = {"usps": "USPS", "ups": "UPS", "fedex": "FedEx", "dhl_express": "DHLExpress"}

#: EasyPost ``status_detail`` values that mean a delay or a problem while the status stays in_transit.
_EXCEPTION_DETAILS = frozenset(
    {"weather_delay", "delayed", "transit_exception", "missorted", "damaged", "held", "delivery_exception", "refused"}
)
_ACCEPTED_DETAILS = frozenset({"received_at_origin_facility"})
_STATUSES = {
    "pre_transit": TrackingStatus.LABEL_CREATED,
    "in_transit": TrackingStatus.IN_TRANSIT,
    "out_for_delivery": TrackingStatus.OUT_FOR_DELIVERY,
    # At a pickup point awaiting the shopper: the last mile, like a van on its round.
    "available_for_pickup": TrackingStatus.OUT_FOR_DELIVERY,
    "delivered": TrackingStatus.DELIVERED,
    "return_to_sender": TrackingStatus.RETURNED_TO_SENDER,
    "failure": TrackingStatus.EXCEPTION,
    "cancelled": TrackingStatus.EXCEPTION,
    "error": TrackingStatus.EXCEPTION,
}


def map_status(status: str | None, status_detail: str | None, message: str | None) -> TrackingStatus | None:
    """Our status for an EasyPost (status, status_detail); None for ``unknown`` (no information)."""
    detail = (status_detail or "").lower()
    if detail == "lost":
        return TrackingStatus.LOST
    mapped = _STATUSES.get((status or "").lower())
    if mapped is TrackingStatus.IN_TRANSIT:
        if detail in _EXCEPTION_DETAILS:
            return TrackingStatus.EXCEPTION
        text = (message or "").lower()
        if detail in _ACCEPTED_DETAILS or text.startswith(("accepted", "picked up", "origin scan")):
            return TrackingStatus.ACCEPTED
    return mapped


def carrier_code(easypost_name: str | None) -> str:
    name = (easypost_name or "").strip()
    return _CARRIERS.get(name.lower().replace(" ", ""), name.lower())


def _mask(api_key: str) -> str:
    """``EZTK***`` / ``EZAK***`` (test / production key), never any of the secret part."""
    return f"{api_key[:4]}***" if api_key[:4] in {"EZTK", "EZAK"} else "***"


class EasyPostCarrier:
    """Carrier over the EasyPost API. ``api_key`` from settings (``YC_EASYPOST_API_KEY``, a SecretStr:
    pass ``.get_secret_value()``); ``webhook_secret`` is the secret set on the EasyPost webhook."""

    name = PROVIDER

    def __init__(self, api_key: str, *, webhook_secret: str, timeout_seconds: int = 20) -> None:
        if not api_key:
            raise ValueError("an EasyPost API key is required")
        if not webhook_secret:
            raise ValueError("an EasyPost webhook secret is required")
        self._api_key = api_key
        self._webhook_secret = webhook_secret
        self._client = EasyPostClient(api_key, timeout=timeout_seconds)

    def __repr__(self) -> str:
        return f"EasyPostCarrier(api_key={_mask(self._api_key)!r})"

    __str__ = __repr__

    # -- Carrier -------------------------------------------------------------------------------

    def rates(self, parcel: Parcel, from_address: Address, to_address: Address) -> list[Rate]:
        shipment = self._call("create shipment", self._create_shipment, parcel, from_address, to_address, None)
        rates = [_rate(r) for r in shipment.get("rates") or []]
        return sorted((r for r in rates if r is not None), key=lambda r: (r.amount_cents, r.carrier, r.service))

    def buy_label(self, request: LabelRequest, rate: Rate) -> Label:
        shipment_id, rate_id = rate.shipment_ref, rate.rate_ref
        if rate.provider != PROVIDER or not shipment_id or not rate_id:
            shipment = self._call(
                "create shipment",
                self._create_shipment,
                request.parcel,
                request.from_address,
                request.to_address,
                request.reference,
            )
            shipment_id, rate_id = shipment["id"], _matching_rate_id(shipment, rate)
        try:
            bought = self._call("buy label", self._buy, shipment_id, rate_id)
        except CarrierError:
            bought = self._bought_already(shipment_id)
            if bought is None:
                raise
        return _label(bought)

    def track(self, tracking_number: str, *, carrier: str | None = None) -> list[TrackingEvent]:
        params: dict[str, Any] = {"tracking_code": tracking_number}
        if carrier in _EASYPOST_CARRIER_NAMES:
            params["carrier"] = _EASYPOST_CARRIER_NAMES[carrier]
        tracker = self._call("track", lambda: self._client.tracker.create(**params).to_dict())
        return tracker_events(tracker)

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> list[TrackingEvent]:
        signature = webhooks.header(headers, webhooks.SIGNATURE_HEADER)
        if not signature:
            raise WebhookSignatureError(f"missing {webhooks.SIGNATURE_HEADER} header")
        try:
            event = validate_webhook(body, {webhooks.SIGNATURE_HEADER: signature}, self._webhook_secret)
        except SignatureVerificationError:
            raise WebhookSignatureError("webhook signature does not match the body") from None
        except ValueError:  # json.JSONDecodeError after a valid signature
            raise WebhookPayloadError("webhook body is not JSON") from None
        return webhook_events(event)

    # -- calls ---------------------------------------------------------------------------------

    def _create_shipment(self, parcel: Parcel, origin: Address, dest: Address, reference: str | None) -> dict[str, Any]:
        params: dict[str, Any] = {
            "to_address": _address(dest),
            "from_address": _address(origin),
            "parcel": _parcel(parcel),
        }
        if reference:
            params["reference"] = reference
        result: dict[str, Any] = self._client.shipment.create(**params).to_dict()
        return result

    def _buy(self, shipment_id: str, rate_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._client.shipment.buy(shipment_id, rate={"id": rate_id}).to_dict()
        return result

    def _bought_already(self, shipment_id: str) -> dict[str, Any] | None:
        """The shipment if it has a label (an earlier try succeeded), else None."""
        try:
            shipment: dict[str, Any] = self._call(
                "retrieve shipment", lambda: self._client.shipment.retrieve(shipment_id).to_dict()
            )
        except CarrierError:
            return None
        return shipment if shipment.get("postage_label") and shipment.get("tracking_code") else None

    def _call(self, operation: str, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except EasyPostError as err:
            raise self._translate(err, operation) from None

    def _translate(self, err: EasyPostError, operation: str) -> CarrierError:
        status = err.http_status if isinstance(err, ApiError) else None
        code = err.code if isinstance(err, ApiError) else None
        detail = type(err).__name__ + (f", HTTP {status}" if status else "") + (f", code {code}" if code else "")
        fields = _field_errors(err)
        message = f"easypost {operation} failed ({detail}): {err.message or 'no message'}{fields}"
        message = message.replace(self._api_key, _mask(self._api_key))
        unavailable = isinstance(err, EasyPostTimeout | HttpError) or (
            status is not None and (status >= 500 or status == 429)
        )
        kind = CarrierUnavailable if unavailable else CarrierError
        return kind(message, code=code, http_status=status)


# ---- mapping ---------------------------------------------------------------------------------------


def _address(address: Address) -> dict[str, Any]:
    fields = {
        "name": address.name,
        "company": address.company,
        "street1": address.street1,
        "street2": address.street2,
        "city": address.city,
        "state": address.state,
        "zip": address.zip,
        "country": address.country,
        "phone": address.phone,
        "email": address.email,
        "residential": address.residential,
    }
    return {k: v for k, v in fields.items() if v != ""}


def _parcel(parcel: Parcel) -> dict[str, Any]:
    params: dict[str, Any] = {"weight": parcel.weight_oz}
    dims = parcel.dims_in
    if dims is not None:
        params["length"], params["width"], params["height"] = dims
    return params


def _cents(amount: object) -> int | None:
    try:
        return int((Decimal(str(amount)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    except (InvalidOperation, ValueError):
        return None


def _rate(raw: Mapping[str, Any]) -> Rate | None:
    cents = _cents(raw.get("rate"))
    if cents is None or (raw.get("currency") or "USD") != "USD":
        return None
    days = raw.get("delivery_days") or raw.get("est_delivery_days")
    return Rate(
        carrier=carrier_code(raw.get("carrier")),
        service=str(raw.get("service") or ""),
        amount_cents=cents,
        est_days=int(days) if days is not None else None,
        provider=PROVIDER,
        rate_ref=raw.get("id"),
        shipment_ref=raw.get("shipment_id"),
    )


def _matching_rate_id(shipment: Mapping[str, Any], wanted: Rate) -> str:
    for raw in shipment.get("rates") or []:
        if carrier_code(raw.get("carrier")) == wanted.carrier and raw.get("service") == wanted.service:
            return str(raw["id"])
    raise NoMatchingRate(
        f"easypost offered no {wanted.carrier} {wanted.service} rate for shipment {shipment.get('id')}",
        code="RATE.NOT_FOUND",
    )


def _label(shipment: Mapping[str, Any]) -> Label:
    selected = shipment.get("selected_rate") or {}
    postage = shipment.get("postage_label") or {}
    tracker = shipment.get("tracker") or {}
    tracking_code = shipment.get("tracking_code")
    label_url = postage.get("label_url") or postage.get("label_pdf_url")
    if not tracking_code or not label_url:
        raise CarrierError(f"easypost shipment {shipment.get('id')} has no label after purchase", code="LABEL.MISSING")
    return Label(
        tracking_number=str(tracking_code),
        carrier=carrier_code(selected.get("carrier")),
        service=str(selected.get("service") or ""),
        cost_cents=_cents(selected.get("rate")) or 0,
        label_url=str(label_url),
        provider=PROVIDER,
        shipment_ref=shipment.get("id"),
        tracker_ref=tracker.get("id"),
        tracking_url=tracker.get("public_url"),
    )


def _location(raw: Mapping[str, Any] | None) -> str | None:
    if not raw:
        return None
    city, state, zip_code = raw.get("city"), raw.get("state"), raw.get("zip")
    place = ", ".join(p for p in (city, state) if p)
    text = f"{place} {zip_code}".strip() if zip_code else place
    return text or None


def _event_id(tracking_code: str, detail: Mapping[str, Any]) -> str:
    location = detail.get("tracking_location") or {}
    parts = [
        tracking_code,
        detail.get("datetime"),
        detail.get("status"),
        detail.get("status_detail"),
        detail.get("message"),
        location.get("city"),
        location.get("state"),
        location.get("zip"),
    ]
    digest = hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:24]
    return f"ep_{digest}"


def tracker_events(tracker: Mapping[str, Any]) -> list[TrackingEvent]:
    """Our events from an EasyPost Tracker object (its ``tracking_details``)."""
    tracking_code = str(tracker.get("tracking_code") or "")
    carrier = carrier_code(tracker.get("carrier"))
    events = []
    for detail in tracker.get("tracking_details") or []:
        status = map_status(detail.get("status"), detail.get("status_detail"), detail.get("message"))
        when = detail.get("datetime")
        if status is None or not when:
            continue
        events.append(
            TrackingEvent(
                tracking_number=tracking_code,
                status=status,
                occurred_at=datetime.fromisoformat(str(when).replace("Z", "+00:00")),
                event_id=_event_id(tracking_code, detail),
                description=str(detail.get("message") or detail.get("description") or ""),
                location=_location(detail.get("tracking_location")),
                carrier=carrier,
            )
        )
    return events


def webhook_events(event: Mapping[str, Any]) -> list[TrackingEvent]:
    """Tracking events from a verified EasyPost webhook Event; other event kinds give none."""
    if not isinstance(event, Mapping) or event.get("object") != "Event":
        raise WebhookPayloadError("not an EasyPost Event")
    if event.get("description") not in ("tracker.updated", "tracker.created"):
        return []
    result = event.get("result")
    if not isinstance(result, Mapping) or result.get("object") != "Tracker":
        raise WebhookPayloadError("tracker event without a Tracker result")
    try:
        return tracker_events(result)
    except (TypeError, ValueError) as err:
        raise WebhookPayloadError(f"tracker event not understood: {type(err).__name__}") from None


def _field_errors(err: EasyPostError) -> str:
    errors = getattr(err, "errors", None)
    if not isinstance(errors, list) or not errors:
        return ""
    parts = [f"{e.get('field')}: {e.get('message')}" for e in errors if isinstance(e, dict)]
    return f" [{'; '.join(parts)}]" if parts else ""
