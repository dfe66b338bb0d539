"""Schema migrations (Alembic, scripts inside the package) and reference-data seeding."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from yellowcart.checkout import tax
from yellowcart.db import Database


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "yellowcart:migrations")
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the schema to ``revision`` and seed the bundled reference data."""
    with db.engine.begin() as connection:
        cfg = alembic_config(db.url)
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)
    with db.transaction() as session:
        tax.seed_rates(session)
