"""Alembic's entry point for mailflow: migrate through mailflow's own engine and table metadata.

``mailflow.store.migrate`` hands over an open connection (``config.attributes["connection"]``)
so migrations run inside its transaction with the engine settings of ``db.make_engine``. Run
without one (the ``alembic`` command), it builds that engine from ``sqlalchemy.url``; in offline
mode it prints SQL for a database administrator.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from mailflow.errors import StoreError
from mailflow.store.db import make_engine
from mailflow.store.models import StoreModel

config = context.config


def _run(connection: Connection) -> None:
    """Configure the migration context on ``connection`` and run the pending revisions."""
    context.configure(
        connection=connection,
        target_metadata=StoreModel.metadata,
        render_as_batch=True,  # SQLite alters tables by copying them; batch mode does that
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    """Emit the migration SQL for the configured URL without connecting."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=StoreModel.metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Migrate through the connection handed over, or one made from ``sqlalchemy.url``."""
    connection = config.attributes.get("connection")
    if isinstance(connection, Connection):
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise StoreError("alembic: set sqlalchemy.url or pass a connection")
    engine = make_engine(url)
    try:
        with engine.begin() as new_connection:
            _run(new_connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
