"""Shared fixtures: a real database per backend (SQLite file, PostgreSQL scratch database), the app
served by a real uvicorn on a free port, and factories that build a small market.

PostgreSQL tests run when a server answers at YC_TEST_POSTGRES_URL (default the local one); each
test session creates and drops its own database. Without a server they skip with one line.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from support import LiveServer, Market
from yellowcart.audit.models import lift_append_only, restore_append_only
from yellowcart.bootstrap import Container, bootstrap
from yellowcart.checkout import tax
from yellowcart.checkout.payments import TestPaymentProvider
from yellowcart.db import Database
from yellowcart.models import Base
from yellowcart.settings import Settings

PG_ADMIN_URL = os.environ.get("YC_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _pg_available() -> str | None:
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any failure means: no server for these tests
        where = make_url(PG_ADMIN_URL).render_as_string(hide_password=True)
        return f"PostgreSQL not reachable at {where}: {type(exc).__name__}"


_PG_SKIP = _pg_available()
if _PG_SKIP and os.environ.get("YC_REQUIRE_POSTGRES") == "1":
    raise RuntimeError(f"YC_REQUIRE_POSTGRES=1 but {_PG_SKIP}")


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    if _PG_SKIP:
        pytest.skip(_PG_SKIP)
    name = f"yc_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        # A scratch database: commits need not wait for the disk (durability only matters after a crash,
        # and a crashed test run starts from scratch). Keeps checkpoints on a slow disk from stalling tests.
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'yellowcart.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


_SCHEMAS: dict[str, Database] = {}


def _database(url: str) -> Database:
    """One engine per URL for the session; schema created once, rows wiped per test."""
    if url not in _SCHEMAS:
        db = Database(url, pool_size=30, max_overflow=40)
        Base.metadata.drop_all(db.engine)
        Base.metadata.create_all(db.engine)
        _SCHEMAS[url] = db
    return _SCHEMAS[url]


_SEQUENCES: dict[str, list[str]] = {}


def wipe(db: Database) -> None:
    """Every table empty and every id back to 1, between tests.

    PostgreSQL: ``DELETE`` with triggers off for the transaction (``session_replication_role``, as the
    superuser the tests connect as) and the sequences reset: ~4 ms against ~210 ms for ``TRUNCATE`` of the
    ~100 tables, which made the wipe a fifth of the suite's PostgreSQL time. The append-only guards and
    foreign keys are triggers, so they stay off only inside this transaction."""
    tables = list(reversed(Base.metadata.sorted_tables))
    with db.engine.begin() as conn:
        if db.dialect == "postgresql":
            if db.url not in _SEQUENCES:
                found = conn.execute(
                    text("SELECT quote_ident(sequencename) FROM pg_sequences WHERE schemaname = current_schema()")
                )
                _SEQUENCES[db.url] = [str(name) for (name,) in found]
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            conn.exec_driver_sql("; ".join(f'DELETE FROM "{t.name}"' for t in tables))
            if _SEQUENCES[db.url]:
                conn.exec_driver_sql("SELECT " + ", ".join(f"setval('{q}', 1, false)" for q in _SEQUENCES[db.url]))
        else:
            lift_append_only(conn)  # SQLite has no TRUNCATE; the audit log refuses DELETE
            for table in tables:
                conn.execute(table.delete())
            restore_append_only(conn)


@pytest.fixture
def db(backend: str, request: pytest.FixtureRequest) -> Iterator[Database]:
    url = request.getfixturevalue("pg_url" if backend == "postgres" else "sqlite_url")
    database = _database(url)
    wipe(database)
    with database.transaction() as session:
        tax.seed_rates(session)
    yield database


@pytest.fixture
def provider() -> TestPaymentProvider:
    return TestPaymentProvider()


@pytest.fixture
def settings(db: Database) -> Settings:
    return Settings(
        database_url=db.url, inline_worker=False, feed_warmup=False, log_level="WARNING", reservation_ttl_seconds=900
    )


@pytest.fixture
def container(settings: Settings, db: Database, provider: TestPaymentProvider) -> Container:
    return bootstrap(settings, db=db, provider=provider)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(container: Container) -> Iterator[LiveServer]:
    """The real app on a real socket, served by uvicorn in a thread."""
    from yellowcart.app import create_app

    app = create_app(container.settings, container)
    # Two test workers pick free ports independently: if another process takes ours between the pick and
    # the bind, the server thread ends at once; pick another port and try again.
    for _attempt in range(5):
        port = _free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
        srv = uvicorn.Server(config)
        thread = threading.Thread(target=srv.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not srv.started and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        if srv.started:
            break
        srv.should_exit = True
        thread.join(timeout=5)
    else:
        raise RuntimeError("uvicorn did not start")
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", container)
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def market(db: Database) -> Market:
    return Market(db=db)


# ---- a real browser, one per test process ----------------------------------------------------------------
# Session-scoped here (not in each web test package), so every browser test in a process shares one
# Playwright: a second sync Playwright in the same process refuses to start.
CHROMIUM = os.environ.get("YC_CHROMIUM", "/usr/bin/chromium")


def _chromium() -> str | None:
    if Path(CHROMIUM).exists():
        return CHROMIUM
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = _chromium()
    why = None
    if executable is None:
        why = f"chromium is not installed ({CHROMIUM}); apt-get install -y chromium"
    else:
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            why = "playwright is not installed (pip install -e '.[dev]')"
    if why is not None:
        if os.environ.get("YC_REQUIRE_BROWSER") == "1":
            pytest.fail(f"YC_REQUIRE_BROWSER=1 but {why}")
        pytest.skip(why)
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=executable, headless=True, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()
