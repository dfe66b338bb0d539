"""Transit model (zones from distance, calibration per lane), ZIP geography and the business calendar."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from yellowcart.fulfillment import calendar, geo
from yellowcart.fulfillment.geo import (
    MilitaryZip,
    UnknownZip,
    ZipKind,
    destination,
    haversine_miles,
    place_of,
    zip3_place,
)
from yellowcart.fulfillment.transit import (
    PRIOR_WEIGHT,
    Lane,
    Pools,
    TransitModel,
    calibrated_days,
    hierarchical_days,
    observed_quantile,
    prior_days,
    shrink,
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


def test_quantile_is_the_high_one_by_default() -> None:
    days = {1: 90, 2: 8, 3: 2}  # 100 deliveries
    assert observed_quantile(days) == 2  # rank 95
    assert observed_quantile(days, 0.99) == 3
    assert observed_quantile(days, 0.5) == 1


def test_shrink_skips_thin_levels_and_weighs_the_parent() -> None:
    assert shrink({3: 9}, 1.0) == 1.0  # 9 deliveries < MIN_LEVEL_OBS: the parent decides
    assert shrink(None, 2.5) == 2.5
    assert shrink({3: 10}, 1.0) == (10 * 3 + PRIOR_WEIGHT * 1) / (10 + PRIOR_WEIGHT)
    assert shrink({3: 990}, 1.0) == pytest.approx(2.98)
    assert shrink({3: 10}, 1.0, min_obs=20) == 1.0


def test_hierarchy_falls_back_from_lane_to_zone_to_service() -> None:
    # nothing observed: the prior
    assert hierarchical_days(1) == 1
    # the service's margin: 95% of next-day parcels took up to 2 days (1 over the prior)
    margin = {0: 900, 1: 100}
    assert hierarchical_days(1, margin=margin) == 2
    # a (service, zone) pool with enough deliveries overrides it, shrunk toward it: all on time
    assert hierarchical_days(1, margin=margin, zone_obs={1: 400}) == 1  # (400*1 + 10*1.99) / 410
    assert hierarchical_days(1, margin=margin, zone_obs={1: 5}) == 2  # too few: the margin holds
    # a lane with enough deliveries overrides its zone; a thin one does not
    assert hierarchical_days(1, margin=margin, zone_obs={1: 400}, lane_obs={3: 30}) == 3
    assert hierarchical_days(1, margin=margin, zone_obs={1: 400}, lane_obs={3: 9}) == 1
    # faster than the prior: rounded to the nearest day, so speed needs evidence
    assert hierarchical_days(5, zone_obs={3: 10}) == 4  # (30 + 50) / 20 = 4.0
    assert hierarchical_days(5, zone_obs={3: 40}) == 3  # (120 + 50) / 50 = 3.4
    # slower: rounded up at once
    assert hierarchical_days(2, zone_obs={3: 10}) == 3  # 2.5


def test_pools_margin_is_days_over_each_zones_prior() -> None:
    # ground: prior 2 in zone 1, 5 in zone 8; both a day late -> a margin of +1 whatever the zone
    pools = Pools.build([("ground", 1, 3, 20), ("ground", 8, 6, 20), ("same_day", 3, 0, 4)])
    assert pools.margin["ground"] == {1: 40}
    assert "same_day" not in pools.margin  # no prior for same-day in zone 3: zone pool only
    assert pools.by_zone[("same_day", 3)] == {0: 4}
    assert pools.days("ground", 4, 5) == 5  # zone 5 unseen: prior 4 + the margin (40*1/50 = 0.8, rounded up)
    nyc = place_of("10118")
    assert nyc is not None
    model = TransitModel({Lane("900", "101", "ground"): {9: 12}}, pools)
    assert model.days("ground", origin_zip="90021", origin_state="CA", dest=nyc, miles=2450) == 8  # lane 9s, shrunk
    assert model.days("ground", origin_zip="91001", origin_state="CA", dest=nyc, miles=2450) == 6  # zone 8 pool
    assert model.days("two_day", origin_zip="90021", origin_state="CA", dest=nyc, miles=2450) == 2  # unseen service


def test_zip3_place_is_a_centroid() -> None:
    place = zip3_place("101")
    assert place is not None and place.state == "NY" and place.timezone == "America/New_York"
    assert zip3_place("000") is None
