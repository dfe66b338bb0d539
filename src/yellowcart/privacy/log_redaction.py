"""A structlog processor that keeps personal data out of the logs (wired in ``yellowcart.logs``).

Log lines name records by id (``order_id``, ``user_id``), never by what they hold; this is the net for
mistakes: keys that name personal data lose their value, and e-mail addresses, IP addresses and long
digit runs (phones, card or account numbers) are masked in every string value, exception text
included (a database error may quote the row it refused). Pure, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping
from typing import Any

REDACTED = "[redacted]"
#: Words in a key whose value is personal whatever it is (``email``, ``ship_to``, ``client_ip``).
_PERSONAL_KEY = re.compile(
    r"(^|_)(email|e_mail|phone|mobile|address|line1|line2|street|ship_to|display_name|full_name|"
    r"first_name|last_name|ip|ip_address|user_agent|device_id|comment|message_text|body)($|_)",
    re.I,
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
_IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
_IPV6 = re.compile(r"\b(?:[0-9a-fA-F]{1,4}:){3,7}[0-9a-fA-F]{1,4}\b")
#: Nine digits or more with the separators people type; ISO dates and times are left alone.
_NUMBER = re.compile(r"\+?\d[\d ().\-/]{6,}\d")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _mask_number(match: re.Match[str]) -> str:
    found = match.group(0)
    if _DATE.match(found) or sum(c.isdigit() for c in found) < 9:
        return found
    return REDACTED


def scrub(text: str) -> str:
    text = _EMAIL.sub(REDACTED, text)
    text = _IPV6.sub(REDACTED, _IPV4.sub(REDACTED, text))
    return _NUMBER.sub(_mask_number, text)


def redact_personal(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in list(event.items()):
        if key in ("timestamp", "level"):
            continue
        if _PERSONAL_KEY.search(key) and value not in (None, ""):
            event[key] = REDACTED
        elif isinstance(value, str):
            event[key] = scrub(value)
    return event
