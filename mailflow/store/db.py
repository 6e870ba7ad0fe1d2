"""Engines and transactions for the two supported databases, with errors in mailflow's terms.

SQLite is the embedded default and PostgreSQL the shared, multi-instance engine. Both are set up
here and nowhere else:

- SQLite: WAL journal (readers never block the writer), ``foreign_keys=ON`` (off by default in
  SQLite), a 30 s busy timeout, and every transaction opened with ``BEGIN IMMEDIATE``. SQLite has
  one writer at a time; taking the write lock up front means a transaction that reads and then
  writes waits its turn at the start instead of failing half-way with "database is locked" (a
  deferred transaction cannot upgrade once another writer has committed in WAL mode). It also
  makes SAVEPOINTs and transactional DDL behave as on PostgreSQL. Keep sessions short.
- PostgreSQL: ``postgresql+psycopg://`` (a bare ``postgresql://`` is taken to mean psycopg 3),
  a connect timeout, and pre-ping so a restarted server costs one retry, not an error.

``make_engine`` connects once so a wrong URL fails at start-up with one line, and every
SQLAlchemy error leaving ``session_scope`` becomes a ``StoreError`` naming the database (never
its password).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError, StatementError
from sqlmodel import Session

from mailflow.errors import StoreError

SQLITE_BUSY_TIMEOUT_MS = 30_000
POSTGRES_CONNECT_TIMEOUT_S = 10
DATABASE_FILE = "mailflow.db"


def default_url(data_dir: Path) -> str:
    """The embedded database: ``mailflow.db`` in the data directory, as an absolute SQLite URL."""
    return f"sqlite:///{(data_dir / DATABASE_FILE).resolve()}"


def display_url(url: URL | str) -> str:
    """The URL fit for a log line or an error message: the password removed."""
    try:
        parsed = make_url(url) if isinstance(url, str) else url
    except ArgumentError:
        return "<unparseable URL>"
    # URL.set() reads None as "unchanged", so replace the field directly.
    return parsed._replace(password=None).render_as_string(hide_password=False)


def store_error(exc: SQLAlchemyError, url: URL | str) -> StoreError:
    """Translate a SQLAlchemy error into one line: ``database <url>: <first line of reason>``."""
    cause: object = exc.orig if isinstance(exc, StatementError) and exc.orig else exc
    lines = [line.strip() for line in str(cause).splitlines() if line.strip()]
    reason = lines[0] if lines else type(cause).__name__
    return StoreError(f"database {display_url(url)}: {reason}")


def make_engine(url: str) -> Engine:
    """An engine for ``url`` (SQLite or PostgreSQL), checked by connecting once.

    Raises ``StoreError`` with one line if the URL is malformed, names another kind of database,
    or the database cannot be reached.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(
            "database URL is not valid: expected sqlite:///PATH or postgresql+psycopg://USER@HOST/DB"
        ) from None
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise StoreError(
            f"database {display_url(parsed)}: only sqlite and postgresql are supported"
        )
    try:
        engine = _sqlite_engine(parsed) if backend == "sqlite" else _postgres_engine(parsed)
    except (ArgumentError, ImportError) as exc:  # an unknown or missing driver
        raise StoreError(f"database {display_url(parsed)}: {exc}") from exc
    try:
        with engine.connect():
            pass
    except SQLAlchemyError as exc:
        engine.dispose()
        raise store_error(exc, parsed) from exc
    return engine


def _sqlite_engine(url: URL) -> Engine:
    """SQLite with WAL, foreign keys, a busy timeout and ``BEGIN IMMEDIATE`` transactions."""
    engine = create_engine(url)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Leave transaction control to the "begin" hook below (the SQLAlchemy pysqlite recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _postgres_engine(url: URL) -> Engine:
    """PostgreSQL through psycopg 3, with a connect timeout and pre-ping."""
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    connect_args: dict[str, Any] = {}
    if "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = POSTGRES_CONNECT_TIMEOUT_S
    return create_engine(url, connect_args=connect_args, pool_pre_ping=True)


@contextlib.contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: commit if the block succeeds, roll back if it raises.

    Objects stay usable after the block (``expire_on_commit=False``), so a caller can hand them
    to pure code. SQLAlchemy errors leave as ``StoreError``; mailflow's own errors pass unchanged.
    """
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except SQLAlchemyError as exc:
        with contextlib.suppress(SQLAlchemyError):
            session.rollback()
        raise store_error(exc, engine.url) from exc
    except BaseException:
        with contextlib.suppress(SQLAlchemyError):
            session.rollback()
        raise
    finally:
        session.close()


def dialect_insert(session: Session, table: Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT for the session's engine that supports ``ON CONFLICT`` (upsert) on both."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise StoreError(f"database dialect {name}: only sqlite and postgresql are supported")
