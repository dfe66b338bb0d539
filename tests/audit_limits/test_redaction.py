"""What an audit record's detail keeps: no secrets and no personal data, whatever a caller passes."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from yellowcart.audit.redaction import MAX_STRING, REDACTED, is_sensitive_key, redact, scrub


def test_secret_and_personal_keys_lose_their_values_at_any_depth() -> None:
    detail = {
        "password": "hunter2hunter2",
        "Authorization": "Bearer yc_abc",
        "payoutAccountNumber": "000123456789",
        "shipping_address": {"line1": "1 Market St", "zip": "94105"},
        "members": [{"email": "sam@acme.example", "display_name": "Sam Doe", "role": "seller"}],
        "decision": "approve",
        "amount_cents": 1999,
    }
    kept = redact(detail)
    assert kept["password"] == kept["Authorization"] == kept["payoutAccountNumber"] == REDACTED
    assert kept["shipping_address"] == REDACTED
    assert kept["members"] == [{"email": REDACTED, "display_name": REDACTED, "role": "seller"}]
    assert (kept["decision"], kept["amount_cents"]) == ("approve", 1999)
    text = json.dumps(kept)
    for secret in ("hunter2", "yc_abc", "000123456789", "Market St", "94105", "sam@acme", "Sam Doe"):
        assert secret not in text


def test_free_text_is_scrubbed_of_credentials_contacts_and_numbers_but_keeps_dates() -> None:
    reason = (
        "Seller sam@acme.example (+1 415-555-0100, EIN 12-3456789) pasted yc_0123456789abcdef and Bearer xyz.abc "
        "on 2026-11-25; order 12345"
    )
    out = scrub(reason)
    for leaked in ("sam@acme.example", "555-0100", "3456789", "yc_0123456789abcdef", "xyz.abc"):
        assert leaked not in out
    assert "2026-11-25" in out and "order 12345" in out


def test_keys_that_only_look_alike_are_kept() -> None:
    for key in ("membership", "reason", "status", "decision", "supply_price_cents", "name", "shipment_id"):
        assert not is_sensitive_key(key), key
    for key in ("X-Api-Key", "api_key", "home_zip", "ip_hash", "device_id", "tokens", "date_of_birth"):
        assert is_sensitive_key(key), key


def test_records_stay_small() -> None:
    kept = redact({"note": "x" * 10_000, "items": list(range(500)), "deep": {"a": {"b": {"c": {"d": {"e": 1}}}}}})
    assert len(kept["note"]) == MAX_STRING
    assert len(kept["items"]) == 50
    assert "[nested]" in json.dumps(kept["deep"])


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)


@given(st.dictionaries(st.text(max_size=12), json_values, max_size=6), st.emails())
def test_a_planted_email_or_token_never_survives(detail: dict[str, object], email: str) -> None:
    planted = {**detail, "note": f"contact {email} token yc_{'a' * 20}", "nested": {"free": [f"{email}"]}}
    text = json.dumps(redact(planted))
    assert email not in text
    assert "yc_" + "a" * 20 not in text
