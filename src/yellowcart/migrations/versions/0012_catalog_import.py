"""catalogue imports

Revision ID: 0012_catalog_import
Revises: 0011_custody
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import yellowcart.db

revision: str = "0012_catalog_import"
down_revision: str | None = "0011_custody"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
