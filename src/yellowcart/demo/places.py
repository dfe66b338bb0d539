"""Where the demo market's people and warehouses are: real ZIPs, weighted by where Americans live.

The bundled ZIP table has no population, so each state gets its 2020 Census share of shoppers and,
inside a state, ZIPs in its largest metro counties weigh six times more than rural ones. Crude, but
it puts most shoppers around New York, Los Angeles, Chicago, Houston and friends, and it needs no
extra data.
"""

from __future__ import annotations

import random
from bisect import bisect
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate

from yellowcart.geo import US_STATES, ZipInfo, all_zips

#: 2020 Census resident population, thousands.
STATE_POPULATION_K = {
    "AL": 5024, "AK": 733, "AZ": 7152, "AR": 3012, "CA": 39538, "CO": 5774, "CT": 3606, "DE": 990,
    "DC": 690, "FL": 21538, "GA": 10712, "HI": 1455, "ID": 1839, "IL": 12813, "IN": 6786, "IA": 3190,
    "KS": 2938, "KY": 4506, "LA": 4658, "ME": 1362, "MD": 6177, "MA": 7030, "MI": 10077, "MN": 5706,
    "MS": 2961, "MO": 6155, "MT": 1084, "NE": 1962, "NV": 3105, "NH": 1378, "NJ": 9289, "NM": 2118,
    "NY": 20201, "NC": 10439, "ND": 779, "OH": 11799, "OK": 3959, "OR": 4237, "PA": 13003, "RI": 1097,
    "SC": 5118, "SD": 887, "TN": 6911, "TX": 29146, "UT": 3272, "VT": 643, "VA": 8631, "WA": 7705,
    "WV": 1794, "WI": 5894, "WY": 577, "PR": 3286,
}  # fmt: skip

#: The most populous counties (each over ~1 million people), as the ZIP table spells them.
METRO_COUNTIES = frozenset(
    {
        ("CA", "Los Angeles County"), ("CA", "San Diego County"), ("CA", "Orange County"),
        ("CA", "Riverside County"), ("CA", "San Bernardino County"), ("CA", "Santa Clara County"),
        ("CA", "Alameda County"), ("CA", "Sacramento County"), ("CA", "Contra Costa County"),
        ("IL", "Cook County"), ("IL", "DuPage County"), ("TX", "Harris County"), ("TX", "Dallas County"),
        ("TX", "Tarrant County"), ("TX", "Bexar County"), ("TX", "Travis County"), ("TX", "Collin County"),
        ("AZ", "Maricopa County"), ("WA", "King County"), ("FL", "Miami-Dade County"),
        ("FL", "Broward County"), ("FL", "Palm Beach County"), ("FL", "Hillsborough County"),
        ("FL", "Orange County"), ("NY", "Kings County"), ("NY", "Queens County"), ("NY", "New York County"),
        ("NY", "Bronx County"), ("NY", "Suffolk County"), ("NY", "Nassau County"), ("NV", "Clark County"),
        ("MI", "Wayne County"), ("MI", "Oakland County"), ("PA", "Philadelphia County"),
        ("PA", "Allegheny County"), ("MA", "Middlesex County"), ("GA", "Fulton County"),
        ("GA", "Gwinnett County"), ("MN", "Hennepin County"), ("OH", "Franklin County"),
        ("OH", "Cuyahoga County"), ("CO", "Denver County"), ("OR", "Multnomah County"),
        ("UT", "Salt Lake County"), ("NC", "Mecklenburg County"), ("NC", "Wake County"),
        ("MD", "Montgomery County"), ("VA", "Fairfax County"), ("TN", "Shelby County"),
        ("MO", "St. Louis County"), ("DC", "District of Columbia"), ("HI", "Honolulu County"),
    }
)  # fmt: skip
METRO_BOOST = 6.0


@dataclass(frozen=True, slots=True)
class PlatformWarehouse:
    """A platform / 3PL site and its network settings: local cut-off (minutes after midnight), handling
    business days, orders it can pick per day at scale 1.0 (scaled with the market: room for a month of
    ~20,000 orders, bench/promise.py's, where flash-sale days fill the sites), services offered."""

    code: str
    name: str
    line1: str
    city: str
    state: str
    zip: str
    cutoff_minutes: int
    handling_days: int
    capacity_at_scale_1: int
    services: tuple[str, ...]


_AIR = ("ground", "two_day", "next_day")
_METRO = (*_AIR, "same_day")  # a local courier where a big metro sits within 50 miles

#: Platform / 3PL sites in the usual US logistics hubs (real ZIPs; street addresses are made up). They
#: pick the day an order arrives before the cut-off (handling 0), like Amazon-style 3PLs, so next-day
#: air is a next-day promise; the regional hubs close earlier and pick fewer orders a day.
PLATFORM_WAREHOUSES = (
    PlatformWarehouse("YC-NJ1", "Yellowcart Fulfillment Cranbury", "300 Station Rd", "Cranbury", "NJ", "08512",
                      15 * 60, 0, 300, _METRO),
    PlatformWarehouse("YC-CA1", "Yellowcart Fulfillment Ontario", "4100 E Mission Blvd", "Ontario", "CA", "91761",
                      15 * 60, 0, 300, _METRO),
    PlatformWarehouse("YC-TX1", "Yellowcart Fulfillment Alliance", "2700 Eagle Pkwy", "Fort Worth", "TX", "76177",
                      14 * 60, 0, 240, _AIR),
    PlatformWarehouse("YC-IL1", "Yellowcart Fulfillment Joliet", "1750 Mound Rd", "Joliet", "IL", "60436",
                      14 * 60, 0, 240, _AIR),
    PlatformWarehouse("YC-GA1", "Yellowcart Fulfillment McDonough", "900 Industrial Blvd", "McDonough", "GA", "30253",
                      14 * 60, 0, 180, _AIR),
    PlatformWarehouse("YC-WA1", "Yellowcart Fulfillment Kent", "21800 84th Ave S", "Kent", "WA", "98032",
                      13 * 60, 1, 120, _AIR),
    PlatformWarehouse("YC-PA1", "Yellowcart Fulfillment Carlisle", "400 Allen Rd", "Carlisle", "PA", "17013",
                      13 * 60, 1, 120, _AIR),
)  # fmt: skip


class ZipPicker:
    """Draws ZIPs with population-shaped weights from a seeded generator (bisect on cumulative weights)."""

    def __init__(self, zips: tuple[ZipInfo, ...], weights: list[float]) -> None:
        self.zips = zips
        self._cum = list(accumulate(weights))

    def pick(self, rng: random.Random) -> ZipInfo:
        return self.zips[bisect(self._cum, rng.random() * self._cum[-1])]


@lru_cache(maxsize=1)
def zip_picker() -> ZipPicker:
    """ZIPs in the 50 states, DC and Puerto Rico, in a stable order, with their weights."""
    zips = tuple(sorted((z for z in all_zips() if z.state in US_STATES), key=lambda z: z.zip))
    boost = [METRO_BOOST if (z.state, z.county) in METRO_COUNTIES else 1.0 for z in zips]
    per_state: dict[str, float] = {}
    for z, b in zip(zips, boost, strict=True):
        per_state[z.state] = per_state.get(z.state, 0.0) + b
    weights = [STATE_POPULATION_K.get(z.state, 100) * b / per_state[z.state] for z, b in zip(zips, boost, strict=True)]
    return ZipPicker(zips, weights)
