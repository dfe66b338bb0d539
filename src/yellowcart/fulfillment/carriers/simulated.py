"""The built-in simulated carrier: rates, labels, tracking and signed webhooks, with no network.

The default for the demo, tests and benchmarks, as the test payment provider is for payments. It
sells the network's service levels (``ground``, ``two_day``, ``next_day``, ``same_day``) under real
carriers' names (USPS Ground Advantage, FedEx 2Day, UPS Next Day Air), so its labels carry tracking
numbers that pass :mod:`.tracking_numbers`. Planned transit comes from an injected
``transit_days(service, from_zip, to_zip)`` callable; delays from :class:`.simulation.DelayModel`.

A parcel's journey starts when it is handed to the carrier (:meth:`SimulatedCarrier.hand_over`, the
warehouse's dispatch scan); until then tracking shows only ``label_created``, which is exactly what
late-dispatch detection looks for. The full history is drawn once, deterministically from the seed and
the tracking number, and revealed as the injected clock passes each event.
"""

from __future__ import annotations

import json
import math
import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

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
from yellowcart.fulfillment.carriers.errors import CarrierError, NoMatchingRate, WebhookPayloadError
from yellowcart.fulfillment.carriers.simulation import (
    SERVICES,
    DelayModel,
    DistanceMiles,
    Journey,
    SimService,
    TransitDays,
    default_distance_miles,
    is_peak_season,
    make_default_transit,
    simulate_events,
    zone_for_miles,
)
from yellowcart.fulfillment.carriers.tracking import fold_events
from yellowcart.fulfillment.carriers.tracking_numbers import (
    fedex12_check_digit,
    ups_check_digit,
    usps_check_digit,
)

PROVIDER = "simulated"
#: Per-parcel peak surcharge (cents) on residential deliveries, like UPS/FedEx demand surcharges.
PEAK_SURCHARGE_CENTS = 65
_DIM_DIVISOR = 166  # cubic inches per pound (USPS, for parcels over one cubic foot)
_UPS_SHIPPER = "YC4R21"
_USPS_MAILER = "902718331"


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class _Shipment:
    label: Label
    journey: Journey
    events: list[TrackingEvent] | None = None


