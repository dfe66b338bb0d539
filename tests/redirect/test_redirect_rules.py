"""The redirect loop's pure rules, without a database: tracked URLs, Shopify signatures, where an order
carries the click id, decimal money, commission and its reversal, the window, the countdown."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from decimal import Decimal
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yellowcart.redirect import rules

CLICK = "AbCdEfGhIjKlMnOpQrStUv"


# ---- tracked URLs ------------------------------------------------------------------------------------


def test_tracked_url_appends_utm_and_click_keeping_the_store_query_byte_for_byte() -> None:
    store = "https://shop.example.com/p/serum?variant=42&ref=a%20b&utm_source=old#reviews"
    url = rules.tracked_url(store, click_id=CLICK, medium="video", campaign_name="content-7")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path, parts.fragment) == (
        "https",
        "shop.example.com",
        "/p/serum",
        "reviews",
    )
    assert parts.query.startswith("variant=42&ref=a%20b&")  # the store's own encoding survives
    query = parse_qs(parts.query)
    assert query["utm_source"] == ["yellowcart"]  # ours replaces the stale one, no duplicate
    assert query["utm_medium"] == ["video"] and query["utm_campaign"] == ["content-7"]
    assert query["yc_click"] == [CLICK]


def test_tracked_url_without_a_query_and_refuses_plain_http() -> None:
    url = rules.tracked_url("https://shop.example.com/p", click_id=CLICK, medium="feed", campaign_name="product-3")
    assert (
        url
        == f"https://shop.example.com/p?utm_source=yellowcart&utm_medium=feed&utm_campaign=product-3&yc_click={CLICK}"
    )
    for bad in ("http://shop.example.com/p", "javascript:alert(1)", "https:///nohost"):
        with pytest.raises(ValueError):
            rules.tracked_url(bad, click_id=CLICK, medium="feed", campaign_name="product-3")


_key = st.text(alphabet="abcdefghij_", min_size=1, max_size=6).filter(lambda k: k not in rules.TRACKING_KEYS)
_value = st.text(alphabet="abcXYZ019-._~", max_size=8)


@given(st.lists(st.tuples(_key, _value), max_size=5))
def test_tracked_url_keeps_every_store_parameter(pairs: list[tuple[str, str]]) -> None:
    store = "https://shop.example.com/p" + ("?" + "&".join(f"{k}={v}" for k, v in pairs) if pairs else "")
    url = rules.tracked_url(store, click_id=CLICK, medium="live", campaign_name="content-1")
    found = parse_qsl(urlsplit(url).query, keep_blank_values=True)
    assert found[: len(pairs)] == pairs
    assert dict(found[len(pairs) :]) == {
        "utm_source": "yellowcart", "utm_medium": "live", "utm_campaign": "content-1", "yc_click": CLICK,
    }  # fmt: skip


# ---- Shopify HMAC -------------------------------------------------------------------------------------


def test_signature_is_base64_hmac_sha256_of_the_raw_body() -> None:
    body, secret = b'{"id": 1, "total": "10.00"}', "shpss_secret"
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    assert rules.shopify_signature(body, secret) == expected
    rules.verify_shopify(body, expected, secret)  # good: no exception
    rules.verify_shopify(body, f" {expected} ", secret)  # stray whitespace in the header is tolerated


@pytest.mark.parametrize(
    ("body", "header", "secret"),
    [
        (b'{"id": 1, "total": "10.01"}', "sig-of-original", "shpss_secret"),  # tampered body
        (b'{"id": 1, "total": "10.00"}', "sig-of-original", "another_secret"),  # wrong secret
        (b'{"id": 1, "total": "10.00"}', None, "shpss_secret"),  # missing header
        (b'{"id": 1, "total": "10.00"}', "", "shpss_secret"),  # empty header
    ],
)
def test_signature_refused(body: bytes, header: str | None, secret: str) -> None:
    original = rules.shopify_signature(b'{"id": 1, "total": "10.00"}', "shpss_secret")
    with pytest.raises(rules.SignatureError):
        rules.verify_shopify(body, original if header == "sig-of-original" else header, secret)


# ---- where the click id rides ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("order", "found"),
    [
        ({"landing_site": f"/products/x?utm_source=yellowcart&yc_click={CLICK}"}, CLICK),
        ({"landing_site": "/", "landing_site_ref": f"https://shop.example.com/?yc_click={CLICK}"}, CLICK),
        ({"landing_site_ref": f"yc_click={CLICK}"}, CLICK),
        ({"landing_site": "/", "note_attributes": [{"name": "yc_click", "value": CLICK}]}, CLICK),
        ({"landing_site": "/?yc_click=short", "note_attributes": [{"name": "other", "value": CLICK}]}, None),
        ({"landing_site": None, "note_attributes": "nonsense"}, None),
        ({}, None),
    ],
)
def test_click_id_of_order(order: dict[str, object], found: str | None) -> None:
    assert rules.click_id_of(order) == found


# ---- money, GMV, commission ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "cents"), [("19.99", 1999), ("0", 0), ("5", 500), (Decimal("195.66"), 19566), (7, 700), ("0.10", 10)]
)
def test_cents_from_decimal_strings(amount: object, cents: int) -> None:
    assert rules.cents(amount) == cents


@pytest.mark.parametrize("amount", [19.99, "1.005", "-1.00", "abc", None, True, "NaN", "Infinity"])
def test_cents_refuses_floats_fractions_and_junk(amount: object) -> None:
    with pytest.raises(rules.AmountError):
        rules.cents(amount)


def test_seller_gmv_counts_only_the_sellers_lines_net_of_their_discounts() -> None:
    order = {
        "subtotal_price": "61.00",
        "line_items": [
            {"sku": "MINE-1", "price": "25.00", "quantity": 2, "discount_allocations": [{"amount": "4.00"}]},
            {"sku": "THEIRS", "price": "15.00", "quantity": 1, "discount_allocations": []},
        ],
    }
    assert rules.seller_gmv(order, {"MINE-1"}) == (4600, False)
    assert rules.seller_gmv(order, {"MINE-1", "THEIRS"}) == (6100, True)  # all ours: the order's subtotal
    assert rules.seller_gmv(order, set()) == (0, False)


@given(st.integers(0, 10**9), st.integers(0, 10_000))
def test_commission_is_half_up_and_never_exceeds_gmv(gmv: int, bps: int) -> None:
    fee = rules.commission(gmv, bps)
    assert 0 <= fee <= gmv
    assert abs(fee * 10_000 - gmv * bps) <= 5_000  # within half a cent


@given(st.integers(1, 10**7), st.integers(0, 10_000), st.lists(st.integers(0, 10**6), max_size=6))
def test_partial_refunds_never_reverse_more_than_the_commission(gmv: int, bps: int, refunds: list[int]) -> None:
    fee, refunded, reversed_total = rules.commission(gmv, bps), 0, 0
    for part in refunds:
        refunded = min(gmv, refunded + part)
        target = rules.reversed_commission(commission_cents=fee, gmv_cents=gmv, refunded_gmv_cents=refunded)
        assert target >= reversed_total  # cumulative: never goes back
        reversed_total = target
    assert reversed_total <= fee
    if refunded == gmv:
        assert reversed_total == fee


def test_attribution_window_edges() -> None:
    clicked = dt.datetime(2030, 5, 1, 12, tzinfo=dt.UTC)
    week = dt.timedelta(days=7)
    assert rules.in_window(clicked, clicked, week)
    assert rules.in_window(clicked, clicked + week, week)
    assert not rules.in_window(clicked, clicked + week + dt.timedelta(seconds=1), week)
    assert not rules.in_window(clicked, clicked - dt.timedelta(seconds=1), week)  # ordered before the tap


def test_parse_time_and_countdown() -> None:
    assert rules.parse_time("2030-05-01T08:00:00-04:00") == dt.datetime(2030, 5, 1, 12, tzinfo=dt.UTC)
    assert rules.parse_time("2030-05-01T08:00:00") is None  # no offset: unknown instant
    now = dt.datetime(2030, 5, 1, 12, tzinfo=dt.UTC)
    left = rules.countdown(now + dt.timedelta(days=2, hours=3, minutes=4, seconds=5), now)
    assert (left.days, left.hours, left.minutes, left.passed) == (2, 3, 4, False)
    assert rules.countdown(now - dt.timedelta(seconds=1), now).passed


@pytest.mark.parametrize(
    ("total", "remaining", "status"), [(3, 3, "not_started"), (3, 1, "in_progress"), (3, 0, "done")]
)
def test_migration_status(total: int, remaining: int, status: str) -> None:
    assert rules.migration_status(total, remaining) == status
