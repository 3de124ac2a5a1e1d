"""Databases for the store tests: a fresh SQLite file per test, and — when
``ASSESSMENT_TEST_POSTGRES_URL`` names a PostgreSQL database we may create databases from —
a fresh PostgreSQL database per test too (the ``postgresql`` params, marked ``postgres``).

In CI (``CI=true``) a missing PostgreSQL fails those tests instead of skipping them:
scripts/postgres.sh sets it up and scripts/test.sh exports the variable.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from assessment.store import Store
from assessment.store.engine import resolve_url

POSTGRES_ENV = "ASSESSMENT_TEST_POSTGRES_URL"
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def postgres_admin_url() -> str:
    url = os.environ.get(POSTGRES_ENV, "").strip()
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI 必须运行 PostgreSQL 测试，但没有设置 {POSTGRES_ENV}（见 scripts/postgres.sh）")
        pytest.skip(f"没有设置 {POSTGRES_ENV}，跳过 PostgreSQL 测试")
    return url


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A new, empty database on the test server, dropped afterwards (connections and all)."""
    admin = resolve_url(postgres_admin_url())
    name = f"siping_test_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            yield admin.set(database=name).render_as_string(hide_password=False)
        finally:
            with engine.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        engine.dispose()


@contextmanager
def fresh_database(backend: str, directory) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{directory / 'store.sqlite'}"
    else:
        with fresh_postgres_database() as url:
            yield url


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path) -> Iterator[str]:
    """The URL of a database that does not exist yet (SQLite) or is empty (PostgreSQL)."""
    with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def store(database_url, default_rubric) -> Iterator[Store]:
    with Store(database_url, rubric=default_rubric) as opened:
        yield opened
