"""Where the database is and how to connect to it.

``ASSESSMENT_DATABASE_URL`` names the database; without it the store uses an SQLite file,
``siping.sqlite`` in the data directory (:func:`assessment.paths.data_dir`: ``$ASSESSMENT_DATA_DIR``,
``data/`` of a checkout, or the per-user data directory). Several Voila servers of one district share
one PostgreSQL database instead: ``postgresql+psycopg://user:password@host/dbname`` (a plain
``postgresql://`` URL means the same: psycopg 3 is the driver we ship).
"""

from __future__ import annotations

import json
import os

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url

from .. import paths

ENV_VAR = "ASSESSMENT_DATABASE_URL"
# How long a writer waits for another process's write transaction on SQLite (seconds).
SQLITE_BUSY_TIMEOUT = 60


def default_url() -> str:
    return f"sqlite:///{paths.database_path()}"


def resolve_url(url: str | URL | None = None) -> URL:
    """The URL to use: the one given, else ``$ASSESSMENT_DATABASE_URL``, else the default SQLite file.

    ``postgresql://`` and ``postgres://`` are mapped to the psycopg 3 driver. Raises
    :class:`sqlalchemy.exc.ArgumentError` for text that is not a database URL.
    """
    if url is None or (isinstance(url, str) and not url.strip()):
        url = os.environ.get(ENV_VAR, "").strip() or None
    if url is None:
        paths.database_path().parent.mkdir(parents=True, exist_ok=True)
        url = default_url()
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def shown(url: URL) -> str:
    """The URL as it may be printed: without its password."""
    return url.render_as_string(hide_password=True)


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def _json(value) -> str:
    # Chinese stays readable in the database, and NaN (not JSON) is refused rather than written.
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def make_engine(url: URL) -> Engine:
    if is_sqlite(url):
        engine = sa.create_engine(url, json_serializer=_json, connect_args={"timeout": SQLITE_BUSY_TIMEOUT})
        _configure_sqlite(engine)
        return engine
    return sa.create_engine(url, json_serializer=_json, pool_pre_ping=True)


def _configure_sqlite(engine: Engine) -> None:
    """Foreign keys on, WAL, and transactions that say up front whether they will write.

    pysqlite begins transactions lazily (at the first write), so a transaction that read first
    may find, when it writes, that another process wrote in between, and fail at once instead of
    waiting. The store therefore begins its own transactions: ``BEGIN IMMEDIATE`` (take the write
    lock now, waiting up to the busy timeout) for writers, a plain ``BEGIN`` for readers.
    """

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, connection_record):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (below)
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT * 1000}")
            if engine.url.database not in (None, "", ":memory:"):
                cursor.execute("PRAGMA journal_mode = WAL")
        finally:
            cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection):
        mode = "BEGIN IMMEDIATE" if connection.get_execution_options().get("store_write") else "BEGIN"
        connection.exec_driver_sql(mode)
