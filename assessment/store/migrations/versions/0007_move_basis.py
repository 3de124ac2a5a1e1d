"""Workflow moves record the result they rest on (basis) and whether they were an exception (例外).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Moves made before this version recorded no basis (NULL) and were no exception.
    with op.batch_alter_table("workflow_events") as batch:
        batch.add_column(sa.Column("basis", sa.JSON(), nullable=True))
        batch.add_column(
            sa.Column("exception", sa.Boolean(create_constraint=False), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("workflow_events") as batch:
        batch.drop_column("exception")
        batch.drop_column("basis")
