"""The simulated carrier's world: services, a default transit table, and a stochastic delay model.

Nothing here reads the delivery-promise model: the promise must be graded against a carrier it does
not control. The simulated carrier takes its planned transit days from a ``transit_days`` callable
(by default :func:`default_transit_days` below, from published service standards; the network may
inject its own) and adds delays drawn from :class:`DelayModel`, whose parameters come from published
carrier figures with heavier tails than the averages suggest.

Default transit (an approximation, labelled as such): the zone comes from the great-circle distance in
USPS's distance bands (zone 1 up to 50 miles, 2 up to 150, 3 up to 300, 4 up to 600, 5 up to 1,000,
6 up to 1,400, 7 up to 1,800, 8 beyond; USPS computes zones from ZIP3 sectional centres, which these
bands mirror), and the days per zone are *typical* times within each service's published standard:

* ground: USPS Ground Advantage is published as 2-5 business days and UPS Ground as 1-5 by distance
  (UPS time-in-transit maps: about 1 day zone 2, 2-3 days zones 3-4, 3-4 days zones 5-6, 4-5 days zones
  7-8); typical ``(1, 2, 2, 3, 3, 4, 4, 5)``.
* two_day: FedEx 2Day / UPS 2nd Day Air, 2 business days everywhere in the contiguous US.
* next_day: UPS Next Day Air / FedEx Standard Overnight, 1 business day.
* same_day: a local courier within 50 miles, delivered the day it is handed over.

Carrier days skip Sundays (USPS delivers packages Monday to Saturday, UPS and FedEx Ground now
deliver most residential areas on Saturday). Federal holidays are left to the network's calendar.
"""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from yellowcart.errors import InvalidInput
from yellowcart.fulfillment.carriers.base import TrackingEvent, TrackingStatus
from yellowcart.fulfillment.geo import haversine_miles
from yellowcart.fulfillment.transit import ZONE_BANDS_MILES
from yellowcart.geo import lookup_zip

TransitDays = Callable[[str, str, str], int]
"""``transit_days(service, from_zip, to_zip) -> int``: planned carrier days from hand-over to delivery."""
DistanceMiles = Callable[[str, str], float]
"""``distance_miles(from_zip, to_zip) -> float``."""

_DEFAULT_TZ = "America/Chicago"


@dataclass(frozen=True, slots=True)
class SimService:
    """A simulated service level, sold under a real carrier's name so its labels look real.

    Price: ``base + per_lb x (billable lb - 1) + per_zone x (zone - 1)`` cents (list prices of the
    right order for 2024 commercial rates, not any carrier's tariff). ``late_probability`` is the
    share of parcels that miss the standard off-peak for reasons other than weather (see DelayModel).
    """

    name: str
    carrier: str
    title: str
    ups_service_code: str
    base_cents: int
    per_lb_cents: int
    per_zone_cents: int
    typical_days_by_zone: tuple[int, ...]
    late_probability: float
    max_miles: float | None = None


SERVICES: dict[str, SimService] = {
    s.name: s
    for s in (
        SimService("ground", "usps", "USPS Ground Advantage", "03", 480, 55, 45, (1, 2, 2, 3, 3, 4, 4, 5), 0.05),
        SimService("two_day", "fedex", "FedEx 2Day", "02", 1450, 125, 115, (2,) * 8, 0.04),
        SimService("next_day", "ups", "UPS Next Day Air", "01", 2650, 260, 240, (1,) * 8, 0.03),
        SimService("same_day", "ups", "Same-day courier", "01", 1500, 60, 0, (0,) * 8, 0.02, max_miles=50.0),
    )
}


def zone_for_miles(miles: float) -> int:
    """Zone 1..8 from USPS's distance bands (the same bands as the network's transit model: geography,
    not the promise's estimates; the carrier's days below stay its own)."""
    return bisect.bisect_left(ZONE_BANDS_MILES, miles) + 1


