"""The request context and the pure helpers: network prefixes, the client IP behind a proxy, user-agent
families, claimed zones, message templates, routing numbers."""

from __future__ import annotations

from yellowcart.risk import context
from yellowcart.risk.features import comparable_payment
from yellowcart.risk.signals import address_key, template_fingerprint, template_text, valid_routing_number
from yellowcart.sellers.identity import keyed_hash

KEY = b"k"


def test_network_prefixes_ipv4_ipv6_and_junk() -> None:
    assert context.network_prefix("203.0.113.77") == "203.0.113.0/24"
    assert context.network_prefix("2001:db8:1:2::5") == "2001:db8:1::/48"
    assert context.network_prefix("::ffff:198.51.100.9") == "198.51.100.0/24"
    assert context.network_prefix("not an ip") is None
    assert context.network_prefix(None) is None


def test_client_ip_is_the_peer_unless_the_proxy_is_trusted() -> None:
    scope = {"client": ("10.0.0.1", 5000), "headers": [(b"x-forwarded-for", b"198.51.100.7, 10.0.0.1")]}
    assert context.client_ip(scope, trust_proxy=False) == "10.0.0.1"
    assert context.client_ip(scope, trust_proxy=True) == "198.51.100.7"
    spoofed = {"client": ("10.0.0.1", 5000), "headers": [(b"x-forwarded-for", b"garbage")]}
    assert context.client_ip(spoofed, trust_proxy=True) == "10.0.0.1"


def test_context_keeps_hashes_not_raw_values() -> None:
    built = context.build(
        key=KEY,
        ip="203.0.113.77",
        device_id="dev-123456",
        user_agent="Mozilla/5.0 (Windows NT 10.0) Chrome/120",
        timezone="Europe/Paris",
    )
    stored = built.stored()
    assert stored == {
        "network": "203.0.113.0/24",
        "ip_hash": keyed_hash(KEY, "ip", "203.0.113.77"),
        "device_hash": keyed_hash(KEY, "device", "dev-123456"),
        "ua_family": "windows/chrome",
        "timezone": "Europe/Paris",
    }
    assert "203.0.113.77" not in str(stored) and "dev-123456" not in str(stored)
    odd = context.build(key=KEY, ip=None, device_id="x", user_agent=None, timezone="Mars/Olympus_Mons")
    assert odd.device_hash is None and odd.timezone is None and odd.network is None  # junk is dropped


def test_templates_ignore_names_numbers_and_links() -> None:
    a = "Hi Anna, your order #1234 ships today! Track it at https://t.example/abc"
    b = "hi Bob - your order #98 ships today. Track it at www.t.example/zzz"
    assert template_text(a) == template_text(b)
    assert template_fingerprint(KEY, a) == template_fingerprint(KEY, b)
    assert template_fingerprint(KEY, a) != template_fingerprint(KEY, "Your refund was sent today")
    assert "anna" not in template_text(a)


def test_routing_numbers_addresses_and_payment_names() -> None:
    assert valid_routing_number("021000021") and not valid_routing_number("021000022")
    assert address_key({"line1": "1 Elm St.", "zip": "10001-1234"}) == "1elmst|10001"
    assert address_key({"line1": "100 College Ave", "line2": "Room 12", "zip": "60601"}) == "100collegeave~room12|60601"
    assert comparable_payment("tok_visa") is None  # a provider test name everyone uses
    assert comparable_payment("pm_1NqP2cK8") == "pm_1NqP2cK8"
