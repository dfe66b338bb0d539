"""Pure rules of live rooms: presence, viewers per minute, conversion per mille, state deltas, the
recap chart. No database."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from yellowcart.live import recap_chart, room_rules
from yellowcart.live.room_rules import Stay
from yellowcart.live.room_schemas import MinuteOut, RecapOut, TopProductOut

T0 = dt.datetime(2030, 5, 3, 18, 0, tzinfo=dt.UTC)


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def test_presence_needs_a_recent_heartbeat_and_no_leave() -> None:
    assert room_rules.present(last_seen_at=T0, left_at=None, now=at(45), timeout_s=45)
    assert not room_rules.present(last_seen_at=T0, left_at=None, now=at(45.001), timeout_s=45)
    assert not room_rules.present(last_seen_at=T0, left_at=T0, now=T0, timeout_s=45)


def test_viewers_per_minute_edges() -> None:
    stays = [Stay("a", at(59), at(60)), Stay("b", at(120), at(179.999)), Stay("a", at(150), at(200))]
    assert room_rules.viewers_per_minute(stays, start=T0, end=at(200)) == [
        (T0, 1),
        (at(60), 1),
        (at(120), 2),
        (at(180), 1),
    ]
    assert room_rules.viewers_per_minute([], start=at(30), end=at(30)) == [(T0, 0)]
    before = [Stay("x", at(-600), at(-60))]
    assert room_rules.viewers_per_minute(before, start=T0, end=at(60)) == [(T0, 0), (at(60), 0)]


stays_st = st.lists(
    st.tuples(st.sampled_from("abcde"), st.integers(0, 1200), st.integers(0, 600)).map(
        lambda t: Stay(t[0], at(t[1]), at(t[1] + t[2]))
    ),
    max_size=20,
)


@given(stays_st, st.integers(0, 1500))
def test_each_minute_counts_exactly_the_viewers_present_in_it(stays: list[Stay], length: int) -> None:
    series = room_rules.viewers_per_minute(stays, start=T0, end=at(length))
    assert len(series) == length // 60 + 1
    for minute, count in series:
        nxt = minute + dt.timedelta(minutes=1)
        assert count == len({s.viewer for s in stays if s.start < nxt and s.end >= minute})
    assert max((n for _, n in series), default=0) <= len({s.viewer for s in stays})


def test_per_mille() -> None:
    assert room_rules.per_mille(2, 3) == 666.667
    assert room_rules.per_mille(0, 10) == 0.0
    assert room_rules.per_mille(5, 0) is None


state_st = st.fixed_dictionaries(
    {
        "viewers": st.integers(0, 5),
        "pinned_product_id": st.none() | st.integers(1, 3),
        "deals": st.lists(
            st.fixed_dictionaries({"remaining": st.integers(0, 3), "seconds_left": st.integers(0, 9)}), max_size=2
        ),
        "server_time": st.text(max_size=3),
    }
)


@given(state_st, state_st)
def test_a_delta_applied_gives_the_new_state_clock_aside(before: dict[str, object], after: dict[str, object]) -> None:
    change = room_rules.delta(before, after)
    merged = room_rules.apply(before, change)
    assert room_rules._comparable(merged) == room_rules._comparable(after)
    assert "server_time" not in change  # the clock alone is never a change


def test_a_ticking_countdown_is_not_a_change() -> None:
    before = {"deals": [{"remaining": 3, "seconds_left": 10}], "viewers": 1}
    assert room_rules.delta(before, {"deals": [{"remaining": 3, "seconds_left": 9}], "viewers": 1}) == {}
    assert room_rules.delta(before, {"deals": [{"remaining": 2, "seconds_left": 9}], "viewers": 1}) == {
        "deals": [{"remaining": 2, "seconds_left": 9}]
    }
    assert room_rules.delta(None, before) == before


def test_session_keys() -> None:
    assert room_rules.SESSION_KEY.match("A" * 16) and room_rules.SESSION_KEY.match("a-b_c" * 12 + "abcd")
    assert not room_rules.SESSION_KEY.match("short") and not room_rules.SESSION_KEY.match("x" * 15 + " ")


def _recap(title: str, minutes: list[int], top: list[TopProductOut]) -> RecapOut:
    return RecapOut(
        room_id=1,
        title=title,
        live_state=None,
        started_at=T0,
        ended_at=None,
        unique_viewers=max(minutes, default=0),
        peak_viewers=max(minutes, default=0),
        watch_seconds=0,
        viewers_per_minute=[MinuteOut(minute=at(60 * i), viewers=n) for i, n in enumerate(minutes)],
        cart_taps=0,
        orders=0,
        units=0,
        gmv_cents=sum(p.gmv_cents for p in top),
        conversion_per_mille=None,
        top_products=top,
    )


def test_the_chart_is_safe_svg_with_the_figures() -> None:
    top = [TopProductOut(product_id=1, title="<b>Serum</b> & co", cart_taps=3, orders=2, units=2, gmv_cents=2500)]
    svg = recap_chart.render(_recap('Drop "<script>alert(1)</script>"', [0, 4, 12, 7], top))
    root = ET.fromstring(svg)  # parses: every text was escaped
    texts = [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "peak 12" in texts and "<b>Serum</b> & co" in texts and "$25.00" in texts
    assert "<script>" not in svg and "conversion" in texts and "n/a" in texts
    polyline = next(root.iter("{http://www.w3.org/2000/svg}polyline")).get("points", "").split()
    assert len(polyline) == 4


def test_the_chart_of_an_empty_room() -> None:
    root = ET.fromstring(recap_chart.render(_recap("Quiet", [], [])))
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "no viewers" in texts and "nothing tapped or sold" in texts
