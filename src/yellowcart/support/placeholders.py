"""Template placeholders (pure): which names exist, checking a template, filling it from an order.

``{order_id}`` and friends are replaced by the conversation's order data; ``{{`` and ``}}`` write a
literal brace. An unknown name is refused when the template is saved, so a seller finds the typo then,
not when a shopper reads ``{trackng_url}``. A value the order does not have yet (no tracking before
shipping) is written as "not available yet".
"""

from __future__ import annotations

import re
from collections.abc import Mapping

PLACEHOLDERS = {
    "order_id": "the order number",
    "order_status": "the order's status (awaiting_shipment, in_transit, delivered, ...)",
    "shopper_name": "the shopper's first name",
    "seller_name": "the seller's name",
    "carrier": "the carrier of the order's latest package",
    "tracking_number": "its tracking number",
    "tracking_url": "the carrier's public tracking page for it",
    "promised_date": "the delivery date promised at checkout (YYYY-MM-DD)",
    "estimated_date": "the carrier's current estimate (YYYY-MM-DD)",
}
MISSING = "not available yet"
_TOKEN = re.compile(r"\{\{|\}\}|\{([a-z_]{1,32})\}|[{}]")

#: Public tracking pages of the carriers yellowcart knows (tracking_numbers.CARRIERS).
TRACKING_PAGES = {
    "usps": "https://tools.usps.com/go/TrackConfirmAction?tLabels={}",
    "ups": "https://www.ups.com/track?tracknum={}",
    "fedex": "https://www.fedex.com/fedextrack/?trknbr={}",
    "dhl_express": "https://www.dhl.com/us-en/home/tracking.html?tracking-id={}",
    "dhl_ecommerce": "https://webtrack.dhlecs.com/?trackingnumber={}",
}


class TemplateError(ValueError):
    """A template names an unknown placeholder or has an unmatched brace."""


def tracking_url(carrier: str | None, number: str | None) -> str | None:
    page = TRACKING_PAGES.get(carrier or "")
    return page.format(number) if page and number else None


def check(body: str) -> list[str]:
    """The placeholder names ``body`` uses; TemplateError for unknown ones or stray braces."""
    names = []
    for match in _TOKEN.finditer(body):
        token = match.group(0)
        if token in ("{{", "}}"):
            continue
        name = match.group(1)
        if name is None:
            raise TemplateError("Write a literal brace as {{ or }}; placeholders look like {order_id}.")
        if name not in PLACEHOLDERS:
            raise TemplateError(f"Unknown placeholder {{{name}}}; known: {', '.join(sorted(PLACEHOLDERS))}.")
        names.append(name)
    return names


def render(body: str, values: Mapping[str, str | None]) -> str:
    """``body`` with every placeholder filled (``check`` it first)."""

    def fill(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        name = match.group(1)
        if name is None or name not in PLACEHOLDERS:
            raise TemplateError(f"Not a placeholder: {token}")
        return values.get(name) or MISSING

    return _TOKEN.sub(fill, body)
