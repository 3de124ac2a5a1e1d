"""The schema version: Alembic, run from code (no ``alembic.ini``), with the scripts in ``migrations/``.

:func:`upgrade` brings a database to the newest schema. Every :class:`~assessment.store.Store`
calls it when it opens, so a fresh database is created and an old one upgraded by the package
itself. Processes that open one database at the same time take turns: on PostgreSQL through a
transaction-level advisory lock, on SQLite through ``BEGIN IMMEDIATE`` (the write lock); the
second one then finds the schema at head and does nothing. Both databases run DDL inside a
transaction, so an upgrade that fails leaves the schema as it was.

For developers (writing the next migration by hand, looking at the version)::

    .venv/bin/python -m assessment.store.migrate revision -m "what changes"
    .venv/bin/python -m assessment.store.migrate current      # $ASSESSMENT_DATABASE_URL or the default
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from . import schema

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# pg_advisory_xact_lock key for schema upgrades: any fixed 64-bit number that nothing else uses.
UPGRADE_LOCK_KEY = 0x51_50_49_4E_47  # "SPING"
SYSTEM_ACTOR = "系统"


class SchemaTooNew(Exception):
    """The database was upgraded by a newer version of the package than this one."""

    def __init__(self, revision: str):
        super().__init__(revision)
        self.revision = revision


# Alembic costs ~150 ms to import and every page opens a Store: it is only imported when the schema
# actually needs upgrading (or for the developer's command line). Reading the head revision and the
# database's revision needs neither.
_REVISION = re.compile(r"^revision\s*=\s*[\"']([^\"']+)[\"']", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision\s*=\s*(?:[\"']([^\"']+)[\"']|None)", re.MULTILINE)


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest migration: the one no other migration names as its ``down_revision``."""
    revisions, parents = set(), set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        found = _REVISION.search(text)
        if found is None:
            continue
        revisions.add(found.group(1))
        down = _DOWN_REVISION.search(text)
        if down and down.group(1):
            parents.add(down.group(1))
    heads = revisions - parents
    if len(heads) != 1:
        raise RuntimeError(f"migrations must form one line, found heads {sorted(heads)}")
    return heads.pop()


def current_revision(connection: Connection) -> str | None:
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine) -> tuple[str | None, str] | None:
    """Upgrade the schema to head. Returns ``(from, to)`` when this call changed it, else None.

    Raises :class:`SchemaTooNew` when the database's version is unknown to this package.
    """
    head = head_revision()
    with engine.connect() as connection:
        found = current_revision(connection)
        connection.rollback()
    if found == head:
        return None
    with engine.connect() as connection:
        connection.execution_options(store_write=True)
        with connection.begin():
            if engine.dialect.name == "postgresql":
                connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": UPGRADE_LOCK_KEY})
            found = current_revision(connection)  # again, now that we hold the lock
            if found == head:
                return None
            from alembic import command
            from alembic.script import ScriptDirectory

            script = ScriptDirectory.from_config(alembic_config())
            if script.get_current_head() != head:
                raise RuntimeError("alembic and the migration files disagree about the head revision")
            if found is not None and not _known(script, found):
                raise SchemaTooNew(found)
            command.upgrade(alembic_config(connection), "head")
            connection.execute(
                schema.audit_log.insert().values(
                    at=dt.datetime.now(dt.UTC),
                    actor=SYSTEM_ACTOR,
                    action="schema_upgrade",
                    detail={"from": found, "to": head},
                )
            )
    return found, head


def _known(script: ScriptDirectory, revision: str) -> bool:
    from alembic.script.revision import RevisionError
    from alembic.util import CommandError

    try:
        return script.get_revision(revision) is not None
    except (CommandError, RevisionError):  # an unknown id
        return False


def main(argv: list[str] | None = None) -> None:  # pragma: no cover — a developer's tool
    """Alembic's own command line, configured for the store's migrations and database."""
    from alembic.config import CommandLine

    from .engine import resolve_url

    cli = CommandLine(prog="python -m assessment.store.migrate")
    options = cli.parser.parse_args(argv)
    if not hasattr(options, "cmd"):
        cli.parser.error("too few arguments")
    url = resolve_url().render_as_string(hide_password=False)
    cli.run_cmd(alembic_config(url=url), options)


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
