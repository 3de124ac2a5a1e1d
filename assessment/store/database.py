"""The database of one street (or district): its engine, its schema, and the transactions every part runs in.

One :class:`Database` per :class:`~assessment.store.Store`, and the only place that holds the engine. It
keeps a small connection pool. Every write is one transaction. Writers that may clash — two imports, two
evaluators submitting for one branch — are made to take turns: the transaction locks the branch row
(PostgreSQL, :meth:`Database.lock_branch`) or the whole database (SQLite, ``BEGIN IMMEDIATE``) before it
numbers a revision, and a clash that gets through anyway (a unique-constraint conflict, a serialization
failure, a deadlock, a busy SQLite file) makes the whole transaction run again.

.. code-block:: python

    db = Database("sqlite:///data/siping.sqlite")      # created or upgraded to the newest schema
    count = db.read(lambda c: c.execute(sa.select(sa.func.count()).select_from(branches)).scalar_one())

    def work(connection):
        Database.lock_branch(connection, "JD001")          # StoreError if the branch is not stored
        Database.audit(connection, "draft_discard", "李四", now(), branch_id="JD001", year=2025)

    db.write(work)                                      # run again from the start if a writer got in the way
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection

from . import migrate
from .engine import make_engine, resolve_url, shown
from .model import StoreError, StoreUnavailable
from .schema import AUDIT_ACTIONS, audit_log, branches

__all__ = ["MAX_ATTEMPTS", "Database", "insert_for", "now"]

T = TypeVar("T")
_log = logging.getLogger("assessment.store")

MAX_ATTEMPTS = 8
_RETRY_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock
_RETRY_CONSTRAINTS = ("uq_evaluations_branch_id_year_revision_no", "ix_evaluations_one_submitted")
_SQLITE_RETRY = ("database is locked", "evaluations.branch_id, evaluations.year, evaluations.")


def now() -> dt.datetime:
    """The time every stored timestamp is taken from: aware, UTC."""
    return dt.datetime.now(dt.UTC)


def insert_for(connection: Connection):
    """The dialect's INSERT that knows ON CONFLICT (SQLite and PostgreSQL spell it alike)."""
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def _retryable(error: sa.exc.DBAPIError) -> bool:
    original = error.orig
    sqlstate = getattr(original, "sqlstate", None)
    if sqlstate in _RETRY_SQLSTATES:
        return True
    if sqlstate == "23505":  # unique violation: only the ones a concurrent writer can cause
        constraint = getattr(getattr(original, "diag", None), "constraint_name", None) or ""
        return constraint in _RETRY_CONSTRAINTS
    message = str(original)
    return any(part in message for part in _SQLITE_RETRY)


def _backoff(attempt: int) -> None:
    time.sleep(random.uniform(0.01, 0.05) * 2**attempt)


class Database:
    """``Database(url)`` opens ``url`` (None: ``$ASSESSMENT_DATABASE_URL`` or the default SQLite file),
    creating or upgrading its schema first. ``schema_upgraded``: (from, to) revisions, or None if it was
    at the newest already."""

    def __init__(self, url: str | URL | None = None):
        try:
            self.url = resolve_url(url)
        except sa.exc.ArgumentError:
            raise StoreError(
                f"数据库地址无效：“{url}”（例：sqlite:///data/siping.sqlite 或 postgresql://用户@主机/库名）"
            ) from None
        try:
            self.engine = make_engine(self.url)
        except (sa.exc.ArgumentError, ImportError) as error:
            raise StoreError(f"数据库地址无效：{shown(self.url)}（{error}）") from None
        try:
            self.schema_upgraded = self._upgrade_schema()
        except migrate.SchemaTooNew as error:
            self.engine.dispose()
            raise StoreError(
                f"数据库 {shown(self.url)} 的结构版本（{error.revision}）比本程序新，请先升级本程序再打开"
            ) from None
        except sa.exc.DBAPIError as error:
            self.engine.dispose()
            detail = f"无法打开数据库 {shown(self.url)}：{str(error.orig).strip()}"
            _log.warning("%s", detail)
            raise StoreUnavailable(detail) from None

    def _upgrade_schema(self):
        """Bring the schema to head, again from the start if another process opening the same new
        SQLite file at the same moment got in the way (the same policy as :meth:`write`)."""
        for attempt in range(MAX_ATTEMPTS):
            try:
                return migrate.upgrade(self.engine)
            except sa.exc.DBAPIError as error:
                if attempt + 1 < MAX_ATTEMPTS and _retryable(error):
                    _backoff(attempt)
                    continue
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"Database({shown(self.url)!r})"

    # ------------------------------------------------------------------ transactions
    def _unavailable(self, error: sa.exc.DBAPIError) -> StoreUnavailable:
        """What a user reads says only that the database is away; where it is and what the driver said go
        to the server log (and ``detail``, for the administrator's command line)."""
        detail = f"{shown(self.url)}：{str(error.orig).strip()}"
        _log.warning("database unavailable: %s", detail)
        return StoreUnavailable(detail)

    def read(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in one read transaction: one snapshot of the data (PostgreSQL: repeatable read)."""
        try:
            with self.engine.connect() as connection:
                if connection.dialect.name == "postgresql":
                    connection.execution_options(isolation_level="REPEATABLE READ")
                with connection.begin():
                    return work(connection)
        except sa.exc.OperationalError as error:
            raise self._unavailable(error) from error

    def write(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in one write transaction, again from the start if a concurrent writer got in the way."""
        for attempt in range(MAX_ATTEMPTS):
            try:
                with self.engine.connect() as connection:
                    connection.execution_options(store_write=True)
                    with connection.begin():
                        return work(connection)
            except sa.exc.DBAPIError as error:
                if attempt + 1 < MAX_ATTEMPTS and _retryable(error):
                    _backoff(attempt)
                    continue
                if isinstance(error, sa.exc.OperationalError):
                    raise self._unavailable(error) from error
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    # ------------------------------------------------------------------ inside a write
    @staticmethod
    def audit(connection: Connection, action: str, actor: str, at: dt.datetime, **fields) -> None:
        """Add one audit entry (``fields``: branch_id, year, revision_id, detail) in the caller's transaction."""
        assert action in AUDIT_ACTIONS, action
        connection.execute(audit_log.insert().values(action=action, actor=actor, at=at, **fields))

    @staticmethod
    def lock_branch(connection: Connection, branch_id: str) -> None:
        """Make sure the branch exists; on PostgreSQL also hold its row until commit, so that the
        revision numbers of one branch are handed out one writer at a time."""
        found = connection.execute(
            sa.select(branches.c.branch_id).where(branches.c.branch_id == branch_id).with_for_update()
        ).first()
        if found is None:
            raise StoreError(f"支部编号“{branch_id}”不在数据库中：请先导入该支部的基本信息（工作表“支部”）")
