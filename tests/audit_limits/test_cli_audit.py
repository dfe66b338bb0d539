"""Privileged CLI commands leave audit records too: who ran them on the box, never the secrets."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from yellowcart.audit.models import AuditEntry
from yellowcart.cli import app
from yellowcart.db import Database
from yellowcart.settings import get_settings

runner = CliRunner()


@pytest.fixture
def cli_db(tmp_path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("YC_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    db = Database(get_settings().database_url)
    yield db
    db.dispose()
    get_settings.cache_clear()


def test_users_tokens_and_settlements_from_the_cli_are_audited(cli_db: Database) -> None:
    made = runner.invoke(app, ["users", "create", "ops@example.com", "--role", "operator", "--password", "p" * 12])
    assert made.exit_code == 0, made.output
    token = runner.invoke(app, ["tokens", "create", "ops@example.com", "--name", "deploy", "--days", "1"])
    assert token.exit_code == 0, token.output
    settled = runner.invoke(app, ["settle", "--period", "2026-10-01"])
    assert settled.exit_code == 0, settled.output

    with cli_db.transaction() as s:
        rows = list(s.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    assert [(r.action, r.actor_id, r.actor_role, r.subject_kind) for r in rows] == [
        ("cli.users.create", None, "cli", "user"),
        ("cli.tokens.create", None, "cli", "user"),
        ("cli.settle", None, "cli", "period"),
    ]
    assert rows[0].detail["role"] == "operator" and "os_user" in rows[0].detail
    assert rows[1].detail["label"] == "deploy"
    assert rows[2].subject_id == "2026-10-01"
    stored = str([r.detail for r in rows])
    assert "ops@example.com" not in stored and "p" * 12 not in stored and token.output.strip() not in stored
