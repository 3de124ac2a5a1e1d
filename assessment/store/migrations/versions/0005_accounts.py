"""Staff accounts, their sessions, and failed sign-ins counted per account and per client.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Migrations are frozen: they spell their types out instead of importing the current schema module.
UTC_TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("street", sa.Text),
        sa.Column("kdf", sa.Text, nullable=False),
        sa.Column("salt", sa.Text, nullable=False),
        sa.Column("digest", sa.Text, nullable=False),
        sa.Column("must_set_password", sa.Boolean(create_constraint=False), nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("disabled_at", UTC_TIMESTAMP),
        sa.Column("disabled_by", sa.Text),
        sa.Column("disable_reason", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_accounts"),
        sa.UniqueConstraint("name", name="uq_accounts_name"),
    )
    op.create_table(
        "account_sessions",
        sa.Column("token_digest", sa.String(64), nullable=False),
        sa.Column("account_id", sa.Integer, nullable=False),
        sa.Column("client", sa.Text, nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("expires_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("ended_at", UTC_TIMESTAMP),
        sa.PrimaryKeyConstraint("token_digest", name="pk_account_sessions"),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name="fk_account_sessions_account_id_accounts"),
    )
    op.create_index("ix_account_sessions_account_id", "account_sessions", ["account_id"])
    op.create_table(
        "sign_in_failures",
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_at", UTC_TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_sign_in_failures"),
    )


def downgrade() -> None:
    op.drop_table("sign_in_failures")
    op.drop_index("ix_account_sessions_account_id", table_name="account_sessions")
    op.drop_table("account_sessions")
    op.drop_table("accounts")
