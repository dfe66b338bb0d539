"""The built-in simulated carrier: rates, labels, determinism and the delay model's distribution."""

from __future__ import annotations

import statistics
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from yellowcart.fulfillment.carriers.base import Address, Carrier, LabelRequest, Parcel, TrackingStatus
from yellowcart.fulfillment.carriers.errors import CarrierError, NoMatchingRate
from yellowcart.fulfillment.carriers.simulated import PEAK_SURCHARGE_CENTS, SimulatedCarrier
from yellowcart.fulfillment.carriers.simulation import DelayModel, add_carrier_days
from yellowcart.fulfillment.carriers.tracking import fold_events
from yellowcart.fulfillment.carriers.tracking_numbers import check_tracking_number

MONDAY = datetime(2025, 3, 3, 15, 0, tzinfo=UTC)
RENO = Address("Warehouse", "1 Commerce St", "Reno", "NV", "89501")
RENO_NEARBY = Address("Shopper", "9 Lake St", "Sparks", "NV", "89431")
NYC = Address("Shopper", "2 W 34th St", "New York", "NY", "10001")
BOX = Parcel(weight_grams=900, length_mm=300, width_mm=200, height_mm=100)


def carrier(seed: int = 1, *, now: datetime = MONDAY, **kwargs: object) -> SimulatedCarrier:
    return SimulatedCarrier(seed=seed, clock=lambda: now, **kwargs)  # type: ignore[arg-type]


def ship(c: SimulatedCarrier, service: str, reference: str, dest: Address = NYC) -> str:
    rate = next(r for r in c.rates(BOX, RENO, dest) if r.service == service)
    label = c.buy_label(LabelRequest(reference, BOX, RENO, dest), rate)
    c.hand_over(label.tracking_number, MONDAY)
    return label.tracking_number


def test_it_is_a_carrier() -> None:
    c: Carrier = carrier()
    assert c.name == "simulated"


def test_rates_are_cheapest_first_and_same_day_only_nearby() -> None:
    c = carrier()
    far = c.rates(BOX, RENO, NYC)
    assert [r.service for r in far] == ["ground", "two_day", "next_day"]
    assert [r.amount_cents for r in far] == sorted(r.amount_cents for r in far)
    assert {r.carrier for r in far} == {"usps", "fedex", "ups"}
    assert far[0].est_days == 5  # Reno -> New York is zone 8: ground's typical 5 days
    near = c.rates(BOX, RENO, RENO_NEARBY)
    assert "same_day" in {r.service for r in near}
    assert next(r for r in near if r.service == "ground").amount_cents < far[0].amount_cents


def test_transit_and_distance_are_injected() -> None:
    calls: list[tuple[str, str, str]] = []

    def transit(service: str, from_zip: str, to_zip: str) -> int:
        calls.append((service, from_zip, to_zip))
        return {"ground": 7, "two_day": 3, "next_day": 2}[service]

    c = carrier(transit_days=transit, distance_miles=lambda a, b: 2000.0)
    rates = c.rates(BOX, RENO, NYC)
    assert {r.service: r.est_days for r in rates} == {"ground": 7, "two_day": 3, "next_day": 2}
    assert ("ground", "89501", "10001") in calls


def test_peak_season_adds_a_residential_surcharge() -> None:
    december = datetime(2025, 12, 8, 15, tzinfo=UTC)
    off, peak = carrier().rates(BOX, RENO, NYC)[0], carrier(now=december).rates(BOX, RENO, NYC)[0]
    assert peak.amount_cents - off.amount_cents == PEAK_SURCHARGE_CENTS


@pytest.mark.parametrize("service", ["ground", "two_day", "next_day", "same_day"])
def test_labels_carry_valid_tracking_numbers(service: str) -> None:
    c = carrier()
    for i in range(50):
        rate = next(r for r in c.rates(BOX, RENO, RENO_NEARBY) if r.service == service)
        label = c.buy_label(LabelRequest(f"s{i}", BOX, RENO, RENO_NEARBY), rate)
        assert check_tracking_number(label.carrier, label.tracking_number).valid, label
        assert label.cost_cents == rate.amount_cents
        assert label.provider == "simulated"


def test_buying_twice_with_the_same_reference_returns_the_same_label() -> None:
    c = carrier()
    rates = {r.service: r for r in c.rates(BOX, RENO, NYC)}
    request = LabelRequest("shipment-41", BOX, RENO, NYC)
    first = c.buy_label(request, rates["ground"])
    assert c.buy_label(request, rates["ground"]) == first
    with pytest.raises(CarrierError, match="already has a ground label"):
        c.buy_label(request, rates["next_day"])


def test_a_foreign_or_out_of_range_rate_is_refused() -> None:
    c = carrier()
    ground = c.rates(BOX, RENO, NYC)[0]
    with pytest.raises(NoMatchingRate):
        c.buy_label(LabelRequest("x", BOX, RENO, NYC), ground.__class__(**{**_fields(ground), "provider": "easypost"}))
    same_day = next(r for r in c.rates(BOX, RENO, RENO_NEARBY) if r.service == "same_day")
    with pytest.raises(NoMatchingRate, match="does not serve"):
        c.buy_label(LabelRequest("y", BOX, RENO, NYC), same_day)


def _fields(rate: object) -> dict[str, object]:
    return {name: getattr(rate, name) for name in rate.__slots__}  # type: ignore[attr-defined]


def test_same_seed_same_world_other_seed_other_world() -> None:
    def world(seed: int) -> list[list[object]]:
        c = carrier(seed)
        numbers = [ship(c, "ground", f"s{i}") for i in range(20)]
        return [[(e.status, e.occurred_at, e.event_id) for e in c.journey_events(n)] for n in numbers]

    assert world(3) == world(3)
    assert world(3) != world(4)