def default_distance_miles(from_zip: str, to_zip: str) -> float:
    """Great-circle miles between two ZIPs' centroids (the offline ``zipcodes`` data)."""
    a, b = lookup_zip(from_zip[:5]), lookup_zip(to_zip[:5])
    if a is None or b is None:
        missing = from_zip if a is None else to_zip
        raise InvalidInput(f"unknown ZIP code {missing!r}", field="zip")
    return float(haversine_miles(a.lat, a.lon, b.lat, b.lon))


def make_default_transit(distance_miles: DistanceMiles = default_distance_miles) -> TransitDays:
    """The typical-days table above over any distance function."""

    def transit_days(service: str, from_zip: str, to_zip: str) -> int:
        spec = SERVICES.get(service)
        if spec is None:
            raise InvalidInput(f"unknown service {service!r}", field="service")
        return spec.typical_days_by_zone[zone_for_miles(distance_miles(from_zip, to_zip)) - 1]

    return transit_days


default_transit_days: TransitDays = make_default_transit()


def zip_timezone(zip_code: str) -> ZoneInfo:
    info = lookup_zip(zip_code[:5])
    return ZoneInfo(info.timezone if info and info.timezone else _DEFAULT_TZ)


def is_peak_season(day: date) -> bool:
    """Thanksgiving week to New Year: the crest of carrier volume (UPS and FedEx charge peak surcharges
    from late October into January; the delays concentrate in Cyber Week to Christmas)."""
    return (day.month == 11 and day.day >= 20) or day.month == 12


def is_winter(day: date) -> bool:
    return day.month in (12, 1, 2)


@dataclass(frozen=True, slots=True)
class DelayModel:
    """How late a parcel is against its planned transit, in carrier days (negative = early).

    The draw per parcel is ``raw = jitter + late + weather`` where

    * ``jitter ~ Normal(0, jitter_sd_days)``: day-to-day noise in sorting and linehaul; rounded to whole
      days, 0.25 puts ~2.3% a day early and ~2.3% a day late.
    * ``late``: with the service's ``late_probability`` (x ``peak_late_multiplier`` in peak season) a
      lognormal number of days with median ``late_median_days`` and shape ``late_sigma``: median 1 day,
      90th percentile ~2.8 days, 99th ~6.4 days. Misses cluster at one day with a long tail, which is
      what published on-time figures hide.
    * ``weather``: with ``weather_probability`` (x2 in December-February) 1-3 extra days.

    Calibration: with these defaults about 91% of parcels (a mix of services, off-peak) arrive within
    the planned days and ~88% with the variance doubled; peak season lowers both. Published figures
    are of the same order (approximate, from memory of public reports, to be re-checked before quoting):
    ShipMatrix's holiday on-time measurements have put UPS and FedEx around 94-98% and USPS in the 90s
    in recent peaks; USPS's quarterly service performance reports put its products around 85-95%.
    The tails are deliberately heavier than those averages because an average hides the parcels a
    promise breaks on.

    Beyond delay: ``exception_probability`` (failed delivery attempt, damage, address problem: one
    extra day, of which ``return_probability`` end returned to sender) and ``lost_probability``
    (industry estimates of parcels never delivered are a fraction of a percent; 0.2% here): scans stop,
    and a ``lost`` event is declared ``declare_lost_after_days`` later (None: never, as often in life).

    ``variance_multiplier`` m scales the delay's spread around its mean by sqrt(m), so the delay's
    variance is multiplied by exactly m and its mean is unchanged: 2.0 doubles the variance for the
    promise benchmark's stress run. Transit is clamped at the service minimum (a parcel is never
    delivered before it is handed over).
    """

    jitter_sd_days: float = 0.25
    late_median_days: float = 1.0
    late_sigma: float = 0.8
    peak_late_multiplier: float = 2.0
    weather_probability: float = 0.01
    weather_min_days: float = 1.0
    weather_max_days: float = 3.0
    exception_probability: float = 0.01
    return_probability: float = 0.2
    lost_probability: float = 0.002
    declare_lost_after_days: int | None = 10
    variance_multiplier: float = 1.0

    def __post_init__(self) -> None:
        probabilities = (self.weather_probability, self.exception_probability, self.return_probability)
        if not all(0.0 <= p <= 1.0 for p in (*probabilities, self.lost_probability)):
            raise ValueError("probabilities must be within [0, 1]")
        if self.variance_multiplier < 0 or self.jitter_sd_days < 0 or self.late_sigma < 0:
            raise ValueError("spreads and the variance multiplier must not be negative")

    def late_probability(self, service: SimService, day: date) -> float:
        factor = self.peak_late_multiplier if is_peak_season(day) else 1.0
        return min(1.0, service.late_probability * factor)

    def weather_p(self, day: date) -> float:
        return min(1.0, self.weather_probability * (2.0 if is_winter(day) else 1.0))

    def mean_delay(self, service: SimService, day: date) -> float:
        late_mean = self.late_median_days * math.exp(self.late_sigma**2 / 2)
        weather_mean = (self.weather_min_days + self.weather_max_days) / 2
        return self.late_probability(service, day) * late_mean + self.weather_p(day) * weather_mean

    def sample(self, rng: random.Random, service: SimService, day: date) -> tuple[float, bool]:
        """(delay in days, whether weather caused part of it)."""
        raw = rng.gauss(0.0, self.jitter_sd_days)
        if rng.random() < self.late_probability(service, day):
            raw += rng.lognormvariate(math.log(self.late_median_days), self.late_sigma)
        weather = rng.random() < self.weather_p(day)
        if weather:
            raw += rng.uniform(self.weather_min_days, self.weather_max_days)
        mean = self.mean_delay(service, day)
        return mean + math.sqrt(self.variance_multiplier) * (raw - mean), weather


