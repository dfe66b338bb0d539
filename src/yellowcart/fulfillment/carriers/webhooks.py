"""HMAC-SHA256 webhook signatures in EasyPost's documented format.

EasyPost signs the raw request body with the webhook's secret and sends
``X-Hmac-Signature: hmac-sha256-hex=<lowercase hex digest>``. The simulated carrier signs its webhooks
the same way, so one verification path (and one set of tests) covers both. The comparison is
constant-time (``hmac.compare_digest``). There is no timestamp in the scheme, so a captured request can
be replayed; that is harmless here because events are de-duplicated by id and folded idempotently.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from collections.abc import Mapping

from yellowcart.fulfillment.carriers.errors import WebhookSignatureError

SIGNATURE_HEADER = "X-Hmac-Signature"
SIGNATURE_PREFIX = "hmac-sha256-hex="


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header by case-insensitive name (ASGI frameworks lower-case them, a plain dict may not)."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def sign(body: bytes, secret: str) -> str:
    """The header value for ``body``; the secret is NFKD-normalised as EasyPost's clients do."""
    key = unicodedata.normalize("NFKD", secret).encode()
    return SIGNATURE_PREFIX + hmac.new(key, body, hashlib.sha256).hexdigest()


def verify(body: bytes, headers: Mapping[str, str], secret: str) -> None:
    """Raise WebhookSignatureError unless ``headers`` carry a valid signature of ``body``."""
    if not secret:
        raise ValueError("a webhook secret is required")
    received = header(headers, SIGNATURE_HEADER)
    if not received:
        raise WebhookSignatureError(f"missing {SIGNATURE_HEADER} header")
    if not hmac.compare_digest(sign(body, secret).encode(), received.strip().encode()):
        raise WebhookSignatureError("webhook signature does not match the body")
