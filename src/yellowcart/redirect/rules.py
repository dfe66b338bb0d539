"""Pure rules of the redirect loop (no I/O): the tracked store URL, Shopify's webhook signature, where
an order carries our click id, decimal money to cents, the attribution window, commission, countdown.

Kept apart from the services so each edge (an existing query string, a tampered body, a refund that
rounds, a click one second out of the window) is unit-tested without a database.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Literal
from urllib.parse import parse_qsl, quote, unquote_plus, urlsplit, urlunsplit

#: Query keys the platform owns on a tracked store URL; the store's own keys are kept as they are.
TRACKING_KEYS = ("utm_source", "utm_medium", "utm_campaign", "yc_click")
CLICK_PARAM = "yc_click"
UTM_SOURCE = "yellowcart"
#: ``secrets.token_urlsafe(16)``: 22 characters of the URL-safe base64 alphabet.
CLICK_ID_PATTERN = r"^[A-Za-z0-9_-]{16,64}$"
_CLICK_ID = re.compile(CLICK_ID_PATTERN)
HMAC_HEADER = "X-Shopify-Hmac-Sha256"
BPS = 10_000


class SignatureError(Exception):
    """The webhook's HMAC is missing or does not match the raw body."""


class AmountError(ValueError):
    """A money amount that is not a finite, non-negative decimal with at most two places."""


# ---- tracked links -------------------------------------------------------------------------------


def campaign(product_id: int, content_id: int | None) -> str:
    """utm_campaign: the content the tap came from, else the product itself."""
    return f"content-{content_id}" if content_id is not None else f"product-{product_id}"


def tracked_url(store_url: str, *, click_id: str, medium: str, campaign_name: str) -> str:
    """The store URL with our UTM parameters and click id appended.

    The store's own query is kept byte for byte (re-encoding it could break the store's own links);
    only keys we own are dropped from it first, so a stale ``utm_source`` never shadows ours.
    """
    parts = urlsplit(store_url)
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError("store URLs must be https with a host")
    kept = [p for p in parts.query.split("&") if p and unquote_plus(p.split("=", 1)[0]) not in TRACKING_KEYS]
    ours = {"utm_source": UTM_SOURCE, "utm_medium": medium, "utm_campaign": campaign_name, CLICK_PARAM: click_id}
    kept += [f"{key}={quote(value, safe='')}" for key, value in ours.items()]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "&".join(kept), parts.fragment))


def is_click_id(value: Any) -> bool:
    return isinstance(value, str) and bool(_CLICK_ID.match(value))


# ---- Shopify webhooks ----------------------------------------------------------------------------


