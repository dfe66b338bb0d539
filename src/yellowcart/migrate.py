"""Schema migrations (Alembic, scripts inside the package) and reference-data seeding."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from yellowcart.checkout import tax
from yellowcart.db import Database
from yellowcart.sellers.policies import seed_markets


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "yellowcart:migrations")
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the schema to ``revision`` and seed the bundled reference data.

    SQLite alters a table by rebuilding it (Alembic's batch mode: copy, drop, rename); with foreign keys
    enforced, dropping a table that other rows point at fails. They are switched off for the migration
    (outside any transaction, the only place SQLite honours it), checked before its commit, and
    switched back on, as SQLite's own procedure for schema changes says."""
    sqlite = db.dialect == "sqlite"
    with db.engine.connect() as connection:
        if sqlite:
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            with connection.begin():
                cfg = alembic_config(db.url)
                cfg.attributes["connection"] = connection
                command.upgrade(cfg, revision)
                if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first() is not None:
                    raise RuntimeError("the migration left rows pointing at missing ones (PRAGMA foreign_key_check)")
        finally:
            if sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]
    with db.transaction() as session:
        tax.seed_rates(session)
        seed_markets(session)
