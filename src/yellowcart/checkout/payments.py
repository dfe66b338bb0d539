"""The PaymentProvider interface and the built-in test provider.

Authorise at checkout, capture when the parcel ships, void on cancellation before shipment, refund
after. Every call carries an idempotency key that the provider honours, so a retry after a timeout
can never charge twice. Provider calls are made outside any database transaction: no row lock is
ever held across network I/O.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from typing import Protocol


class PaymentTimeout(Exception):
    """The provider did not answer in time: the outcome is unknown, not a decline."""


class PaymentProviderError(Exception):
    """The provider refused the request for a reason other than a card decline."""


@dataclass(frozen=True, slots=True)
class Authorization:
    approved: bool
    provider_ref: str | None
    decline_code: str | None = None


class PaymentProvider(Protocol):
    name: str

    def authorize(
        self, *, amount_cents: int, currency: str, payment_method: str, idempotency_key: str
    ) -> Authorization: ...

    def capture(self, *, provider_ref: str, amount_cents: int, idempotency_key: str) -> None: ...

    def void(self, *, provider_ref: str, idempotency_key: str) -> None: ...

    def refund(self, *, provider_ref: str, amount_cents: int, idempotency_key: str) -> None: ...


#: Test card tokens, named like Stripe's test tokens so client code works against both.
DECLINES = {
    "tok_chargeDeclined": "card_declined",
    "tok_chargeDeclinedInsufficientFunds": "insufficient_funds",
    "tok_chargeDeclinedExpiredCard": "expired_card",
}
TIMEOUT_TOKEN = "tok_timeout"
#: Times out on the first try of each idempotency key, then approves (retry paths in tests and demos).
TIMEOUT_ONCE_TOKEN = "tok_timeoutOnce"


@dataclass
class TestPaymentProvider:
    """Deterministic in-process provider for the demo, tests and benchmarks.

    Any ``tok_*`` token is approved except the decline tokens above; ``tok_timeout`` raises
    PaymentTimeout. It keeps a record of every operation keyed by idempotency key, which is how tests
    prove that a retried request charged once.
    """

    name: str = "test"
    timeout_delay_s: float = 0.0
    operations: dict[str, tuple[str, int]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _timed_out: set[str] = field(default_factory=set, repr=False)

    def _record(self, key: str, op: str, amount: int) -> None:
        with self._lock:
            self.operations.setdefault(key, (op, amount))

    def authorize(
        self, *, amount_cents: int, currency: str, payment_method: str, idempotency_key: str
    ) -> Authorization:
        if payment_method == TIMEOUT_ONCE_TOKEN:
            with self._lock:
                first = idempotency_key not in self._timed_out
                self._timed_out.add(idempotency_key)
            if first:
                raise PaymentTimeout("test provider timed out (first try)")
        if payment_method == TIMEOUT_TOKEN:
            if self.timeout_delay_s:
                time.sleep(self.timeout_delay_s)
            raise PaymentTimeout("test provider timed out")
        if not payment_method.startswith("tok_"):
            raise PaymentProviderError("unknown payment method")
        ref = "testpay_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]
        decline = DECLINES.get(payment_method)
        self._record(idempotency_key, "declined" if decline else "authorized", amount_cents)
        if decline:
            return Authorization(approved=False, provider_ref=None, decline_code=decline)
        return Authorization(approved=True, provider_ref=ref)

    def capture(self, *, provider_ref: str, amount_cents: int, idempotency_key: str) -> None:
        self._record(idempotency_key, "captured", amount_cents)

    def void(self, *, provider_ref: str, idempotency_key: str) -> None:
        self._record(idempotency_key, "voided", 0)

    def refund(self, *, provider_ref: str, amount_cents: int, idempotency_key: str) -> None:
        self._record(idempotency_key, "refunded", amount_cents)

    def count(self, op: str) -> int:
        with self._lock:
            return sum(1 for recorded, _ in self.operations.values() if recorded == op)