class SimulatedCarrier:
    """A deterministic Carrier. Thread-safe; one instance per process is enough.

    ``seed`` fixes tracking numbers and journeys; ``clock`` decides which events have happened (inject
    a fake clock to run a simulated month in a second); ``webhook_secret`` signs and verifies webhooks.
    """

    name = PROVIDER

    def __init__(
        self,
        *,
        seed: int = 0,
        webhook_secret: str = "whsec_simulated",
        delay_model: DelayModel | None = None,
        transit_days: TransitDays | None = None,
        distance_miles: DistanceMiles = default_distance_miles,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.seed = seed
        self.delay_model = delay_model or DelayModel()
        self._webhook_secret = webhook_secret
        self._distance = distance_miles
        self._transit = transit_days or make_default_transit(distance_miles)
        self._clock = clock
        self._rng = random.Random(f"labels:{seed}")
        self._lock = threading.Lock()
        self._shipments: dict[str, _Shipment] = {}
        self._by_reference: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"SimulatedCarrier(seed={self.seed!r}, delay_model={self.delay_model!r})"

    # -- Carrier -------------------------------------------------------------------------------

    def rates(self, parcel: Parcel, from_address: Address, to_address: Address) -> list[Rate]:
        miles = self._distance(from_address.zip5, to_address.zip5)
        offered = [s for s in SERVICES.values() if s.max_miles is None or miles <= s.max_miles]
        quotes = [self._quote(s, parcel, from_address, to_address, miles) for s in offered]
        return sorted(quotes, key=lambda r: (r.amount_cents, r.service))

    def buy_label(self, request: LabelRequest, rate: Rate) -> Label:
        if rate.provider != PROVIDER or rate.service not in SERVICES:
            raise NoMatchingRate(f"not a simulated rate: {rate.provider}/{rate.service}", code="RATE.INVALID")
        service = SERVICES[rate.service]
        miles = self._distance(request.from_address.zip5, request.to_address.zip5)
        if service.max_miles is not None and miles > service.max_miles:
            raise NoMatchingRate(f"{service.name} does not serve {miles:.0f} miles", code="RATE.UNAVAILABLE")
        quote = self._quote(service, request.parcel, request.from_address, request.to_address, miles)
        with self._lock:
            existing = self._by_reference.get(request.reference)
            if existing is not None:
                return self._existing_label(existing, service)
            tracking_number = self._new_tracking_number(service)
            label = Label(
                tracking_number=tracking_number,
                carrier=service.carrier,
                service=service.name,
                cost_cents=quote.amount_cents,
                label_url=f"simulated://labels/{tracking_number}.pdf",
                provider=PROVIDER,
                shipment_ref=f"simshp_{request.reference}",
                tracker_ref=f"simtrk_{tracking_number}",
            )
            journey = Journey(
                tracking_number=tracking_number,
                carrier=service.carrier,
                service=service,
                from_zip=request.from_address.zip5,
                to_zip=request.to_address.zip5,
                label_created_at=self._clock(),
                handed_over_at=None,
                planned_days=quote.est_days or 0,
            )
            self._shipments[tracking_number] = _Shipment(label, journey)
            self._by_reference[request.reference] = tracking_number
        return label

    def track(self, tracking_number: str, *, carrier: str | None = None) -> list[TrackingEvent]:
        now = self._clock()
        return [e for e in self.journey_events(tracking_number) if e.occurred_at <= now]

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> list[TrackingEvent]:
        webhooks.verify(body, headers, self._webhook_secret)
        try:
            payload = json.loads(body)
            return [_event_from_json(payload, item) for item in payload["events"]]
        except (ValueError, KeyError, TypeError) as err:
            raise WebhookPayloadError(f"not a simulated tracking update: {type(err).__name__}") from None

    # -- simulation ----------------------------------------------------------------------------

    def hand_over(self, tracking_number: str, at: datetime) -> None:
        """The parcel left the warehouse with the carrier at ``at``: its journey starts. Idempotent."""
        if at.tzinfo is None:
            raise ValueError("hand-over time must be timezone-aware")
        with self._lock:
            shipment = self._get(tracking_number)
            if shipment.journey.handed_over_at is None:
                shipment.journey = replace(shipment.journey, handed_over_at=at)
                shipment.events = None

    def journey_events(self, tracking_number: str) -> list[TrackingEvent]:
        """Every event of the parcel's drawn history, including those still in the future."""
        with self._lock:
            shipment = self._get(tracking_number)
            if shipment.events is None:
                shipment.events = simulate_events(shipment.journey, self.delay_model, self.seed)
            return list(shipment.events)

    def delivered_at(self, tracking_number: str) -> datetime | None:
        """When the parcel will be (or was) delivered; None if lost, returned or not handed over."""
        return fold_events(self.journey_events(tracking_number)).delivered_at

    def webhook_request(
        self, tracking_number: str, events: list[TrackingEvent] | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """A signed webhook (body, headers) carrying ``events`` (default: those that happened so far)."""
        events = self.track(tracking_number) if events is None else events
        label = self._label(tracking_number)
        payload = {
            "object": "Event",
            "description": "tracker.updated",
            "tracking_number": tracking_number,
            "carrier": label.carrier,
            "events": [_event_to_json(e) for e in events],
        }
        body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
        return body, {
            webhooks.SIGNATURE_HEADER: webhooks.sign(body, self._webhook_secret),
            "Content-Type": "application/json",
        }

    # -- internals -----------------------------------------------------------------------------

    def _quote(self, service: SimService, parcel: Parcel, origin: Address, dest: Address, miles: float) -> Rate:
        days = self._transit(service.name, origin.zip5, dest.zip5)
        amount = (
            service.base_cents
            + service.per_lb_cents * (_billable_pounds(parcel) - 1)
            + service.per_zone_cents * (zone_for_miles(miles) - 1)
        )
        if dest.residential and is_peak_season(self._clock().date()):
            amount += PEAK_SURCHARGE_CENTS
        return Rate(
            carrier=service.carrier,
            service=service.name,
            amount_cents=amount,
            est_days=days,
            provider=PROVIDER,
            rate_ref=f"simrate_{service.name}",
        )

    def _new_tracking_number(self, service: SimService) -> str:
        while True:
            number = _tracking_number(service, self._rng)
            if number not in self._shipments:
                return number

    def _existing_label(self, tracking_number: str, service: SimService) -> Label:
        label = self._shipments[tracking_number].label
        if label.service != service.name:
            raise CarrierError(
                f"reference already has a {label.service} label ({label.tracking_number})", code="LABEL.EXISTS"
            )
        return label

    def _get(self, tracking_number: str) -> _Shipment:
        shipment = self._shipments.get(tracking_number)
        if shipment is None:
            raise CarrierError(
                f"unknown tracking number {tracking_number!r}", code="TRACKER.NOT_FOUND", http_status=404
            )
        return shipment

    def _label(self, tracking_number: str) -> Label:
        with self._lock:
            return self._get(tracking_number).label


def _billable_pounds(parcel: Parcel) -> int:
    pounds = parcel.weight_oz / 16
    dims = parcel.dims_in
    if dims is not None and dims[0] * dims[1] * dims[2] > 1728:
        pounds = max(pounds, dims[0] * dims[1] * dims[2] / _DIM_DIVISOR)
    return max(1, math.ceil(pounds - 1e-9))


def _digits(rng: random.Random, n: int) -> str:
    return "".join(str(rng.randrange(10)) for _ in range(n))


def _tracking_number(service: SimService, rng: random.Random) -> str:
    """A number in the real carrier's format with a correct check digit."""
    if service.carrier == "usps":
        serial = "94" + "001" + _USPS_MAILER + _digits(rng, 7)
        return serial + str(usps_check_digit(serial))
    if service.carrier == "fedex":
        serial = "7" + _digits(rng, 10)
        return serial + str(fedex12_check_digit(serial))
    body = _UPS_SHIPPER + service.ups_service_code + _digits(rng, 7)
    return "1Z" + body + str(ups_check_digit(body))


def _event_to_json(event: TrackingEvent) -> dict[str, Any]:
    return {
        "id": event.event_id,
        "status": event.status.value,
        "occurred_at": event.occurred_at.isoformat(),
        "description": event.description,
        "location": event.location,
    }


def _event_from_json(payload: dict[str, Any], item: dict[str, Any]) -> TrackingEvent:
    occurred_at = datetime.fromisoformat(item["occurred_at"])
    if occurred_at.tzinfo is None:
        raise ValueError("naive event time")
    return TrackingEvent(
        tracking_number=str(payload["tracking_number"]),
        status=TrackingStatus(item["status"]),
        occurred_at=occurred_at,
        event_id=str(item["id"]),
        description=str(item.get("description") or ""),
        location=item.get("location"),
        carrier=str(payload.get("carrier") or ""),
    )
