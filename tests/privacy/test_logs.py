"""The logs carry no personal data: structlog's processors mask e-mails, IP addresses and phone-like
numbers in every value and drop the values of keys that name personal fields, while ids, codes, dates
and the event names stay readable."""

from __future__ import annotations

import json

import pytest
import structlog

from yellowcart import logs
from yellowcart.privacy.log_redaction import REDACTED, redact_personal


def test_personal_values_and_keys_are_masked() -> None:
    event = redact_personal(
        None,
        "info",
        {
            "event": "checkout.payment_error",
            "order_id": 42,
            "error": "IntegrityError: (email)=(ada@example.com) from 203.0.113.7 phone +1 (212) 555-0100",
            "email": "ada@example.com",
            "client_ip": "2001:db8::1",
            "ship_to": {"line1": "350 5th Ave"},
            "placed_at": "2026-11-25T10:00:00+00:00",
            "count": 1234567890,
            "code": "payment_timeout",
        },
    )
    assert event["error"] == f"IntegrityError: (email)=({REDACTED}) from {REDACTED} phone {REDACTED}"
    assert event["email"] == event["client_ip"] == event["ship_to"] == REDACTED
    assert event["order_id"] == 42 and event["count"] == 1234567890 and event["code"] == "payment_timeout"
    assert event["placed_at"] == "2026-11-25T10:00:00+00:00" and event["event"] == "checkout.payment_error"


def test_the_configured_pipeline_redacts(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure("INFO", json=True)
    try:
        structlog.get_logger("privacy-test").warning(
            "support.job_failed", conversation_id=7, error="mail to bob@example.org bounced", display_name="Bob B"
        )
        line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    finally:
        logs.configure("WARNING", json=True)
    assert line["event"] == "support.job_failed" and line["conversation_id"] == 7
    assert line["error"] == f"mail to {REDACTED} bounced" and line["display_name"] == REDACTED
