"""Carrier errors: what a caller (API layer, job, seller form) can act on.

``WebhookSignatureError`` and ``InvalidTrackingNumber`` are client-caused and render as problem+json
through the shared :class:`~yellowcart.errors.DomainError`. ``CarrierError`` / ``CarrierUnavailable``
are the provider's answers, like ``PaymentProviderError`` / ``PaymentTimeout`` in checkout: the caller
decides whether to retry, re-rate or tell the seller. Their messages never contain an API key.
"""

from __future__ import annotations

from yellowcart.errors import DomainError, InvalidInput


class WebhookSignatureError(DomainError):
    """The webhook's HMAC signature is missing or does not match: the body was not read."""

    status, code, title = 401, "invalid_webhook_signature", "Webhook signature missing or invalid"


class WebhookPayloadError(InvalidInput):
    """The signature matched but the body is not a tracking update we understand."""

    code, title = "invalid_webhook_payload", "Webhook payload not understood"


class InvalidTrackingNumber(InvalidInput):
    """A tracking number that does not match the carrier's format or check digit."""

    code, title = "invalid_tracking_number", "Invalid tracking number"


class CarrierError(Exception):
    """The carrier (or aggregator) refused the request: bad address, no rate, label already bought...

    ``code`` is the provider's error code when it sent one (EasyPost: ``ADDRESS.VERIFY.FAILURE``),
    ``http_status`` its HTTP status.
    """

    def __init__(self, message: str, *, code: str | None = None, http_status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.http_status = http_status


class CarrierUnavailable(CarrierError):
    """Timeout, connection failure, rate limit or 5xx: the outcome is unknown, retrying is safe."""


class NoMatchingRate(CarrierError):
    """The carrier offers no rate for the requested carrier/service on this shipment."""
