"""What an audit record's detail may keep: no secrets and no personal data, ever.

Pure (no I/O). Keys that name a secret or a personal field lose their value whatever it is; values that
look like a credential, an e-mail address, a phone, card or account number are masked wherever they
appear (free text included); strings are cut short, nesting and collections are bounded, so one record
stays small and cannot smuggle a document in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

REDACTED = "[redacted]"
MAX_STRING = 300
MAX_ITEMS = 50
MAX_DEPTH = 4

#: Key words whose values are never written: secrets, and personal data (contact details, names, places).
SECRET_WORDS = frozenset(
    ("password", "passwd", "passphrase", "secret", "secrets", "token", "tokens", "authorization", "apikey",
     "credential", "credentials", "signature", "hmac", "cookie", "cvc", "cvv", "iban", "ssn", "ein", "passport",
     "dob")
)  # fmt: skip
PERSONAL_WORDS = frozenset(
    ("email", "phone", "mobile", "address", "line1", "line2", "street", "zip", "postal", "recipient", "ip", "device")
)
#: The same, for keys of several words (matched inside the snake_cased key).
SENSITIVE_PHRASES = (
    "api_key", "payment_method", "account_number", "routing_number", "tax_id", "document_number", "id_number",
    "license_number", "licence_number", "date_of_birth", "card_number", "private_key", "display_name",
    "full_name", "first_name", "last_name", "e_mail",
)  # fmt: skip
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SPLIT = re.compile(r"[^a-z0-9]+")
_PATTERNS = (
    re.compile(r"\b(yc|sk|rk|pk|whsec)_[A-Za-z0-9_\-]{8,}"),  # API tokens and provider keys
    re.compile(r"Bearer\s+\S+", re.I),
    re.compile(r"[^\s@<>()\[\],;:\"]+@[^\s@<>()\[\],;:\"]+\.[^\s@<>()\[\],;:\"]{2,}"),  # e-mail addresses
)
#: Runs of digits (with the separators people type) that may be a phone, card, account or document number.
_NUMBER = re.compile(r"\+?\d[\d ().\-/]{6,}\d")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def redact(detail: Mapping[str, Any] | None) -> dict[str, Any]:
    """A copy of ``detail`` safe to store in the audit log."""
    if not detail:
        return {}
    return {str(k)[:80]: _value(str(k), v, 1) for k, v in list(detail.items())[:MAX_ITEMS]}


def scrub(text: str) -> str:
    """Free text with credentials and contact or account numbers masked, cut to ``MAX_STRING``."""
    for pattern in _PATTERNS:
        text = pattern.sub(REDACTED, text)
    text = _NUMBER.sub(_mask_number, text)
    return text if len(text) <= MAX_STRING else text[: MAX_STRING - 1] + "…"


def _mask_number(match: re.Match[str]) -> str:
    """Nine digits or more (a US phone has ten, an EIN nine, cards 13-19); ISO dates are not numbers."""
    found = match.group(0)
    if _DATE.match(found) or sum(c.isdigit() for c in found) < 9:
        return found
    return REDACTED


def is_sensitive_key(key: str) -> bool:
    """``password``, ``shipping_address``, ``payoutAccountNumber``, ``X-Api-Key``: yes; ``reason``: no."""
    snake = _CAMEL.sub("_", key).lower()
    words = set(_SPLIT.split(snake))
    if words & SECRET_WORDS or words & PERSONAL_WORDS:
        return True
    joined = "_".join(w for w in _SPLIT.split(snake) if w)
    return any(phrase in joined for phrase in SENSITIVE_PHRASES)


def _value(key: str, value: Any, depth: int) -> Any:
    if is_sensitive_key(key):
        return REDACTED if value not in (None, "", [], {}) else value
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return scrub(value)
    if depth >= MAX_DEPTH:
        return "[nested]"
    if isinstance(value, Mapping):
        return {str(k)[:80]: _value(str(k), v, depth + 1) for k, v in list(value.items())[:MAX_ITEMS]}
    if isinstance(value, list | tuple | set | frozenset):
        return [_value(key, v, depth + 1) for v in list(value)[:MAX_ITEMS]]
    return scrub(str(value))
