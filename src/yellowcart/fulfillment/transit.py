"""Transit time per carrier service: business days from hand-over to the carrier to delivery.

**This is an approximation.** Carriers publish zone charts per origin ZIP3 (USPS "Domestic Zone Chart",
UPS "Zone charts") and time-in-transit per zone; we do not ship those tables. Instead the zone comes from
the great-circle distance between the two ZIPs in USPS's distance bands (zone 1 up to 50 miles, 2 up to
150, 3 up to 300, 4 up to 600, 5 up to 1,000, 6 up to 1,400, 7 up to 1,800, 8 beyond; zone 9 to and from
Alaska, Hawaii and the territories), and the days per zone are the upper end of each service's published
service standard (USPS Ground Advantage 2-5 business days, UPS Ground 1-5 by zone, UPS 2nd Day Air /
FedEx 2Day, UPS Next Day Air / FedEx Standard Overnight, a local same-day courier within a radius).
The upper end because a promise must be kept, not merely likely.

Calibration: observed deliveries per lane (origin ZIP3, destination ZIP3, service) replace the prior
gradually: the estimate is the observed 95th percentile shrunk toward the prior, weighted by how many
deliveries were seen (see :func:`calibrated_days`).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from yellowcart.fulfillment.geo import Place, ZipKind

#: Upper bound (miles) of zones 1..8; beyond the last is zone 8.
ZONE_BANDS_MILES = (50, 150, 300, 600, 1000, 1400, 1800)
NONCONTIGUOUS = frozenset({"AK", "HI", "PR", "VI", "GU", "AS", "MP", "FM", "MH", "PW"})
ZONE_9 = 9

PROMISE_QUANTILE = 0.95
#: The prior counts as this many observed deliveries: after ~10 deliveries a lane speaks for itself half.
PRIOR_WEIGHT = 10


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    """A carrier service level. ``days_by_zone[z - 1]`` is the transit for zone ``z`` (1..9); ``None``
    means the service does not run there."""

    name: str
    carriers: str
    days_by_zone: tuple[int | None, ...]
    delivers_po_box: bool
    cost_rank: int  # cheaper first when two services deliver the same day
    max_miles: float | None = None


SERVICES: dict[str, ServiceSpec] = {
    s.name: s
    for s in (
        ServiceSpec("ground", "USPS Ground Advantage, UPS Ground", (2, 2, 3, 3, 4, 4, 5, 5, 8), True, 0),
        ServiceSpec("two_day", "UPS 2nd Day Air, FedEx 2Day", (2, 2, 2, 2, 2, 2, 2, 2, 3), False, 1),
        ServiceSpec("next_day", "UPS Next Day Air, FedEx Standard Overnight", (1, 1, 1, 1, 1, 1, 1, 1, 2), False, 2),
        ServiceSpec("same_day", "local courier", (0, 0, None, None, None, None, None, None, None), False, 3, 50.0),
    )
}


def zone(miles: float, origin_state: str, dest_state: str) -> int:
    """Carrier zone 1..9 from distance bands (the approximation described above)."""
    if origin_state != dest_state and (origin_state in NONCONTIGUOUS or dest_state in NONCONTIGUOUS):
        return ZONE_9
    return bisect.bisect_left(ZONE_BANDS_MILES, miles) + 1


def prior_days(service: str, miles: float, origin_state: str, dest: Place) -> int | None:
    """The model's transit days for a service between two places, or None when it cannot serve them."""
    spec = SERVICES.get(service)
    if spec is None:
        return None
    if spec.max_miles is not None and miles > spec.max_miles:
        return None
    if dest.kind is ZipKind.PO_BOX and not spec.delivers_po_box:
        return None
    return spec.days_by_zone[zone(miles, origin_state, dest.state) - 1]


def observed_quantile(observed: Mapping[int, int], q: float = PROMISE_QUANTILE) -> int:
    """The ``q`` quantile of observed transit days (nearest rank, the higher value: no interpolation)."""
    total = sum(observed.values())
    if total <= 0:
        raise ValueError("no observations")
    rank, seen = math.ceil(q * total), 0
    for days in sorted(observed):
        seen += observed[days]
        if seen >= rank:
            return days
    return max(observed)


def calibrated_days(prior: int, observed: Mapping[int, int], *, weight: int = PRIOR_WEIGHT) -> int:
    """Shrink the lane's observed 95th percentile toward the prior: ``(n * p95 + w * prior) / (n + w)``.

    Rounded up when the lane is slower than the prior (lateness is learnt at once: a promise must be
    kept) and to the nearest day when faster (speed is learnt only as evidence accumulates)."""
    n = sum(observed.values())
    if n <= 0:
        return prior
    p95 = observed_quantile(observed)
    blended = (n * p95 + weight * prior) / (n + weight)
    return math.ceil(blended) if p95 > prior else math.floor(blended + 0.5)


@dataclass(frozen=True, slots=True)
class Lane:
    origin_zip3: str
    dest_zip3: str
    service: str


@dataclass(frozen=True, slots=True)
class TransitModel:
    """The prior plus the observed deliveries of the lanes at hand (``{lane: {days: count}}``)."""

    observations: Mapping[Lane, Mapping[int, int]] = field(default_factory=dict)

    def days(self, service: str, *, origin_zip: str, origin_state: str, dest: Place, miles: float) -> int | None:
        prior = prior_days(service, miles, origin_state, dest)
        if prior is None:
            return None
        seen = self.observations.get(Lane(origin_zip[:3], dest.zip3, service))
        return calibrated_days(prior, seen) if seen else prior
