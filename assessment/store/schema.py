"""The tables, as SQLAlchemy Core metadata: what the store's queries are written against.

The schema itself is created and upgraded by the Alembic scripts in ``migrations/versions``;
a test checks that those scripts and this metadata describe the same tables.

Every timestamp is timezone-aware UTC (:class:`UTCDateTime`). Nothing an evaluator
submitted is ever updated except its ``status`` (submitted → superseded) and nothing
is deleted except a draft.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

# Constraint names that are the same on every database, so later migrations can name them.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SUBMITTED = "submitted"
SUPERSEDED = "superseded"
DRAFT = "draft"
REVISION_STATUSES = (SUBMITTED, SUPERSEDED)
AUDIT_ACTIONS = (
    "import",
    "submit",
    "correct",
    "draft_discard",
    "schema_upgrade",
    # migration 0002: access codes, the workflow, the branches' own self-assessments and uploads
    "access_issue",
    "access_revoke",
    "workflow_move",
    "self_submit",
    "branch_upload",
    # migration 0003: rubric versions
    "rubric_save",
    "rubric_current",
    # migration 0005: staff accounts
    "account_add",
    "account_reset",
    "account_disable",
    "account_password",
    # no migration: re-scoring a year with another rubric version (Records.rescore)
    "rescore",
)  # checked in code


class UTCDateTime(sa.TypeDecorator):
    """A timezone-aware UTC timestamp on every database (SQLite has no time zones: it stores UTC text)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


# JSON text, not JSONB: a payload comes back exactly as it was stored, keys in their order
# (JSONB would sort them); nothing queries inside a payload.
Payload = sa.JSON()

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