def test_before_hand_over_only_the_label_exists_and_the_clock_reveals_the_rest() -> None:
    now = [MONDAY]
    c = SimulatedCarrier(seed=2, clock=lambda: now[0])
    rate = c.rates(BOX, RENO, NYC)[0]
    label = c.buy_label(LabelRequest("s1", BOX, RENO, NYC), rate)
    assert [e.status for e in c.track(label.tracking_number)] == [TrackingStatus.LABEL_CREATED]
    c.hand_over(label.tracking_number, MONDAY + timedelta(hours=2))
    c.hand_over(label.tracking_number, MONDAY + timedelta(days=3))  # idempotent: the first hand-over counts
    everything = c.journey_events(label.tracking_number)
    assert everything[1].occurred_at < MONDAY + timedelta(hours=6)
    now[0] = everything[2].occurred_at
    assert c.track(label.tracking_number) == everything[:3]
    now[0] = MONDAY + timedelta(days=30)
    assert fold_events(c.track(label.tracking_number)).status in (
        TrackingStatus.DELIVERED,
        TrackingStatus.RETURNED_TO_SENDER,
        TrackingStatus.LOST,
    )


def test_unknown_tracking_number_is_a_404_carrier_error() -> None:
    with pytest.raises(CarrierError) as err:
        carrier().track("1Z999AA10123456784")
    assert (err.value.http_status, err.value.code) == (404, "TRACKER.NOT_FOUND")


@pytest.mark.parametrize("dest", [NYC, RENO_NEARBY])
def test_journeys_follow_the_expected_sequence_in_time(dest: Address) -> None:
    c = carrier(5)
    for i in range(200):
        number = ship(c, "ground" if i % 2 else "next_day", f"s{i}", dest)
        events = c.journey_events(number)
        assert [e.occurred_at for e in events] == sorted(e.occurred_at for e in events)
        assert events[0].status is TrackingStatus.LABEL_CREATED
        assert events[1].status is TrackingStatus.ACCEPTED
        state = fold_events(events)
        if state.status is TrackingStatus.DELIVERED:
            assert events[-2].status is TrackingStatus.OUT_FOR_DELIVERY
            assert state.delivered_at is not None and state.delivered_at > events[1].occurred_at


def lateness(model: DelayModel, n: int = 1500, seed: int = 11) -> tuple[list[int], int]:
    """Days each delivered parcel arrived after its planned day (destination local date), and losses."""
    c = carrier(seed, delay_model=model)
    tz = ZoneInfo("America/New_York")
    late, undelivered = [], 0
    for i in range(n):
        service = ("ground", "two_day", "next_day")[i % 3]
        number = ship(c, service, f"s{i}")
        delivered = c.delivered_at(number)
        if delivered is None:
            undelivered += 1
            continue
        planned_days = {"ground": 5, "two_day": 2, "next_day": 1}[service]
        planned = add_carrier_days(date(2025, 3, 3), planned_days)
        late.append((delivered.astimezone(tz).date() - planned).days)
    return late, undelivered


def test_delay_model_gives_published_order_on_time_rates_and_a_heavy_tail() -> None:
    late, undelivered = lateness(DelayModel())
    on_time = sum(d <= 0 for d in late) / (len(late) + undelivered)
    assert 0.86 <= on_time <= 0.96
    assert max(late) >= 4  # the tail: some parcels are days late
    assert undelivered < 0.03 * 1500


def test_doubling_the_variance_multiplier_spreads_delivery_times_and_lowers_on_time() -> None:
    base, _ = lateness(DelayModel(variance_multiplier=1.0))
    wide, _ = lateness(DelayModel(variance_multiplier=2.0))
    ratio = statistics.pvariance(wide) / statistics.pvariance(base)
    assert 1.5 < ratio < 2.8  # whole days and a floor on transit keep it from being exactly 2
    assert abs(statistics.mean(wide) - statistics.mean(base)) < 0.25
    assert sum(d <= 0 for d in wide) < sum(d <= 0 for d in base)
    assert sum(d < 0 for d in wide) > sum(d < 0 for d in base)  # spread goes both ways


def test_lost_parcels_stop_scanning_and_may_be_declared_lost() -> None:
    declared = carrier(delay_model=DelayModel(lost_probability=1.0))
    events = declared.journey_events(ship(declared, "ground", "s1"))
    assert fold_events(events).status is TrackingStatus.LOST
    assert not any(e.status is TrackingStatus.DELIVERED for e in events)
    assert events[-1].occurred_at - events[-2].occurred_at == timedelta(days=10)
    silent = carrier(delay_model=DelayModel(lost_probability=1.0, declare_lost_after_days=None))
    events = silent.journey_events(ship(silent, "ground", "s1"))
    assert fold_events(events).status is TrackingStatus.IN_TRANSIT


def test_failed_delivery_attempts_are_retried_or_returned() -> None:
    retried = carrier(delay_model=DelayModel(exception_probability=1.0, return_probability=0.0))
    events = retried.journey_events(ship(retried, "two_day", "s1"))
    statuses = [e.status for e in events]
    assert statuses[-4:] == [
        TrackingStatus.OUT_FOR_DELIVERY,
        TrackingStatus.EXCEPTION,
        TrackingStatus.OUT_FOR_DELIVERY,
        TrackingStatus.DELIVERED,
    ]
    returned = carrier(delay_model=DelayModel(exception_probability=1.0, return_probability=1.0))
    assert fold_events(returned.journey_events(ship(returned, "two_day", "s1"))).status is (
        TrackingStatus.RETURNED_TO_SENDER
    )


def test_delay_model_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        DelayModel(lost_probability=1.5)
    with pytest.raises(ValueError):
        DelayModel(variance_multiplier=-1)
