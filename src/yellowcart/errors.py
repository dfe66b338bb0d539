"""Domain errors and their RFC 9457 problem+json rendering.

Every error a client can cause has a stable ``code``; the HTTP layer maps them, services only raise.
"""

from __future__ import annotations

from typing import Any

PROBLEM_JSON = "application/problem+json"


class DomainError(Exception):
    """Base for errors a client can act on."""

    status: int = 400
    code: str = "bad_request"
    title: str = "Bad request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"https://yellowcart.dev/problems/{self.code.replace('_', '-')}",
            "title": self.title,
            "status": self.status,
            "code": self.code,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        body.update(self.extra)
        return body


class NotFound(DomainError):
    status, code, title = 404, "not_found", "Not found"


class Unauthorized(DomainError):
    status, code, title = 401, "unauthorized", "Authentication required"


class Forbidden(DomainError):
    status, code, title = 403, "forbidden", "Not allowed"


class Conflict(DomainError):
    status, code, title = 409, "conflict", "Conflict"


class InvalidInput(DomainError):
    status, code, title = 422, "invalid_input", "Invalid input"


class InvalidTransition(Conflict):
    code, title = "invalid_transition", "Transition not allowed"


class InsufficientStock(Conflict):
    code, title = "insufficient_stock", "Insufficient stock"


class IdempotencyKeyReused(Conflict):
    code, title = "idempotency_key_reused", "Idempotency key reused with a different request"


class IdempotencyInProgress(Conflict):
    code, title = "idempotency_in_progress", "A request with this idempotency key is still in progress"


class PaymentDeclined(DomainError):
    status, code, title = 402, "payment_declined", "Payment declined"


class PaymentUnavailable(DomainError):
    status, code, title = 503, "payment_unavailable", "Payment provider did not answer"
