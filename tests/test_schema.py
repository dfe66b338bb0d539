"""The schema: Alembic migrations build exactly the models' schema on both backends, and the
database itself (not only Python) refuses rows that break the invariants."""

from __future__ import annotations

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from support import Market
from yellowcart.db import Database
from yellowcart.migrate import upgrade
from yellowcart.models import Base


@pytest.fixture
def fresh_url(backend: str, tmp_path, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
        return
    admin_url = request.getfixturevalue("pg_url")
    name = f"yc_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_migrations_match_models_and_seed_tax(fresh_url: str) -> None:
    db = Database(fresh_url, pool_size=2, max_overflow=0)
    upgrade(db)
    upgrade(db)  # idempotent: a second run changes nothing
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
        assert diff == [], diff
        assert conn.execute(text("SELECT count(*) FROM tax_rates")).scalar_one() == 51
    db.dispose()


def test_database_enforces_invariants(db: Database, market: Market) -> None:
    from yellowcart.auth.models import User

    with pytest.raises(IntegrityError), db.transaction() as s:
        s.execute(insert(User).values(email="x@test.example", display_name="x", role="seller", seller_id=None))
    sku = market.product(market.seller("s"), stock=3)
    for change in ("on_hand = -1", "reserved = 4", "reserved = -1"):
        with pytest.raises(IntegrityError), db.transaction() as s:
            s.execute(text(f"UPDATE stock SET {change}"))
    with db.transaction() as s:
        s.execute(text("UPDATE stock SET reserved = 3"))  # the edge itself is allowed
    assert market.stock(sku) == (3, 3)
