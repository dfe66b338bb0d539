"""US ZIP geography from the offline ``zipcodes`` package (42,789 ZIPs compiled in)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import zipcodes

US_STATES = frozenset(
    [
        "AL",
        "AK",
        "AZ",
        "AR",
        "CA",
        "CO",
        "CT",
        "DE",
        "DC",
        "FL",
        "GA",
        "HI",
        "ID",
        "IL",
        "IN",
        "IA",
        "KS",
        "KY",
        "LA",
        "ME",
        "MD",
        "MA",
        "MI",
        "MN",
        "MS",
        "MO",
        "MT",
        "NE",
        "NV",
        "NH",
        "NJ",
        "NM",
        "NY",
        "NC",
        "ND",
        "OH",
        "OK",
        "OR",
        "PA",
        "RI",
        "SC",
        "SD",
        "TN",
        "TX",
        "UT",
        "VT",
        "VA",
        "WA",
        "WV",
        "WI",
        "WY",
        "PR",
    ]
)


# The zipcodes package is untyped; these are its two calls we use, typed.
_matching: Callable[[str], list[dict[str, Any]]] = zipcodes.matching
_list_all: Callable[[], list[dict[str, Any]]] = zipcodes.list_all


@dataclass(frozen=True, slots=True)
class ZipInfo:
    zip: str
    city: str
    state: str
    county: str
    timezone: str
    lat: float
    lon: float


@lru_cache(maxsize=65536)
def lookup_zip(zip_code: str) -> ZipInfo | None:
    """The ZIP's place, or None when the ZIP does not exist (or is inactive)."""
    if len(zip_code) != 5 or not zip_code.isdigit():
        return None
    matches = [m for m in _matching(zip_code) if m.get("active", True)]
    if not matches:
        return None
    m = matches[0]
    return ZipInfo(
        zip=m["zip_code"],
        city=m["city"],
        state=m["state"],
        county=m.get("county") or "",
        timezone=m.get("timezone") or "",
        lat=float(m["lat"]),
        lon=float(m["long"]),
    )


@lru_cache(maxsize=1)
def all_zips() -> tuple[ZipInfo, ...]:
    """Every active ZIP (for the demo market and nearest-warehouse indexes)."""
    out = []
    for m in _list_all():
        if not m.get("active", True) or m.get("zip_code_type") not in (None, "STANDARD"):
            continue
        out.append(
            ZipInfo(
                zip=m["zip_code"],
                city=m["city"],
                state=m["state"],
                county=m.get("county") or "",
                timezone=m.get("timezone") or "",
                lat=float(m["lat"]),
                lon=float(m["long"]),
            )
        )
    return tuple(out)
