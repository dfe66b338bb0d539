"""A PaymentProvider backed by Stripe PaymentIntents, using the official ``stripe`` package.

Mapping onto the PaymentProvider protocol:

* ``authorize`` creates and confirms a PaymentIntent with ``capture_method=manual``. An intent in
  ``requires_capture`` is an approved authorisation and its id (``pi_...``) is the provider_ref. A
  card decline (HTTP 402) is ``approved=False`` with Stripe's decline code (``generic_decline`` is
  reported as ``card_declined``). Any other status, above all ``requires_action`` (3-D Secure), is
  ``approved=False`` with ``authentication_required``: this server-side flow cannot show the
  challenge to the buyer, and an intent waiting for authentication holds no funds.
* ``capture`` captures ``amount_to_capture`` on the intent, ``void`` cancels the intent, ``refund``
  creates a Refund against the intent.
* Every call sends the caller's idempotency key as Stripe's ``Idempotency-Key`` header, so a retry
  with the same key is answered from Stripe's idempotency cache instead of charging again. Within a
  key's lifetime (24 hours at Stripe) the parameters must be identical on every retry, which is why
  everything sent is derived only from the arguments and from facts about the intent that never
  change.
* The ``stripe`` client never retries by itself (``max_network_retries=0``): retrying is the
  caller's decision. A timeout, connection failure, rate limit, conflict (409: a request with the
  same key still in flight) or 5xx raises PaymentTimeout, since the outcome is unknown or the request
  can simply be repeated. Note that Stripe's idempotency layer replays a stored 500 for the same key,
  so a 500 may need reconciliation (webhooks, or a search on the ``yellowcart_payment_key`` metadata
  set at authorisation) rather than endless retries. Every other Stripe error raises
  PaymentProviderError, whose message never contains the API key.

One checkout, several orders, one PaymentIntent
-----------------------------------------------
A cart with items from several sellers is paid once: the single authorisation covers several
per-seller orders, and each order is captured separately when its parcel ships. Stripe supports more
than one capture per PaymentIntent only with *multicapture* (an IC+ pricing feature, online card
payments on the major networks, at most 50 captures per intent). The intent is therefore created
with ``payment_method_options[card][request_multicapture]=if_available``; whether the card actually
got it is reported on the charge, ``payment_method_details.card.multicapture.status``.

Requesting multicapture is not enough by itself: a capture is *final* by default, and a final partial
capture releases the rest of the authorisation, so the next seller's capture would fail. ``capture``
therefore first reads the intent (with ``latest_charge`` expanded) and sends ``final_capture=false``
when multicapture is available and the amount is less than the intent's full amount. Both facts are
fixed once the intent is authorised, so a retried capture sends exactly the same parameters. Without
multicapture the first partial capture is final and releases the remainder (Stripe then rejects
later captures with an error, surfaced as PaymentProviderError); the fix for that needs the caller to
capture the shipped total in one call.

After non-final captures, whatever was never captured (an order cancelled after a sibling shipped)
stays on hold until the intent is cancelled (``void``) or the authorisation expires (7 days for
online card payments by default).
"""

from __future__ import annotations

import stripe

from yellowcart.checkout.payments import Authorization, PaymentProviderError, PaymentTimeout

#: Stripe's decline code for "declined, no reason given"; reported like the test provider does.
_GENERIC_DECLINE = "generic_decline"
AUTHENTICATION_REQUIRED = "authentication_required"


def _mask(api_key: str) -> str:
    """``sk_test_***`` for ``sk_test_...``: the key's kind and mode, never any of its secret part."""
    parts = api_key.split("_")
    if len(parts) >= 3 and parts[0] in {"sk", "rk"} and parts[1] in {"test", "live"}:
        return f"{parts[0]}_{parts[1]}_***"
    return "***"


