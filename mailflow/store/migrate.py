"""Schema migrations, run from code: ``mailflow db upgrade`` calls ``upgrade`` and nothing else.

The Alembic scripts ship inside the package (``mailflow/store/migrations``) and the Alembic
configuration is built here, so an installed mailflow needs no ``alembic.ini`` and no working
directory. Migrations run in one transaction on mailflow's own engine (``db.make_engine``); on
PostgreSQL an advisory lock makes daemons that start together migrate one after another.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from mailflow.errors import StoreError
from mailflow.store.db import display_url, make_engine, store_error

MIGRATIONS = Path(__file__).with_name("migrations")

MIGRATION_LOCK = 0x6D61696C666C6F77
"""PostgreSQL advisory lock key held while migrating ("mailflow" in ASCII)."""


def alembic_config(url: str) -> Config:
    """An Alembic configuration for ``url`` and the packaged scripts, without any ini file."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser interpolation: a literal % in a URL (an escaped password) must be doubled.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head() -> str:
    """The newest revision this mailflow knows."""
    script = ScriptDirectory(str(MIGRATIONS))
    revision = script.get_current_head()
    if revision is None:
        raise StoreError(f"migrations {MIGRATIONS}: no revisions found")
    return revision


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` up to ``revision`` (default: the newest), in one transaction.

    Raises ``StoreError`` with one line if the database is unreachable, refuses a statement, or
    carries a revision this mailflow does not know (a newer mailflow migrated it).
    """
    config = alembic_config(url)
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
                )
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    except CommandError as exc:
        raise StoreError(f"database {display_url(url)}: {_first_line(exc)}") from exc
    except SQLAlchemyError as exc:
        raise store_error(exc, url) from exc
    finally:
        engine.dispose()


def current(url: str) -> str | None:
    """The revision the database at ``url`` is at, or ``None`` if it was never migrated."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as exc:
        raise store_error(exc, url) from exc
    finally:
        engine.dispose()


def _first_line(exc: Exception) -> str:
    """The first non-empty line of an exception's message."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__
