"""US ZIP geography for fulfilment: every ZIP of the offline ``zipcodes`` package in numpy arrays, loaded
once per process (lazily, under a lock) so distance and nearest-warehouse questions are vectorised.

A destination is checked here, at the edge: unknown ZIPs, military post offices (APO/FPO/DPO, "states"
AA/AE/AP) and PO boxes get their own 422 problem codes, so a shopper is told why, not just "no promise".
"""

from __future__ import annotations

import enum
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import zipcodes

from yellowcart.errors import InvalidInput

EARTH_RADIUS_MILES = 3958.8
MILITARY_STATES = frozenset({"AA", "AE", "AP"})
FloatArray = npt.NDArray[np.float64]

# The zipcodes package is untyped; the one call we use, typed.
_list_all: Callable[[], list[dict[str, Any]]] = zipcodes.list_all


class ZipKind(enum.StrEnum):
    STANDARD = "standard"
    PO_BOX = "po_box"
    UNIQUE = "unique"  # one big receiver (a firm, a campus): deliverable like a street address
    MILITARY = "military"


_KINDS = {
    "STANDARD": ZipKind.STANDARD,
    "PO BOX": ZipKind.PO_BOX,
    "UNIQUE": ZipKind.UNIQUE,
    "MILITARY": ZipKind.MILITARY,
}


class UnknownZip(InvalidInput):
    code, title = "unknown_zip", "Unknown ZIP"


class MilitaryZip(InvalidInput):
    code, title = "military_zip_not_supported", "Military ZIPs (APO/FPO/DPO) are not served"


class PoBoxNotDeliverable(InvalidInput):
    code, title = "po_box_not_deliverable", "No carrier service of this network delivers to PO boxes here"


@dataclass(frozen=True, slots=True)
class Place:
    """Where a ZIP is: what the promise needs of it."""

    zip: str
    state: str
    timezone: str
    lat: float
    lon: float
    kind: ZipKind

    @property
    def zip3(self) -> str:
        """The sectional centre facility prefix: carriers' zone charts and our lanes are by ZIP3."""
        return self.zip[:3]


class ZipIndex:
    """All active ZIPs as parallel arrays; row ``i`` of every array is ZIP ``zips[i]``."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        active = [r for r in rows if r.get("active", True)]
        self.zips: list[str] = [r["zip_code"] for r in active]
        self.row: dict[str, int] = {z: i for i, z in enumerate(self.zips)}
        self.states: list[str] = [r["state"] for r in active]
        self.timezones: list[str] = [r.get("timezone") or "" for r in active]
        self.kinds: list[ZipKind] = [_KINDS.get(r.get("zip_code_type") or "", ZipKind.STANDARD) for r in active]
        self.lat: FloatArray = np.array([float(r["lat"]) for r in active], dtype=np.float64)
        self.lon: FloatArray = np.array([float(r["long"]) for r in active], dtype=np.float64)

    def __len__(self) -> int:
        return len(self.zips)

    def place(self, zip_code: str) -> Place | None:
        i = self.row.get(zip_code)
        if i is None:
            return None
        return Place(
            zip=zip_code,
            state=self.states[i],
            timezone=self.timezones[i],
            lat=float(self.lat[i]),
            lon=float(self.lon[i]),
            kind=self.kinds[i],
        )

    def deliverable_mask(self) -> npt.NDArray[np.bool_]:
        """Street-address ZIPs (standard and unique) with a position: the population of shoppers."""
        kinds = np.array([k in (ZipKind.STANDARD, ZipKind.UNIQUE) for k in self.kinds], dtype=np.bool_)
        mask: npt.NDArray[np.bool_] = kinds & ~((self.lat == 0.0) & (self.lon == 0.0))
        return mask

    def zip3_places(self) -> dict[str, Place]:
        """Per ZIP3: the centroid of its street-address ZIPs and its most common state and zone (the
        place a lane's observations are pooled by, since observations keep only ZIP3s)."""
        mask = self.deliverable_mask()
        groups: dict[str, list[int]] = {}
        for i, z in enumerate(self.zips):
            if mask[i]:
                groups.setdefault(z[:3], []).append(i)
        out: dict[str, Place] = {}
        for zip3, rows in groups.items():
            states = Counter(self.states[i] for i in rows)
            zones = Counter(self.timezones[i] for i in rows)
            out[zip3] = Place(
                zip=zip3 + "00",
                state=states.most_common(1)[0][0],
                timezone=zones.most_common(1)[0][0],
                lat=float(self.lat[rows].mean()),
                lon=float(self.lon[rows].mean()),
                kind=ZipKind.STANDARD,
            )
        return out

    def distances_from(self, lat: float, lon: float) -> FloatArray:
        """Miles from one point to every ZIP (one vectorised pass, ~1 ms for 42k ZIPs)."""
        miles: FloatArray = haversine_miles(lat, lon, self.lat, self.lon)
        return miles


_index: ZipIndex | None = None
_zip3: dict[str, Place] | None = None
_lock = threading.Lock()


def zip_index() -> ZipIndex:
    """The process-wide index, built on first use (double-checked so threads build it once)."""
    global _index
    if _index is None:
        with _lock:
            if _index is None:
                _index = ZipIndex(_list_all())
    return _index


def zip3_place(zip3: str) -> Place | None:
    """The centroid place of a ZIP3 (see :meth:`ZipIndex.zip3_places`), or None when it has no street ZIP."""
    global _zip3
    if _zip3 is None:
        places = zip_index().zip3_places()
        with _lock:
            _zip3 = places
    return _zip3.get(zip3)


def haversine_miles(lat1: float | FloatArray, lon1: float | FloatArray, lat2: Any, lon2: Any) -> Any:
    """Great-circle distance in miles; broadcasts over numpy arrays."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dlat, dlon = p2 - p1, np.radians(lon2) - np.radians(lon1)
    a = np.sin(dlat / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def place_of(zip_code: str) -> Place | None:
    """The ZIP's place, or None when it does not exist (or is retired)."""
    if len(zip_code) != 5 or not zip_code.isdigit():
        return None
    return zip_index().place(zip_code)


def destination(zip_code: str, *, field: str = "zip") -> Place:
    """A ship-to ZIP the network may promise to, or a 422 naming why not. PO boxes pass: whether one
    can be served depends on the services (see ``transit.SERVICES``), decided by the promise."""
    place = place_of(zip_code)
    if place is None:
        raise UnknownZip(f"ZIP {zip_code!r} is not a US ZIP code.", field=field)
    if place.kind is ZipKind.MILITARY or place.state in MILITARY_STATES:
        raise MilitaryZip(
            f"ZIP {zip_code} is a military post office ({place.state}); APO/FPO/DPO mail is not served yet.",
            field=field,
        )
    return place
