"""Login throttling: failures per account and per network prefix, exponential back-off, 429 with
Retry-After while locked (the password is not even checked), reset on success, lockouts audited."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from sqlalchemy import func, select

from audit_limits.audit_world import NO_EXEMPTION, PASSWORD, audit_rows, user_with_password
from support import LiveServer, Market
from yellowcart.audit import throttle
from yellowcart.audit.models import LoginThrottle
from yellowcart.auth.models import ApiToken
from yellowcart.db import Database

POLICY = throttle.ThrottlePolicy(
    free_failures=3, network_free_failures=10, backoff_seconds=30, backoff_max_seconds=100, memory_seconds=3600
)
T0 = dt.datetime(2026, 11, 25, 12, tzinfo=dt.UTC)


def fail(db: Database, key: str, at: dt.datetime) -> throttle.Lockout | None:
    with db.transaction() as s:
        return throttle.record_failure(s, key=key, policy=POLICY, now=at)


def locked(db: Database, key: str, at: dt.datetime) -> float | None:
    with db.transaction() as s:
        return throttle.locked_for(s, keys=[key], now=at)


def test_back_off_doubles_after_the_free_failures_and_is_capped(db: Database) -> None:
    key = "account:abc"
    assert [fail(db, key, T0) for _ in range(2)] == [None, None]
    assert locked(db, key, T0) is None
    first = fail(db, key, T0)
    assert first is not None and (first.failures, first.seconds) == (3, 30)
    assert locked(db, key, T0 + dt.timedelta(seconds=10)) == 20
    assert locked(db, key, T0 + dt.timedelta(seconds=31)) is None
    later = T0 + dt.timedelta(seconds=31)
    assert [fail(db, key, later).seconds for _ in range(3)] == [60, 100, 100]  # type: ignore[union-attr]


def test_success_clears_an_account_and_old_failures_are_forgotten(db: Database) -> None:
    key = "account:abc"
    for _ in range(3):
        fail(db, key, T0)
    with db.transaction() as s:
        throttle.record_success(s, key=key)
    assert locked(db, key, T0) is None
    assert fail(db, key, T0) is None  # counting starts again
    fail(db, key, T0)
    much_later = T0 + dt.timedelta(hours=2)  # past memory_seconds: the streak is over
    assert fail(db, key, much_later) is None
    with db.transaction() as s:
        assert s.get(LoginThrottle, key).failures == 1  # type: ignore[union-attr]
        assert throttle.purge(s, now=much_later + dt.timedelta(hours=2), policy=POLICY) == 1


def test_networks_have_their_own_higher_threshold(db: Database) -> None:
    key = throttle.network_key("203.0.113.0/24")
    assert all(fail(db, key, T0) is None for _ in range(9))
    assert fail(db, key, T0) is not None


def login(server: LiveServer, email: str, password: str) -> httpx.Response:
    with server.client() as c:
        return c.post("/v1/auth/tokens", json={"email": email, "password": password})


def tokens(market: Market) -> int:
    with market.db.transaction() as s:
        return int(s.scalar(select(func.count(ApiToken.id))) or 0)


@pytest.mark.parametrize("limits", [{"login_free_failures": 2, "login_backoff_seconds": 120}])
def test_a_locked_account_gets_429_even_with_the_right_password(server: LiveServer, market: Market) -> None:
    user_id = user_with_password(market, "sam@example.com")
    user_with_password(market, "kim@example.com")
    assert [login(server, "sam@example.com", "wrong").status_code for _ in range(2)] == [401, 401]

    refused = login(server, "SAM@example.com ", PASSWORD)  # the account, however it is spelt
    assert refused.status_code == 429, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert 60 <= int(refused.headers["retry-after"]) <= 120
    assert refused.json()["code"] == "login_throttled"
    assert tokens(market) == 0  # nothing was issued

    assert login(server, "kim@example.com", PASSWORD).status_code == 201  # other accounts are not locked
    [lockout] = audit_rows(market, action="auth.login_locked")
    assert (lockout.subject_kind, lockout.subject_id, lockout.actor_id) == ("user", str(user_id), None)
    assert lockout.detail == {"scope": "user", "failures": 2, "locked_seconds": 120.0}
    assert lockout.network == "127.0.0.0/24" and lockout.request_id
    assert "sam@" not in str(lockout.detail)


@pytest.mark.parametrize("limits", [{"login_free_failures": 3}])
def test_a_successful_login_resets_the_account(server: LiveServer, market: Market) -> None:
    user_with_password(market, "sam@example.com")
    assert [login(server, "sam@example.com", "wrong").status_code for _ in range(2)] == [401, 401]
    assert login(server, "sam@example.com", PASSWORD).status_code == 201
    assert [login(server, "sam@example.com", "wrong").status_code for _ in range(2)] == [401, 401]
    assert login(server, "sam@example.com", PASSWORD).status_code == 201
    assert audit_rows(market, action="auth.login_locked") == []


@pytest.mark.parametrize("limits", [{"login_free_failures": 50, "login_network_free_failures": 3, **NO_EXEMPTION}])
def test_guessing_across_accounts_locks_the_network(server: LiveServer, market: Market) -> None:
    user_with_password(market, "victim@example.com")
    assert [login(server, f"user{i}@example.com", "guess").status_code for i in range(3)] == [401, 401, 401]
    assert login(server, "victim@example.com", PASSWORD).status_code == 429
    [lockout] = audit_rows(market, action="auth.login_locked")
    assert (lockout.subject_kind, lockout.subject_id) == ("network", "127.0.0.0/24")


def test_defaults_forgive_a_few_typos_and_exempt_loopback_networks(server: LiveServer, market: Market) -> None:
    user_with_password(market, "sam@example.com")
    assert [login(server, "sam@example.com", "wrong").status_code for _ in range(4)] == [401] * 4
    assert login(server, "sam@example.com", PASSWORD).status_code == 201
    assert login(server, "", "x").status_code == 422  # not a login: the handler says why
    with market.db.transaction() as s:
        assert not any(k.startswith("network:") for k in s.scalars(select(LoginThrottle.key)))
