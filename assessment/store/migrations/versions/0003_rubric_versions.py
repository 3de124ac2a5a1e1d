"""Rubric versions: every version's YAML texts, who saved it and why, and which one is current.

Revision ID: 0003
Revises: 0002
Create Date: 2025-07-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Migrations are frozen: they spell their types out instead of importing the current schema module.
UTC_TIMESTAMP = sa.DateTime(timezone=True)
PAYLOAD = sa.JSON()


def upgrade() -> None:
    op.create_table(
        "rubric_versions",
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("texts", PAYLOAD, nullable=False),
        sa.Column("author", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("based_on", sa.String(64)),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("version", name="pk_rubric_versions"),
    )
    # The first version is stored (and made current) by the program on first use: the migration
    # does not read rubrics/, which changes with the program.
    op.create_table(
        "rubric_current",
        sa.Column("id", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("since", UTC_TIMESTAMP, nullable=False),
        sa.Column("set_by", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_rubric_current"),
        sa.ForeignKeyConstraint(
            ["version"], ["rubric_versions.version"], name="fk_rubric_current_version_rubric_versions"
        ),
        sa.CheckConstraint("id = 1", name="ck_rubric_current_one_row"),
    )


def downgrade() -> None:
    op.drop_table("rubric_current")
    op.drop_table("rubric_versions")
