"""Transit model (zones from distance, calibration per lane), ZIP geography and the business calendar."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from yellowcart.fulfillment import calendar, geo
from yellowcart.fulfillment.geo import MilitaryZip, UnknownZip, ZipKind, destination, haversine_miles, place_of
from yellowcart.fulfillment.transit import (
    Lane,
    TransitModel,
    calibrated_days,
    observed_quantile,
    prior_days,
    zone,
)


def test_zones_from_distance_bands() -> None:
    assert [zone(m, "NY", "NY") for m in (0, 50, 51, 150, 300, 600, 1000, 1400, 1800, 2500)] == [
        1, 1, 2, 2, 3, 4, 5, 6, 7, 8
    ]  # fmt: skip
    assert zone(2500, "CA", "HI") == 9 and zone(10, "HI", "HI") == 1


def test_prior_refuses_what_a_service_cannot_do() -> None:
    nyc, box = place_of("10118"), place_of("10008")
    assert nyc is not None and box is not None
    assert prior_days("same_day", 60, "NJ", nyc) is None  # beyond the courier's radius
    assert prior_days("next_day", 10, "NJ", box) is None  # air carriers do not deliver PO boxes
    assert prior_days("ground", 10, "NJ", box) == 2
    assert prior_days("teleport", 10, "NJ", nyc) is None


def test_observed_quantile_is_nearest_rank() -> None:
    assert observed_quantile({2: 19, 5: 1}) == 2  # 95% of 20 is rank 19
    assert observed_quantile({2: 18, 5: 2}) == 5
    with pytest.raises(ValueError):
        observed_quantile({})


def test_calibration_shrinks_toward_the_prior() -> None:
    assert calibrated_days(3, {}) == 3
    assert calibrated_days(3, {1: 2}) == 3  # two fast parcels do not move a promise
    assert calibrated_days(3, {1: 200}) == 1  # two hundred do
    assert calibrated_days(3, {6: 1}) == 4  # one late parcel already lengthens it (rounded up)
    assert calibrated_days(3, {6: 100}) == 6


def test_transit_model_uses_its_lane_only() -> None:
    nyc = place_of("10118")
    assert nyc is not None
    model = TransitModel({Lane("900", "101", "ground"): {7: 50}})
    assert model.days("ground", origin_zip="90021", origin_state="CA", dest=nyc, miles=2450) == 7
    assert model.days("two_day", origin_zip="90021", origin_state="CA", dest=nyc, miles=2450) == 2
    assert model.days("ground", origin_zip="91001", origin_state="CA", dest=nyc, miles=2450) == 5


def test_destination_errors_name_the_zip() -> None:
    for bad in ("00000", "abcde", "1234"):
        with pytest.raises(UnknownZip) as unknown:
            destination(bad)
        assert unknown.value.extra["field"] == "zip" and unknown.value.status == 422
    with pytest.raises(MilitaryZip) as military:
        destination("09001")  # APO AE
    assert military.value.code == "military_zip_not_supported"
    assert destination("10008").kind is ZipKind.PO_BOX


def test_zip_index_is_built_once_across_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(geo, "_index", None)
    built: list[geo.ZipIndex] = []
    threads = [threading.Thread(target=lambda: built.append(geo.zip_index())) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(i) for i in built}) == 1 and len(built[0]) > 40_000


def test_distances_are_vectorised_haversine() -> None:
    index = geo.zip_index()
    nyc = index.place("10118")
    assert nyc is not None
    miles = index.distances_from(nyc.lat, nyc.lon)
    assert miles.shape == (len(index),) and miles[index.row["10118"]] == 0
    la = index.row["90021"]
    assert (
        2400 < miles[la] < 2500
        and abs(float(haversine_miles(nyc.lat, nyc.lon, index.lat[la], index.lon[la])) - miles[la]) < 1e-9
    )
    assert 0.6 < index.deliverable_mask().mean() < 0.9


def test_business_calendar() -> None:
    friday, monday = dt.date(2026, 11, 20), dt.date(2026, 11, 23)
    assert calendar.business_days_between(friday, monday) == 1
    assert calendar.add_business_days(dt.date(2026, 11, 25), 1) == dt.date(2026, 11, 27)  # Thanksgiving
    assert not calendar.is_business_day(dt.date(2026, 7, 3))  # Independence Day observed
    assert calendar.on_or_after(dt.date(2026, 12, 25)) == dt.date(2026, 12, 28)
    # cut-off across the daylight-saving change: 14:00 EDT in October, 14:00 EST in November
    assert calendar.local_cutoff(dt.date(2026, 10, 30), 840, "America/New_York").hour == 18
    assert calendar.local_cutoff(dt.date(2026, 11, 2), 840, "America/New_York").hour == 19
    with pytest.raises(ValueError):
        calendar.processing_day(dt.datetime(2026, 11, 17, 12), cutoff_minutes=840, timezone="America/New_York")
