"""The first schema: branches, imports, activity logs, evaluations (revisions), drafts, audit log.

Revision ID: 0001
Revises:
Create Date: 2025-06-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Migrations are frozen: they spell their types out instead of importing the current schema module.
UTC_TIMESTAMP = sa.DateTime(timezone=True)
PAYLOAD = sa.JSON()  # JSON text, not JSONB: payloads come back as stored, keys in their order


def upgrade() -> None:
    op.create_table(
        "branches",
        sa.Column("branch_id", sa.String(64), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("full_members", sa.Integer),
        sa.Column("probationary_members", sa.Integer),
        sa.Column("committee_size", sa.Integer),
        sa.Column("last_election", sa.Date),
        sa.Column("kind", sa.Text),
        sa.Column("party_groups", sa.Integer),
        sa.Column("updated_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("updated_by", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("branch_id", name="pk_branches"),
    )
    op.create_table(
        "imports",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("at", UTC_TIMESTAMP, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("rubric_version", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_imports"),
    )
    op.create_table(
        "activity_logs",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("import_id", sa.Integer, nullable=False),
        sa.Column("branch_id", sa.String(64), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_activity_logs"),
        sa.ForeignKeyConstraint(["import_id"], ["imports.id"], name="fk_activity_logs_import_id_imports"),
        sa.ForeignKeyConstraint(["branch_id"], ["branches.branch_id"], name="fk_activity_logs_branch_id_branches"),
        sa.UniqueConstraint("import_id", "branch_id", "year", name="uq_activity_logs_import_id_branch_id_year"),
    )
    op.create_index("ix_activity_logs_branch_id_year", "activity_logs", ["branch_id", "year"])
    op.create_table(
        "activities",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("log_id", sa.Integer, nullable=False),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("expected", sa.Integer),
        sa.Column("attended", sa.Integer),
        sa.Column("has_record", sa.Boolean(create_constraint=False)),
        sa.PrimaryKeyConstraint("id", name="pk_activities"),
        sa.ForeignKeyConstraint(["log_id"], ["activity_logs.id"], name="fk_activities_log_id_activity_logs"),
    )
    op.create_index("ix_activities_log_id", "activities", ["log_id"])
    op.create_table(
        "evaluations",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("branch_id", sa.String(64), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("evaluator", sa.Text, nullable=False),
        sa.Column("revision_no", sa.Integer, nullable=False),
        sa.Column("rubric_version", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("payload", PAYLOAD, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("supersedes", sa.Integer),
        sa.Column("import_id", sa.Integer),
        sa.PrimaryKeyConstraint("id", name="pk_evaluations"),
        sa.ForeignKeyConstraint(["branch_id"], ["branches.branch_id"], name="fk_evaluations_branch_id_branches"),
        sa.ForeignKeyConstraint(["supersedes"], ["evaluations.id"], name="fk_evaluations_supersedes_evaluations"),
        sa.ForeignKeyConstraint(["import_id"], ["imports.id"], name="fk_evaluations_import_id_imports"),
        sa.UniqueConstraint("branch_id", "year", "revision_no", name="uq_evaluations_branch_id_year_revision_no"),
        sa.CheckConstraint("status IN ('submitted', 'superseded')", name="ck_evaluations_status"),
        sa.CheckConstraint("revision_no >= 1", name="ck_evaluations_revision_no"),
        sa.CheckConstraint("supersedes IS NULL OR reason IS NOT NULL", name="ck_evaluations_correction_reason"),
    )
    op.create_index(
        "ix_evaluations_one_submitted",
        "evaluations",
        ["branch_id", "year", "evaluator"],
        unique=True,
        sqlite_where=sa.text("status = 'submitted'"),
        postgresql_where=sa.text("status = 'submitted'"),
    )
    op.create_table(
        "drafts",
        sa.Column("branch_id", sa.String(64), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("evaluator", sa.Text, nullable=False),
        sa.Column("payload", PAYLOAD, nullable=False),
        sa.Column("rubric_version", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="draft"),
        sa.Column("updated_at", UTC_TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("branch_id", "year", "evaluator", name="pk_drafts"),
        sa.ForeignKeyConstraint(["branch_id"], ["branches.branch_id"], name="fk_drafts_branch_id_branches"),
        sa.CheckConstraint("status = 'draft'", name="ck_drafts_status"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("at", UTC_TIMESTAMP, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("branch_id", sa.String(64)),
        sa.Column("year", sa.Integer),
        sa.Column("revision_id", sa.Integer),
        sa.Column("detail", PAYLOAD),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
        sa.ForeignKeyConstraint(["revision_id"], ["evaluations.id"], name="fk_audit_log_revision_id_evaluations"),
    )
    op.create_index("ix_audit_log_branch_id_year", "audit_log", ["branch_id", "year"])


def downgrade() -> None:
    for table in ("audit_log", "drafts", "evaluations", "activities", "activity_logs", "imports", "branches"):
        op.drop_table(table)