def shopify_signature(body: bytes, secret: str) -> str:
    """Base64 of HMAC-SHA256 over the raw body with the store's secret (what Shopify sends)."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def verify_shopify(body: bytes, received: str | None, secret: str) -> None:
    """Raise SignatureError unless ``received`` is the signature of exactly these bytes; constant-time."""
    if not secret:
        raise ValueError("a webhook secret is required")
    if not received:
        raise SignatureError(f"missing {HMAC_HEADER} header")
    expected = shopify_signature(body, secret).encode()
    if not hmac.compare_digest(expected, received.strip().encode()):
        raise SignatureError("webhook signature does not match the body")


def _click_in_query(value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    query = urlsplit(value).query if ("?" in value or "://" in value) else value
    for key, found in parse_qsl(query, keep_blank_values=False):
        if key == CLICK_PARAM and is_click_id(found):
            return found
    return None


def click_id_of(order: Mapping[str, Any]) -> str | None:
    """Our click id on a Shopify order: the landing page's query (landing_site, landing_site_ref),
    else a ``yc_click`` note attribute (set by the storefront when the landing URL was lost)."""
    for field in ("landing_site", "landing_site_ref"):
        found = _click_in_query(order.get(field))
        if found:
            return found
    attributes = order.get("note_attributes")
    for item in attributes if isinstance(attributes, list) else []:
        if isinstance(item, dict) and item.get("name") == CLICK_PARAM and is_click_id(item.get("value")):
            return str(item["value"])
    return None


# ---- money ----------------------------------------------------------------------------------------


def cents(amount: Any) -> int:
    """Shopify's decimal amounts ("19.99", or a JSON number parsed as Decimal) to integer cents.
    Floats are refused: binary floating point cannot hold most cent amounts exactly."""
    if isinstance(amount, bool | float):
        raise AmountError(f"amount {amount!r} must be a decimal string")
    try:
        value = Decimal(str(amount)) if isinstance(amount, str | int | Decimal) else None
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value < 0:
        raise AmountError(f"amount {amount!r} is not a non-negative decimal")
    scaled = value * 100
    if scaled != scaled.to_integral_value():
        raise AmountError(f"amount {amount!r} has fractions of a cent")
    return int(scaled)


def commission(gmv_cents: int, rate_bps: int) -> int:
    """The platform's commission on attributed GMV, half-up to a cent."""
    if gmv_cents < 0 or not 0 <= rate_bps <= BPS:
        raise ValueError("gmv must be >= 0 and the rate within 0..10000 bps")
    return int((Decimal(gmv_cents) * rate_bps / BPS).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def reversed_commission(*, commission_cents: int, gmv_cents: int, refunded_gmv_cents: int) -> int:
    """Commission to have reversed once ``refunded_gmv_cents`` of the GMV is refunded (cumulative, so
    partial refunds never drift from the whole by rounding): proportional, capped at the commission."""
    if gmv_cents <= 0 or refunded_gmv_cents >= gmv_cents:
        return commission_cents
    share = Decimal(commission_cents) * refunded_gmv_cents / gmv_cents
    return min(commission_cents, int(share.quantize(Decimal(1), rounding=ROUND_HALF_UP)))


# ---- attribution -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Line:
    """A Shopify line item as far as attribution cares: its SKU and net amount in cents."""

    sku: str | None
    net_cents: int


def line_net_cents(item: Mapping[str, Any]) -> int:
    """price x quantity minus the discounts allocated to the line (order-level ones included), so the
    lines of an order add up to its subtotal (after discounts, before tax and shipping)."""
    quantity = item.get("quantity", 0)
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
        raise AmountError(f"quantity {quantity!r} is not a whole number")
    gross = cents(item.get("price", "0")) * quantity
    allocations = item.get("discount_allocations")
    if isinstance(allocations, list) and allocations:
        discount = sum(cents(a.get("amount", "0")) for a in allocations if isinstance(a, dict))
    else:
        discount = cents(item.get("total_discount", "0") or "0")
    return max(gross - discount, 0)


def seller_gmv(order: Mapping[str, Any], seller_skus: Iterable[str]) -> tuple[int, bool]:
    """GMV of the lines that are the connected seller's (by SKU), and whether every line was. When all
    are, the order's own ``subtotal_price`` is the figure (Shopify's number, rounding and all)."""
    skus = set(seller_skus)
    items = order.get("line_items")
    lines = [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []
    ours = [i for i in lines if isinstance(i.get("sku"), str) and i["sku"] in skus]
    everything = bool(lines) and len(ours) == len(lines)
    if everything and order.get("subtotal_price") is not None:
        return cents(order["subtotal_price"]), True
    return sum(line_net_cents(i) for i in ours), everything


def in_window(clicked_at: dt.datetime, ordered_at: dt.datetime, window: dt.timedelta) -> bool:
    """An order counts for a click placed at most ``window`` before it (and not before the click)."""
    return clicked_at <= ordered_at <= clicked_at + window


def parse_time(value: Any) -> dt.datetime | None:
    """Shopify's ISO 8601 timestamps (with offset) as UTC; anything else is None."""
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(dt.UTC) if parsed.tzinfo else None


# ---- cutover -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Countdown:
    seconds_left: int
    days: int
    hours: int
    minutes: int

    @property
    def passed(self) -> bool:
        return self.seconds_left <= 0


def countdown(cutover_at: dt.datetime, now: dt.datetime) -> Countdown:
    """Whole days, hours and minutes until the cutover (zeros once it has passed)."""
    left = max(int((cutover_at - now).total_seconds()), 0)
    return Countdown(left, left // 86_400, left % 86_400 // 3_600, left % 3_600 // 60)


MigrationStatus = Literal["not_started", "in_progress", "done"]


def migration_status(total: int, remaining: int) -> MigrationStatus:
    """A seller's progress: nothing moved yet, some moved, or every redirect listing moved."""
    if remaining == 0:
        return "done"
    return "not_started" if remaining == total else "in_progress"