# ---- the journey ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Journey:
    """Inputs of one simulated parcel's tracking history."""

    tracking_number: str
    carrier: str
    service: SimService
    from_zip: str
    to_zip: str
    label_created_at: datetime
    handed_over_at: datetime | None
    planned_days: int


def add_carrier_days(day: date, days: int) -> date:
    """``day`` plus ``days`` days on which the carrier moves parcels (every day but Sunday)."""
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() != 6:
            days -= 1
    if day.weekday() == 6:
        day += timedelta(days=1)
    return day


def _at(day: date, hour: float, tz: ZoneInfo) -> datetime:
    local = datetime.combine(day, time(0), tzinfo=tz) + timedelta(hours=hour)
    return local.astimezone(UTC)


class _Timeline:
    """Collects events with stable ids (``sim-<tracking number>-<n>``)."""

    def __init__(self, journey: Journey) -> None:
        self.journey = journey
        self.events: list[TrackingEvent] = []

    def add(self, status: TrackingStatus, at: datetime, description: str, zip_code: str | None) -> None:
        self.events.append(
            TrackingEvent(
                tracking_number=self.journey.tracking_number,
                status=status,
                occurred_at=at,
                event_id=f"sim-{self.journey.tracking_number}-{len(self.events):02d}",
                description=description,
                location=zip_code,
                carrier=self.journey.carrier,
            )
        )


def simulate_events(journey: Journey, model: DelayModel, seed: int) -> list[TrackingEvent]:
    """The parcel's whole tracking history, deterministic for (seed, tracking number, hand-over time).

    Times are future-dated: the carrier reveals only those up to its clock (see SimulatedCarrier.track).
    """
    timeline = _Timeline(journey)
    timeline.add(TrackingStatus.LABEL_CREATED, journey.label_created_at, "Shipping label created", journey.from_zip)
    if journey.handed_over_at is None:
        return timeline.events
    handed = journey.handed_over_at.astimezone(UTC)
    rng = random.Random(f"{seed}:{journey.tracking_number}:{handed.isoformat()}")
    origin_tz, dest_tz = zip_timezone(journey.from_zip), zip_timezone(journey.to_zip)
    accepted_at = handed + timedelta(hours=rng.uniform(0.25, 3.0))
    timeline.add(TrackingStatus.ACCEPTED, accepted_at, "Accepted at origin facility", journey.from_zip)
    start = accepted_at.astimezone(origin_tz).date()
    delay, weather = model.sample(rng, journey.service, start)
    minimum = 0 if journey.planned_days == 0 else 1
    days = max(minimum, journey.planned_days + round(delay))
    if rng.random() < model.lost_probability:
        _lose(timeline, rng, model, accepted_at, start, days, origin_tz)
        return timeline.events
    delivery_day = add_carrier_days(start, days)
    _transit_scans(timeline, rng, accepted_at, start, delivery_day, weather, origin_tz)
    _last_mile(timeline, rng, model, accepted_at, same_day=delivery_day == start, day=delivery_day, tz=dest_tz)
    return timeline.events