class StripePaymentProvider:
    """PaymentProvider over the Stripe API. Thread-safe: one instance can serve every worker.

    ``api_key`` is a secret (``sk_...``) or restricted (``rk_...``) key with write access to
    PaymentIntents and Refunds. ``timeout_seconds`` bounds each HTTP request to Stripe.
    """

    __slots__ = ("_api_key", "_client", "_http", "timeout_seconds")

    name: str = "stripe"

    def __init__(self, api_key: str, timeout_seconds: float = 10.0) -> None:
        if not api_key:
            raise ValueError("a Stripe API key is required")
        if timeout_seconds <= 0:
            raise ValueError("timeout_seconds must be positive")
        self._api_key = api_key
        self.timeout_seconds = timeout_seconds
        # The sync httpx transport: stripe's HTTPXClient is async-only unless asked for sync methods.
        self._http = stripe.HTTPXClient(timeout=timeout_seconds, allow_sync_methods=True)
        self._client = stripe.StripeClient(api_key, http_client=self._http, max_network_retries=0)

    def __repr__(self) -> str:
        return f"StripePaymentProvider(api_key={_mask(self._api_key)!r}, timeout_seconds={self.timeout_seconds!r})"

    __str__ = __repr__

    def close(self) -> None:
        """Close the underlying HTTP connection pool."""
        self._http.close()  # type: ignore[no-untyped-call]  # untyped in stripe

    # -- PaymentProvider -----------------------------------------------------------------------

    def authorize(
        self, *, amount_cents: int, currency: str, payment_method: str, idempotency_key: str
    ) -> Authorization:
        _require_key(idempotency_key)
        try:
            intent = self._client.v1.payment_intents.create(
                {
                    "amount": amount_cents,
                    "currency": currency.lower(),
                    "payment_method": payment_method,
                    # Called payment_method_types before API version 2026-10-28.endive (stripe 16's pin).
                    "allowed_payment_method_types": ["card"],
                    "confirm": True,
                    "capture_method": "manual",
                    "payment_method_options": {"card": {"request_multicapture": "if_available"}},
                    "metadata": {"yellowcart_payment_key": idempotency_key},
                },
                options={"idempotency_key": idempotency_key},
            )
        except stripe.CardError as err:
            return Authorization(approved=False, provider_ref=None, decline_code=_decline_code(err))
        except stripe.StripeError as err:
            raise self._translate(err, "authorize") from None
        if intent.status == "requires_capture":
            return Authorization(approved=True, provider_ref=intent.id)
        return Authorization(approved=False, provider_ref=None, decline_code=AUTHENTICATION_REQUIRED)

    def capture(self, *, provider_ref: str, amount_cents: int, idempotency_key: str) -> None:
        _require_key(idempotency_key)
        try:
            intent = self._client.v1.payment_intents.retrieve(provider_ref, {"expand": ["latest_charge"]})
            final = amount_cents >= intent.amount or not _multicapture_available(intent)
            if final:
                self._client.v1.payment_intents.capture(
                    provider_ref,
                    {"amount_to_capture": amount_cents},
                    options={"idempotency_key": idempotency_key},
                )
            else:
                self._client.v1.payment_intents.capture(
                    provider_ref,
                    {"amount_to_capture": amount_cents, "final_capture": False},
                    options={"idempotency_key": idempotency_key},
                )
        except stripe.StripeError as err:
            raise self._translate(err, "capture") from None

    def void(self, *, provider_ref: str, idempotency_key: str) -> None:
        _require_key(idempotency_key)
        try:
            self._client.v1.payment_intents.cancel(provider_ref, options={"idempotency_key": idempotency_key})
        except stripe.StripeError as err:
            raise self._translate(err, "void") from None

    def refund(self, *, provider_ref: str, amount_cents: int, idempotency_key: str) -> None:
        _require_key(idempotency_key)
        try:
            refund = self._client.v1.refunds.create(
                {"payment_intent": provider_ref, "amount": amount_cents},
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as err:
            raise self._translate(err, "refund") from None
        if refund.status in ("failed", "canceled"):
            raise PaymentProviderError(f"stripe refund {refund.id} for {provider_ref} is {refund.status}")

    # -- errors --------------------------------------------------------------------------------

    def _scrub(self, text: str) -> str:
        return text.replace(self._api_key, _mask(self._api_key))

    def _translate(self, err: stripe.StripeError, operation: str) -> Exception:
        status = err.http_status
        detail = f"{type(err).__name__}"
        if status is not None:
            detail += f", HTTP {status}"
        if err.code:
            detail += f", code {err.code}"
        if err.request_id:
            detail += f", request {err.request_id}"
        message = self._scrub(f"stripe {operation} failed ({detail}): {err.user_message or 'no message'}")
        unknown_outcome = isinstance(err, stripe.APIConnectionError | stripe.RateLimitError) or (
            status is not None and (status >= 500 or status == 409)
        )
        return PaymentTimeout(message) if unknown_outcome else PaymentProviderError(message)


def _require_key(idempotency_key: str) -> None:
    # stripe would silently generate a random key for an empty one, and retries could then charge twice.
    if not idempotency_key:
        raise ValueError("an idempotency key is required for every Stripe call")


def _decline_code(err: stripe.CardError) -> str:
    specific = err.error.decline_code if err.error is not None else None
    if specific and specific != _GENERIC_DECLINE:
        return specific
    return err.code or "card_declined"


def _multicapture_available(intent: stripe.PaymentIntent) -> bool:
    charge = intent.latest_charge
    if not isinstance(charge, stripe.Charge):
        return False
    details = charge.payment_method_details
    card = details.card if details is not None else None
    multicapture = card.multicapture if card is not None else None
    return multicapture is not None and multicapture.status == "available"
