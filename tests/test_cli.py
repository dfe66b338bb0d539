"""The yellowcart command as an operator uses it: migrate, create users, mint tokens, generate a demo."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from yellowcart.cli import app
from yellowcart.db import Database
from yellowcart.settings import get_settings

runner = CliRunner()


@pytest.fixture
def sqlite_env(tmp_path, monkeypatch: pytest.MonkeyPatch) -> str:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("YC_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_migrate_users_tokens_and_demo(sqlite_env: str) -> None:
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    made = runner.invoke(app, ["users", "create", "ops@example.com", "--role", "operator", "--name", "Ops"])
    assert made.exit_code == 0, made.output
    dup = runner.invoke(app, ["users", "create", "ops@example.com", "--role", "operator"])
    assert dup.exit_code != 0
    seller_without_account = runner.invoke(app, ["users", "create", "s@example.com", "--role", "seller"])
    assert seller_without_account.exit_code != 0
    token = runner.invoke(app, ["tokens", "create", "ops@example.com", "--days", "1"])
    assert token.exit_code == 0 and token.output.strip().startswith("yc_")

    from yellowcart.auth.service import authenticate

    db = Database(sqlite_env)
    with db.transaction() as s:
        who = authenticate(s, token=token.output.strip())
    assert who.role.value == "operator"

    demo = runner.invoke(app, ["demo", "--scale", "0.02", "--reset"])
    assert demo.exit_code == 0, demo.output
    again = runner.invoke(app, ["demo", "--if-empty"])
    assert again.exit_code == 0 and "already present" in again.output
    assert "engines version" in demo.output  # the demo trained the feed on its log
    kept = runner.invoke(app, ["train", "--if-missing"])
    assert kept.exit_code == 0 and "already trained" in kept.output
    from yellowcart.catalog.models import Product

    with db.transaction() as s:
        assert (s.scalar(select(func.count(Product.id))) or 0) > 50
    db.dispose()
