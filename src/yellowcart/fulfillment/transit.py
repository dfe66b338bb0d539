"""Transit time per carrier service: business days from hand-over to the carrier to delivery.

**This is an approximation.** Carriers publish zone charts per origin ZIP3 (USPS "Domestic Zone Chart",
UPS "Zone charts") and time-in-transit per zone; we do not ship those tables. Instead the zone comes from
the great-circle distance between the two ZIPs in USPS's distance bands (zone 1 up to 50 miles, 2 up to
150, 3 up to 300, 4 up to 600, 5 up to 1,000, 6 up to 1,400, 7 up to 1,800, 8 beyond; zone 9 to and from
Alaska, Hawaii and the territories), and the days per zone are the upper end of each service's published
service standard (USPS Ground Advantage 2-5 business days, UPS Ground 1-5 by zone, UPS 2nd Day Air /
FedEx 2Day, UPS Next Day Air / FedEx Standard Overnight, a local same-day courier within a radius).
The upper end because a promise must be kept, not merely likely.

Calibration is hierarchical (see :func:`hierarchical_days`). Observed deliveries are pooled at three
levels: the service (as days *over* the prior of each parcel's zone: the service's learnt safety margin),
the (service, zone) pair, and the lane (origin ZIP3, destination ZIP3, service). Each level's estimate is
its observed 97th percentile shrunk toward its parent's estimate, ``(n * p97 + w * parent) / (n + w)``,
and a level with fewer than ``MIN_LEVEL_OBS`` deliveries is skipped (its parcels still count in the
pools above it): the promise rests on the most specific level with enough evidence. Without pools
(:class:`TransitModel` given lanes only) the older lane-only rule applies (:func:`calibrated_days`).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from yellowcart.fulfillment.geo import Place, ZipKind

#: Upper bound (miles) of zones 1..8; beyond the last is zone 8.
ZONE_BANDS_MILES = (50, 150, 300, 600, 1000, 1400, 1800)
NONCONTIGUOUS = frozenset({"AK", "HI", "PR", "VI", "GU", "AS", "MP", "FM", "MH", "PW"})
ZONE_9 = 9

PROMISE_QUANTILE = 0.95
#: The prior counts as this many observed deliveries: after ~10 deliveries a lane speaks for itself half.
PRIOR_WEIGHT = 10
#: The hierarchical levels' quantile, per parcel. Higher than the 95% asked of *orders* because parcels
#: that never arrive (lost, returned after failed attempts) leave no observation yet count as late, and a
#: split order is on time only when all its parcels are: ~1 point for each.
POOL_QUANTILE = 0.97
#: A pooling level speaks only with at least this many deliveries (below, its parent decides).
MIN_LEVEL_OBS = 10


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


def shrink(observed: Mapping[int, int] | None, parent: float, *, weight: int = PRIOR_WEIGHT,
           min_obs: int = MIN_LEVEL_OBS, q: float = POOL_QUANTILE) -> float:  # fmt: skip
    """A level's ``q`` quantile shrunk toward its parent's estimate; the parent itself when the level
    has fewer than ``min_obs`` deliveries."""
    n = sum(observed.values()) if observed else 0
    if not observed or n < min_obs:
        return parent
    return (n * observed_quantile(observed, q) + weight * parent) / (n + weight)


def round_days(value: float, prior: int, *, slower: bool) -> int:
    """``slower`` (the deciding level's quantile is above the prior): rounded up, a promise must be
    kept and lateness is learnt at once; otherwise to the nearest day (speed only with evidence)."""
    days = math.ceil(value - 1e-9) if slower else math.floor(value + 0.5)
    return max(days, 0)


def _enough(observed: Mapping[int, int] | None, min_obs: int) -> bool:
    return bool(observed) and sum(observed.values()) >= min_obs  # type: ignore[union-attr]


def hierarchical_days(
    prior: int,
    *,
    margin: Mapping[int, int] | None = None,
    zone_obs: Mapping[int, int] | None = None,
    lane_obs: Mapping[int, int] | None = None,
    weight: int = PRIOR_WEIGHT,
    min_obs: int = MIN_LEVEL_OBS,
    q: float = POOL_QUANTILE,
) -> int:
    """Transit days from the prior down the hierarchy service -> (service, zone) -> lane.

    ``margin`` is the service's observed days minus each parcel's prior (``{excess: count}``): its
    quantile, shrunk toward no margin, is added to this zone's prior. The (service, zone) quantile is
    shrunk toward that, and the lane's toward the zone's. Levels with fewer than ``min_obs``
    deliveries pass their parent through. The most specific level that speaks decides the rounding
    (:func:`round_days`): up when its quantile is slower than the prior."""
    value, slower = float(prior), False
    if margin is not None and _enough(margin, min_obs):
        value = prior + shrink(margin, 0.0, weight=weight, min_obs=min_obs, q=q)
        slower = observed_quantile(margin, q) > 0
    for observed in (zone_obs, lane_obs):
        if observed is not None and _enough(observed, min_obs):
            value = shrink(observed, value, weight=weight, min_obs=min_obs, q=q)
            slower = observed_quantile(observed, q) > prior
    return round_days(value, prior, slower=slower)


@dataclass(frozen=True, slots=True)
class Pools:
    """Observed deliveries above the lane: ``by_zone[(service, zone)] = {days: count}`` and
    ``margin[service] = {days - prior: count}``."""

    by_zone: Mapping[tuple[str, int], Mapping[int, int]] = field(default_factory=dict)
    margin: Mapping[str, Mapping[int, int]] = field(default_factory=dict)

    @staticmethod
    def build(rows: Iterable[tuple[str, int, int, int]]) -> Pools:
        """From ``(service, zone, business days, count)`` rows (a service with no prior in that zone
        adds to the zone pool only)."""
        by_zone: dict[tuple[str, int], dict[int, int]] = {}
        margin: dict[str, dict[int, int]] = {}
        for service, zone_, days, count in rows:
            seen = by_zone.setdefault((service, zone_), {})
            seen[days] = seen.get(days, 0) + count
            spec = SERVICES.get(service)
            prior = spec.days_by_zone[zone_ - 1] if spec is not None else None
            if prior is not None:
                excess = margin.setdefault(service, {})
                excess[days - prior] = excess.get(days - prior, 0) + count
        return Pools(by_zone, margin)

    def days(self, service: str, prior: int, zone_: int, lane_obs: Mapping[int, int] | None = None) -> int:
        return hierarchical_days(
            prior, margin=self.margin.get(service), zone_obs=self.by_zone.get((service, zone_)), lane_obs=lane_obs
        )


@dataclass(frozen=True, slots=True)
class Lane:
    origin_zip3: str
    dest_zip3: str
    service: str


@dataclass(frozen=True, slots=True)
class TransitModel:
    """The prior plus the observed deliveries of the lanes at hand (``{lane: {days: count}}``) and,
    when given, the pools above the lanes (hierarchical calibration; without them, lane-only)."""

    observations: Mapping[Lane, Mapping[int, int]] = field(default_factory=dict)
    pools: Pools | None = None

    def days(self, service: str, *, origin_zip: str, origin_state: str, dest: Place, miles: float) -> int | None:
        prior = prior_days(service, miles, origin_state, dest)
        if prior is None:
            return None
        seen = self.observations.get(Lane(origin_zip[:3], dest.zip3, service))
        if self.pools is not None:
            return self.pools.days(service, prior, zone(miles, origin_state, dest.state), seen)
        return calibrated_days(prior, seen) if seen else prior
