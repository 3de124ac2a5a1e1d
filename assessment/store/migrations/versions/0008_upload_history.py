"""Branch uploads as a history: how each upload was applied (merged into the log or replacing it) and
what it did (records added, replaced, unchanged, kept, removed), as the page's preview showed it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07

Uploads stored before this revision replaced the whole log or roster: their ``mode`` is ``replace``
and their counts are unknown (NULL).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

COUNTS = ("added", "replaced", "unchanged", "kept", "removed")


def upgrade() -> None:
    # batch: SQLite cannot drop columns in place (downgrade); adding them is plain ALTER on both.
    with op.batch_alter_table("branch_uploads") as batch:
        batch.add_column(sa.Column("mode", sa.Text, nullable=False, server_default="replace"))
        for name in COUNTS:
            batch.add_column(sa.Column(name, sa.Integer, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("branch_uploads") as batch:
        for name in reversed(COUNTS):
            batch.drop_column(name)
        batch.drop_column("mode")