def _transit_scans(
    timeline: _Timeline,
    rng: random.Random,
    accepted_at: datetime,
    start: date,
    delivery_day: date,
    weather: bool,
    tz: ZoneInfo,
) -> None:
    day = start
    hub = timeline.journey.from_zip
    if delivery_day > start:
        departed = max(accepted_at + timedelta(hours=1), _at(start, rng.uniform(19.0, 23.5), tz))
        timeline.add(TrackingStatus.IN_TRANSIT, departed, "Departed origin facility", hub)
    weather_day = rng.randrange(1, (delivery_day - start).days) if weather and (delivery_day - start).days > 1 else 0
    for offset in range(1, (delivery_day - start).days):
        day = start + timedelta(days=offset)
        if day.weekday() == 6:
            continue
        if offset == weather_day:
            timeline.add(TrackingStatus.EXCEPTION, _at(day, rng.uniform(5.0, 9.0), tz), "Delayed by weather", None)
        scan = _at(day, rng.uniform(10.0, 23.0), tz)
        timeline.add(TrackingStatus.IN_TRANSIT, scan, "In transit to next facility", None)


def _last_mile(
    timeline: _Timeline,
    rng: random.Random,
    model: DelayModel,
    accepted_at: datetime,
    *,
    same_day: bool,
    day: date,
    tz: ZoneInfo,
) -> None:
    dest = timeline.journey.to_zip
    if same_day:
        out = accepted_at + timedelta(hours=rng.uniform(0.5, 1.5))
        delivered = out + timedelta(hours=rng.uniform(0.5, 4.0))
    else:
        timeline.add(TrackingStatus.IN_TRANSIT, _at(day, rng.uniform(3.0, 5.5), tz), "Arrived at delivery unit", dest)
        out = _at(day, rng.uniform(6.5, 9.0), tz)
        delivered = _at(day, rng.uniform(9.5, 20.0), tz)
    timeline.add(TrackingStatus.OUT_FOR_DELIVERY, out, "Out for delivery", dest)
    if rng.random() < model.exception_probability:
        timeline.add(TrackingStatus.EXCEPTION, delivered, "Delivery attempted: no access to delivery location", dest)
        next_day = add_carrier_days(day, 1)
        if rng.random() < model.return_probability:
            returned = _at(next_day, rng.uniform(8.0, 12.0), tz)
            timeline.add(TrackingStatus.RETURNED_TO_SENDER, returned, "Returned to sender: undeliverable", dest)
            return
        out = _at(next_day, rng.uniform(6.5, 9.0), tz)
        timeline.add(TrackingStatus.OUT_FOR_DELIVERY, out, "Out for delivery", dest)
        delivered = _at(next_day, rng.uniform(9.5, 20.0), tz)
    timeline.add(TrackingStatus.DELIVERED, delivered, "Delivered, front door/porch", dest)


def _lose(
    timeline: _Timeline,
    rng: random.Random,
    model: DelayModel,
    accepted_at: datetime,
    start: date,
    days: int,
    tz: ZoneInfo,
) -> None:
    """Scans stop somewhere along the way; optionally the carrier declares the parcel lost later."""
    last = accepted_at
    for offset in range(1, rng.randint(1, max(1, days)) + 1):
        scan = _at(start + timedelta(days=offset - 1), rng.uniform(19.0, 23.5), tz)
        last = max(scan, accepted_at + timedelta(hours=1))
        timeline.add(TrackingStatus.IN_TRANSIT, last, "In transit", None)
    if model.declare_lost_after_days is not None:
        declared = last + timedelta(days=model.declare_lost_after_days)
        timeline.add(TrackingStatus.LOST, declared, "Package could not be located", None)