branches = sa.Table(
    "branches",
    metadata,
    sa.Column("branch_id", sa.String(64), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("full_members", sa.Integer),
    sa.Column("probationary_members", sa.Integer),
    sa.Column("committee_size", sa.Integer),
    sa.Column("last_election", sa.Date),
    sa.Column("kind", sa.Text),
    sa.Column("party_groups", sa.Integer),
    sa.Column("street", sa.Text),  # 所属街道 (0004); NULL when the workbook leaves it out
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("updated_by", sa.Text, nullable=False),
)

# One row per workbook import: the activity logs and revisions it brought point here.
imports = sa.Table(
    "imports",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("rubric_version", sa.Text, nullable=False),
)

# A branch's 活动记录 for one year as one import brought it; the current log is the latest one.
activity_logs = sa.Table(
    "activity_logs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("import_id", sa.Integer, sa.ForeignKey("imports.id"), nullable=False),
    sa.Column("branch_id", sa.String(64), sa.ForeignKey("branches.branch_id"), nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.UniqueConstraint("import_id", "branch_id", "year"),
    sa.Index(None, "branch_id", "year"),
)

activities = sa.Table(
    "activities",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("log_id", sa.Integer, sa.ForeignKey("activity_logs.id"), nullable=False, index=True),
    sa.Column("date", sa.Date, nullable=False),
    sa.Column("type", sa.Text, nullable=False),
    sa.Column("expected", sa.Integer),
    sa.Column("attended", sa.Integer),
    sa.Column("has_record", sa.Boolean(create_constraint=False)),
)

evaluations = sa.Table(
    "evaluations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("branch_id", sa.String(64), sa.ForeignKey("branches.branch_id"), nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("evaluator", sa.Text, nullable=False),
    sa.Column("revision_no", sa.Integer, nullable=False),
    sa.Column("rubric_version", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("payload", Payload, nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column("supersedes", sa.Integer, sa.ForeignKey("evaluations.id")),
    sa.Column("import_id", sa.Integer, sa.ForeignKey("imports.id")),
    sa.UniqueConstraint("branch_id", "year", "revision_no"),
    sa.CheckConstraint("status IN ('submitted', 'superseded')", name="status"),
    sa.CheckConstraint("revision_no >= 1", name="revision_no"),
    sa.CheckConstraint("supersedes IS NULL OR reason IS NOT NULL", name="correction_reason"),
    # At most one current submission per evaluator, branch and year.
    sa.Index(
        "ix_evaluations_one_submitted",
        "branch_id",
        "year",
        "evaluator",
        unique=True,
        sqlite_where=sa.text("status = 'submitted'"),
        postgresql_where=sa.text("status = 'submitted'"),
    ),
)

drafts = sa.Table(
    "drafts",
    metadata,
    sa.Column("branch_id", sa.String(64), sa.ForeignKey("branches.branch_id"), primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("evaluator", sa.Text, primary_key=True),
    sa.Column("payload", Payload, nullable=False),
    sa.Column("rubric_version", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False, server_default=DRAFT),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    # 0006: a fresh random token at every save; a page writes only over the version it last saw
    sa.Column("version", sa.String(32), nullable=False, server_default=""),
    sa.CheckConstraint("status = 'draft'", name="status"),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("branch_id", sa.String(64)),
    sa.Column("year", sa.Integer),
    sa.Column("revision_id", sa.Integer, sa.ForeignKey("evaluations.id")),
    sa.Column("detail", Payload),
    # No CHECK on action: new kinds of entries must not need a table rebuild (SQLite cannot alter a CHECK).
    sa.Index(None, "branch_id", "year"),
)


# ------------------------------------------------------------------ migration 0002
# Access codes for the branches' self-assessment page: only a salted scrypt digest of the secret part
# is kept; ``key_id`` is the public first part of the code, so finding a code needs no scan.
access_codes = sa.Table(
    "access_codes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("key_id", sa.String(16), nullable=False, unique=True),
    sa.Column("branch_id", sa.String(64), sa.ForeignKey("branches.branch_id"), nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("kdf", sa.Text, nullable=False),
    sa.Column("salt", sa.Text, nullable=False),
    sa.Column("digest", sa.Text, nullable=False),
    sa.Column("issued_at", UTCDateTime, nullable=False),
    sa.Column("issued_by", sa.Text, nullable=False),
    sa.Column("revoked_at", UTCDateTime),
    sa.Column("revoked_by", sa.Text),
    sa.Column("revoke_reason", sa.Text),
    sa.Column("last_used_at", UTCDateTime),
    sa.CheckConstraint("revoked_at IS NULL OR revoke_reason IS NOT NULL", name="revoke_reason"),
    sa.Index(None, "branch_id", "year"),
)

# The current workflow state of a branch's year (one row once anything happened), and every move.
workflow_status = sa.Table(
    "workflow_status",
    metadata,
    sa.Column("branch_id", sa.String(64), sa.ForeignKey("branches.branch_id"), primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("since", UTCDateTime, nullable=False),
    sa.Column("event_id", sa.Integer, nullable=False),
    sa.Column("valid_from", sa.Date),
    sa.Column("valid_until", sa.Date),
)

workflow_events = sa.Table(
    "workflow_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("branch_id", sa.String(64), sa.ForeignKey("branches.branch_id"), nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("from_status", sa.Text, nullable=False),
    sa.Column("to_status", sa.Text, nullable=False),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("valid_from", sa.Date),
    sa.Column("valid_until", sa.Date),
    # The recorded result the move rested on (decisions.Basis as JSON; NULL: nothing submitted, or a
    # move made before moves recorded one) and whether it went against that result (例外).
    sa.Column("basis", Payload, nullable=True),
    sa.Column("exception", sa.Boolean(create_constraint=False), nullable=False, server_default=sa.false()),
    sa.Index(None, "branch_id", "year"),
)

# A branch's own self-assessment (自评), kept apart from the evaluators' revisions: one draft and one
# current submission per branch and year; earlier submissions stay, superseded.
self_assessments = sa.Table(
    "self_assessments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("branch_id", sa.String(64), sa.ForeignKey("branches.branch_id"), nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("payload", Payload, nullable=False),
    sa.Column("rubric_version", sa.Text, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("version", sa.String(32), nullable=False, server_default=""),  # 0006: as drafts.version
    sa.CheckConstraint("status IN ('draft', 'submitted', 'superseded')", name="status"),
    sa.Index(
        "ix_self_assessments_one_draft",
        "branch_id",
        "year",
        unique=True,
        sqlite_where=sa.text("status = 'draft'"),
        postgresql_where=sa.text("status = 'draft'"),
    ),
    sa.Index(
        "ix_self_assessments_one_submitted",
        "branch_id",
        "year",
        unique=True,
        sqlite_where=sa.text("status = 'submitted'"),
        postgresql_where=sa.text("status = 'submitted'"),
    ),
)

# What a branch uploaded on its page (活动记录 or 党员名册), as the validated rows of the file: one row per
# upload, the branch's upload history. The branch's log is the street's log with its uploads applied in order.
branch_uploads = sa.Table(
    "branch_uploads",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("branch_id", sa.String(64), sa.ForeignKey("branches.branch_id"), nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("rows", Payload, nullable=False),
    # migration 0006: how the upload was applied and what it did (NULL counts: stored before 0006).
    # merge = the rows join the branch's log, replacing records of the same date and type; replace = the
    # rows are the whole log (a roster is always replaced). Checked in code (no CHECK: see audit_log).
    sa.Column("mode", sa.Text, nullable=False, server_default="replace"),
    sa.Column("added", sa.Integer),
    sa.Column("replaced", sa.Integer),
    sa.Column("unchanged", sa.Integer),
    sa.Column("kept", sa.Integer),
    sa.Column("removed", sa.Integer),
    sa.CheckConstraint("kind IN ('activities', 'roster')", name="kind"),
    sa.Index(None, "branch_id", "year", "kind"),
)


# ------------------------------------------------------------------ migration 0003
# Every rubric version ever used, as its YAML texts ({file name: text}); a row is never updated or
# deleted. Revisions, drafts, imports and self-assessments name the version they were made under.
rubric_versions = sa.Table(
    "rubric_versions",
    metadata,
    sa.Column("version", sa.String(64), primary_key=True),
    sa.Column("texts", Payload, nullable=False),
    sa.Column("author", sa.Text, nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("based_on", sa.String(64)),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

# Which version is current: one row (id = 1) once any version is stored. A pointer row rather than a
# flag on rubric_versions: "exactly one current" is the primary key itself, the foreign key keeps it
# naming a stored version, and switching is one UPDATE of one locked row.
rubric_current = sa.Table(
    "rubric_current",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("version", sa.String(64), sa.ForeignKey("rubric_versions.version"), nullable=False),
    sa.Column("since", UTCDateTime, nullable=False),
    sa.Column("set_by", sa.Text, nullable=False),
    sa.CheckConstraint("id = 1", name="one_row"),
)


# ------------------------------------------------------------------ migration 0005
# Staff accounts (街道, 区委, 分析): the name a person signs in with, the account role (workflow.yaml's
# accounts), the street of a street account, and a salted scrypt digest of the password — or, until the
# person has chosen one, of the one-time code ``user add`` / ``user reset`` printed (must_set_password).
accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.Text, nullable=False, unique=True),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("street", sa.Text),
    sa.Column("kdf", sa.Text, nullable=False),
    sa.Column("salt", sa.Text, nullable=False),
    sa.Column("digest", sa.Text, nullable=False),
    sa.Column("must_set_password", sa.Boolean(create_constraint=False), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column("disabled_at", UTCDateTime),
    sa.Column("disabled_by", sa.Text),
    sa.Column("disable_reason", sa.Text),
)

# Signed-in sessions: only a SHA-256 digest of the cookie's random token (256 bits) is kept.
account_sessions = sa.Table(
    "account_sessions",
    metadata,
    sa.Column("token_digest", sa.String(64), primary_key=True),
    sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("client", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("ended_at", UTCDateTime),
    sa.Index(None, "account_id"),
)

# Failed sign-ins and access codes, per account and per client, for every server sharing the database:
# the slowdown does not reset when a visitor opens a new page or reaches another server.
sign_in_failures = sa.Table(
    "sign_in_failures",
    metadata,
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("last_at", UTCDateTime, nullable=False),
)
