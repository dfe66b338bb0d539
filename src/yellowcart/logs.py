"""structlog JSON logs; secrets (tokens, card tokens, passwords, keys) are redacted before output."""

from __future__ import annotations

import logging
import re
from collections.abc import MutableMapping
from typing import Any

import structlog

from yellowcart.privacy.log_redaction import redact_personal

_SECRET_KEYS = re.compile(r"(token|password|secret|authorization|api_key|payment_method)", re.I)
_TOKEN = re.compile(r"\b(yc|sk|rk|pk)_[A-Za-z0-9_\-]{8,}")


def _redact(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in list(event.items()):
        if _SECRET_KEYS.search(key):
            event[key] = "[redacted]"
        elif isinstance(value, str):
            event[key] = _TOKEN.sub(r"\1_[redacted]", value)
    return event


def configure(level: str = "INFO", json: bool = True) -> None:
    logging.basicConfig(level=level, format="%(message)s")
    renderer: Any = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _redact,
            redact_personal,  # e-mails, IPs, phone-like numbers, personal keys
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        cache_logger_on_first_use=True,
    )
