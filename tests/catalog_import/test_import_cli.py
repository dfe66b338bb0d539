"""``yellowcart import shopify-csv FILE --seller ID [--dry-run]`` on SQLite and PostgreSQL: the last
line on stdout is the JSON summary; a second run changes nothing; a refused file exits 1 and imports
nothing. One run goes through a real subprocess, as an operator would call it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from catalog_import.import_world import FIXTURES, LEGACY_IMPORTED, categories, products
from support import Market
from yellowcart.cli import app
from yellowcart.db import Database
from yellowcart.settings import get_settings

runner = CliRunner()


@pytest.fixture
def cli_db(db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    monkeypatch.setenv("YC_DATABASE_URL", db.url)
    get_settings.cache_clear()
    yield db
    get_settings.cache_clear()


def _summary(stdout: str) -> dict[str, Any]:
    summary: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    return summary


def test_import_dry_run_then_real_then_again(cli_db: Database, market: Market) -> None:
    seller = market.seller("northbound")
    categories(cli_db)
    path = str(FIXTURES / "legacy_export.csv")
    dry = runner.invoke(app, ["import", "shopify-csv", path, "--seller", str(seller), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert _summary(dry.stdout) | {"notes": []} == {
        "import": "shopify-csv", "products": 5, "variants": 8, "created": 3, "updated": 0, "skipped": 2,
        "errors": [], "unchanged": 0, "dry_run": True, "format": "legacy", "rows": 9, "notes": [],
    }  # fmt: skip
    assert products(cli_db) == {}
    real = runner.invoke(app, ["import", "shopify-csv", path, "--seller", str(seller)])
    assert real.exit_code == 0, real.output
    assert list(_summary(real.stdout))[:7] == [
        "import",
        "products",
        "variants",
        "created",
        "updated",
        "skipped",
        "errors",
    ]
    assert (_summary(real.stdout)["created"], _summary(real.stdout)["dry_run"]) == (3, False)
    assert set(products(cli_db, seller)) == LEGACY_IMPORTED
    again = runner.invoke(app, ["import", "shopify-csv", path, "--seller", str(seller)])
    assert again.exit_code == 0 and _summary(again.stdout)["created"] == 0 and _summary(again.stdout)["skipped"] == 5


def test_refused_file_and_unknown_seller_exit_1_with_the_reason(
    cli_db: Database, market: Market, tmp_path: Path
) -> None:
    seller = market.seller("northbound")
    not_csv = tmp_path / "customers.csv"
    not_csv.write_text("First Name,Last Name,Email\nAda,Lovelace,ada@example.com\n")
    refused = runner.invoke(app, ["import", "shopify-csv", str(not_csv), "--seller", str(seller)])
    assert refused.exit_code == 1
    assert (
        _summary(refused.stdout)["products"] == 0
        and "not a Shopify product CSV" in _summary(refused.stdout)["errors"][0]
    )
    missing = runner.invoke(app, ["import", "shopify-csv", str(FIXTURES / "current_export.csv"), "--seller", "4242"])
    assert missing.exit_code == 1 and "Seller 4242 does not exist" in _summary(missing.stdout)["errors"][0]
    assert products(cli_db) == {}


def test_the_command_in_a_subprocess_prints_progress_to_stderr_and_the_summary_last(
    cli_db: Database, market: Market, tmp_path: Path
) -> None:
    seller = market.seller("northbound")
    report = tmp_path / "report.json"
    env = {**os.environ, "YC_DATABASE_URL": cli_db.url}
    args = [sys.executable, "-m", "yellowcart.cli", "import", "shopify-csv", str(FIXTURES / "current_export.csv")]
    done = subprocess.run(
        [*args, "--seller", str(seller), "--report", str(report)], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1 and _summary(done.stdout)["created"] == 3
    full = json.loads(report.read_text())
    assert [r["handle"] for r in full["results"]] == ["glow-serum", "cork-yoga-mat", "travel-candle-trio"]
    assert "importing" in done.stderr and "catalog_import" in done.stderr  # progress and the log: not stdout
