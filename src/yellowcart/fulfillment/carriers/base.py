"""The Carrier interface and the values that cross it.

A carrier adapter quotes rates, buys labels, reads tracking and verifies inbound tracking webhooks.
Two implementations: :mod:`.simulated` (built in, deterministic, the default for demo, tests and
benchmarks) and :mod:`.easypost_adapter` (real carriers through EasyPost). Like the payment providers,
adapters hold no database state and are called outside any transaction: no row lock is ever held
across a carrier's network I/O.

Units: weights in grams and dimensions in millimetres (adapters convert to ounces/inches), money in
integer US cents, times timezone-aware UTC.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Protocol

from yellowcart.errors import InvalidInput
from yellowcart.geo import US_STATES

_ZIP = re.compile(r"^\d{5}(-\d{4})?$")
GRAMS_PER_OUNCE = 28.349523125
MM_PER_INCH = 25.4


class TrackingStatus(StrEnum):
    """Where a parcel is, in the order a normal journey goes through the states.

    ``LABEL_CREATED`` is EasyPost's ``pre_transit``: a label exists, the carrier has not scanned it.
    """

    LABEL_CREATED = "label_created"
    ACCEPTED = "accepted"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    EXCEPTION = "exception"
    RETURNED_TO_SENDER = "returned_to_sender"
    LOST = "lost"


#: Once reached, nothing moves a parcel out of these (a late in_transit scan is history, not news).
FINAL_STATUSES = frozenset({TrackingStatus.DELIVERED, TrackingStatus.RETURNED_TO_SENDER})


@dataclass(frozen=True, slots=True)
class Address:
    """A US postal address. ``zip`` is 5 digits or ZIP+4."""

    name: str
    street1: str
    city: str
    state: str
    zip: str
    street2: str = ""
    company: str = ""
    phone: str = ""
    email: str = ""
    residential: bool = True
    country: str = "US"

    def __post_init__(self) -> None:
        if self.country != "US":
            raise InvalidInput("only US addresses are supported", field="country")
        if self.state not in US_STATES:
            raise InvalidInput(f"unknown US state {self.state!r}", field="state")
        if not _ZIP.match(self.zip):
            raise InvalidInput(f"ZIP code must be 5 digits or ZIP+4, got {self.zip!r}", field="zip")
        if not self.street1.strip() or not self.city.strip():
            raise InvalidInput("street and city are required", field="street1")

    @property
    def zip5(self) -> str:
        return self.zip[:5]


@dataclass(frozen=True, slots=True)
class Parcel:
    """One box: weight in grams, outside dimensions in millimetres (0 = unknown, e.g. a soft pack)."""

    weight_grams: int
    length_mm: int = 0
    width_mm: int = 0
    height_mm: int = 0

    def __post_init__(self) -> None:
        if self.weight_grams <= 0:
            raise InvalidInput("parcel weight must be positive", field="weight_grams")
        if min(self.length_mm, self.width_mm, self.height_mm) < 0:
            raise InvalidInput("parcel dimensions must not be negative", field="length_mm")

    @property
    def weight_oz(self) -> float:
        """Ounces rounded up to 0.1 oz: carriers bill by the next unit, never under-declare."""
        return math.ceil(self.weight_grams * 10 / GRAMS_PER_OUNCE - 1e-9) / 10

    @property
    def dims_in(self) -> tuple[float, float, float] | None:
        """(length, width, height) in inches to 0.1, or None when any dimension is unknown."""
        if not (self.length_mm and self.width_mm and self.height_mm):
            return None
        return (_inches(self.length_mm), _inches(self.width_mm), _inches(self.height_mm))


def _inches(mm: int) -> float:
    return round(mm / MM_PER_INCH, 1)


@dataclass(frozen=True, slots=True)
class Rate:
    """A price to ship one parcel with one carrier service.

    ``provider`` is the adapter that quoted it (``simulated``, ``easypost``); ``carrier`` the carrier
    that moves the parcel (``usps``, ``ups``, ``fedex``, ``dhl_express``...); ``rate_ref`` and
    ``shipment_ref`` are the provider's ids needed to buy exactly this rate (EasyPost ``rate_...`` and
    ``shp_...``). ``est_days`` is the carrier's own estimate (None when it gives none): a hint, not
    our promise.
    """

    carrier: str
    service: str
    amount_cents: int
    est_days: int | None
    provider: str
    rate_ref: str | None = None
    shipment_ref: str | None = None
    currency: str = "USD"


@dataclass(frozen=True, slots=True)
class LabelRequest:
    """What to ship. ``reference`` is our shipment id: adapters pass it on (EasyPost ``reference``) and
    the simulated carrier uses it as an idempotency key, so a retried purchase returns the same label."""

    reference: str
    parcel: Parcel
    from_address: Address
    to_address: Address


@dataclass(frozen=True, slots=True)
class Label:
    tracking_number: str
    carrier: str
    service: str
    cost_cents: int
    label_url: str
    provider: str
    shipment_ref: str | None = None
    tracker_ref: str | None = None
    tracking_url: str | None = None


@dataclass(frozen=True, slots=True)
class TrackingEvent:
    """One carrier scan or status change.

    ``event_id`` identifies the event at its source and is what de-duplicates repeated deliveries of
    the same webhook or overlapping polls; adapters whose source has no id derive a stable one from
    the event's content.
    """

    tracking_number: str
    status: TrackingStatus
    occurred_at: datetime
    event_id: str
    description: str = ""
    location: str | None = None
    carrier: str = ""

    def __post_init__(self) -> None:
        if self.occurred_at.tzinfo is None or self.occurred_at.utcoffset() is None:
            raise ValueError("occurred_at must be timezone-aware")
        if self.occurred_at.utcoffset() != timedelta(0):
            object.__setattr__(self, "occurred_at", self.occurred_at.astimezone(UTC))
        if not self.event_id:
            raise ValueError("event_id is required (it de-duplicates events)")


@dataclass(frozen=True, slots=True)
class TrackingState:
    """The current view of one parcel, folded from its events (see :func:`.tracking.fold_events`)."""

    status: TrackingStatus
    updated_at: datetime | None
    delivered_at: datetime | None
    events: tuple[TrackingEvent, ...] = field(default=())

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


class Carrier(Protocol):
    """A shipping provider. Every call may do network I/O: call it outside database transactions."""

    name: str

    def rates(self, parcel: Parcel, from_address: Address, to_address: Address) -> list[Rate]:
        """Every rate the provider offers for this parcel, cheapest first."""
        ...

    def buy_label(self, request: LabelRequest, rate: Rate) -> Label:
        """Buy the label for ``rate`` (one returned by :meth:`rates`). Retrying with the same
        ``request.reference`` never buys twice where the provider lets us tell."""
        ...

    def track(self, tracking_number: str, *, carrier: str | None = None) -> list[TrackingEvent]:
        """Every event known so far for a tracking number (in no particular order)."""
        ...

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> list[TrackingEvent]:
        """Verify the body's signature (raises WebhookSignatureError), then return its events."""
        ...
