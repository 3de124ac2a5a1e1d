"""Access codes, the acceptance workflow, the branches' self-assessments and uploads.

Revision ID: 0002
Revises: 0001
Create Date: 2025-06-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Migrations are frozen: they spell their types out instead of importing the current schema module.
UTC_TIMESTAMP = sa.DateTime(timezone=True)
PAYLOAD = sa.JSON()


def _branch_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["branch_id"], ["branches.branch_id"], name=f"fk_{table}_branch_id_branches")


def upgrade() -> None:
    op.create_table(
        "access_codes",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.Column("branch_id", sa.String(64), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("kdf", sa.Text, nullable=False),
        sa.Column("salt", sa.Text, nullable=False),
        sa.Column("digest", sa.Text, nullable=False),
        sa.Column("issued_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("issued_by", sa.Text, nullable=False),
        sa.Column("revoked_at", UTC_TIMESTAMP),
        sa.Column("revoked_by", sa.Text),
        sa.Column("revoke_reason", sa.Text),
        sa.Column("last_used_at", UTC_TIMESTAMP),
        sa.PrimaryKeyConstraint("id", name="pk_access_codes"),
        _branch_fk("access_codes"),
        sa.UniqueConstraint("key_id", name="uq_access_codes_key_id"),
        sa.CheckConstraint("revoked_at IS NULL OR revoke_reason IS NOT NULL", name="ck_access_codes_revoke_reason"),
    )
    op.create_index("ix_access_codes_branch_id_year", "access_codes", ["branch_id", "year"])
    op.create_table(
        "workflow_status",
        sa.Column("branch_id", sa.String(64), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("since", UTC_TIMESTAMP, nullable=False),
        sa.Column("event_id", sa.Integer, nullable=False),
        sa.Column("valid_from", sa.Date),
        sa.Column("valid_until", sa.Date),
        sa.PrimaryKeyConstraint("branch_id", "year", name="pk_workflow_status"),
        _branch_fk("workflow_status"),
    )
    op.create_table(
        "workflow_events",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("branch_id", sa.String(64), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("from_status", sa.Text, nullable=False),
        sa.Column("to_status", sa.Text, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("at", UTC_TIMESTAMP, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("valid_from", sa.Date),
        sa.Column("valid_until", sa.Date),
        sa.PrimaryKeyConstraint("id", name="pk_workflow_events"),
        _branch_fk("workflow_events"),
    )
    op.create_index("ix_workflow_events_branch_id_year", "workflow_events", ["branch_id", "year"])
    op.create_table(
        "self_assessments",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("branch_id", sa.String(64), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("payload", PAYLOAD, nullable=False),
        sa.Column("rubric_version", sa.Text, nullable=False),
        sa.Column("updated_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_self_assessments"),
        _branch_fk("self_assessments"),
        sa.CheckConstraint("status IN ('draft', 'submitted', 'superseded')", name="ck_self_assessments_status"),
    )
    for status in ("draft", "submitted"):
        op.create_index(
            f"ix_self_assessments_one_{status}",
            "self_assessments",
            ["branch_id", "year"],
            unique=True,
            sqlite_where=sa.text(f"status = '{status}'"),
            postgresql_where=sa.text(f"status = '{status}'"),
        )
    op.create_table(
        "branch_uploads",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("branch_id", sa.String(64), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("at", UTC_TIMESTAMP, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("rows", PAYLOAD, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_branch_uploads"),
        _branch_fk("branch_uploads"),
        sa.CheckConstraint("kind IN ('activities', 'roster')", name="ck_branch_uploads_kind"),
    )
    op.create_index("ix_branch_uploads_branch_id_year_kind", "branch_uploads", ["branch_id", "year", "kind"])


def downgrade() -> None:
    for table in ("branch_uploads", "self_assessments", "workflow_events", "workflow_status", "access_codes"):
        op.drop_table(table)
