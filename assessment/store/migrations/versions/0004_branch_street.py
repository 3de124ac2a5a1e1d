"""Branches: the street (所属街道) each belongs to, for a district's 总览 (NULL when not given).

Revision ID: 0004
Revises: 0003
Create Date: 2025-07-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch: SQLite cannot drop a column in place (downgrade); adding one is plain ALTER on both.
    with op.batch_alter_table("branches") as batch:
        batch.add_column(sa.Column("street", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("branches") as batch:
        batch.drop_column("street")
