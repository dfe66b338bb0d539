"""``yellowcart jobs support`` as an operator runs it: on a migrated database, idempotent."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from yellowcart.cli import app
from yellowcart.settings import get_settings

runner = CliRunner()


@pytest.fixture
def sqlite_env(tmp_path, monkeypatch: pytest.MonkeyPatch) -> str:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("YC_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_jobs_support_runs(sqlite_env: str) -> None:
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    for _ in range(2):
        run = runner.invoke(app, ["jobs", "support"])
        assert run.exit_code == 0, run.output
        assert "breaches 0, auto-closed 0, e-mails queued 0, sent 0, messages deleted 0" in run.output
