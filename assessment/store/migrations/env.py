"""Alembic environment for the store. The store runs it programmatically (see ``assessment.store.migrate``)
and hands over its own connection, already inside the transaction that holds the upgrade lock.

Developers can also run Alembic by hand, e.g. to write the next revision::

    .venv/bin/python -m assessment.store.migrate revision -m "what changes"
"""

from __future__ import annotations

from alembic import context

from assessment.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover — only when Alembic is run without the store
    import sqlalchemy as sa

    from assessment.store.engine import resolve_url

    engine = sa.create_engine(resolve_url(context.config.get_main_option("sqlalchemy.url") or None))
    with engine.begin() as connection:
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
else:
    # render_as_batch: SQLite alters tables by copying them; later migrations use op.batch_alter_table.
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
