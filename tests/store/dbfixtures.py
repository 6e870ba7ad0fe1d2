"""Database fixtures for every test folder; tests/conftest.py star-imports this module.

    db_url             a fresh database, once on SQLite (a file in tmp_path) and once on
                       PostgreSQL (a new database mailflow_test_<hex>, dropped afterwards);
                       empty, unless the test uses engine too
    engine             an engine on db_url, migrated to head (mailflow.store.migrate.upgrade)
    session            a session on that engine, rolled back and closed afterwards. On SQLite
                       an open transaction holds the write lock (BEGIN IMMEDIATE): a test that
                       also writes through another session should use session_scope instead
    postgres_admin     session-scoped AUTOCOMMIT engine on the server's maintenance database
    postgres_template  session-scoped database migrated once; engine's databases clone it

The PostgreSQL server is MAILFLOW_TEST_POSTGRES_URL, by default
postgresql+psycopg://postgres@127.0.0.1:5432/postgres. If it does not answer, PostgreSQL cases
are skipped, except under CI=true, where they fail: CI must not silently skip an engine.
``-m "not postgres"`` deselects them on purpose.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from mailflow.store.db import make_engine, store_error
from mailflow.store.migrate import upgrade

__all__ = [
    "POSTGRES_ADMIN_URL",
    "db_url",
    "engine",
    "postgres_admin",
    "postgres_template",
    "session",
]

POSTGRES_ADMIN_URL = os.environ.get(
    "MAILFLOW_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[Engine]:
    """An AUTOCOMMIT engine able to create and drop databases, or a skip (a failure in CI)."""
    admin = create_engine(
        POSTGRES_ADMIN_URL,
        isolation_level="AUTOCOMMIT",
        poolclass=NullPool,
        connect_args={"connect_timeout": 3},
    )
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        reason = f"PostgreSQL does not answer: {store_error(exc, POSTGRES_ADMIN_URL)}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    yield admin
    admin.dispose()


@pytest.fixture(scope="session")
def postgres_template(postgres_admin: Engine) -> Iterator[str]:
    """A database migrated to head once per run, cloned by tests that want a migrated one.

    Cloning (CREATE DATABASE ... TEMPLATE) costs a third of creating and migrating each time.
    """
    name = _create_database(postgres_admin)
    try:
        upgrade(_postgres_url(name))
        yield name
    finally:
        _drop_database(postgres_admin, name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The URL of a new database on the parametrised engine, removed after the test.

    Empty, unless the test also uses ``engine``: then a PostgreSQL database starts as a clone of
    ``postgres_template`` (and ``engine``'s upgrade finds nothing left to do).
    """
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'mailflow.db'}"
        return
    admin: Engine = request.getfixturevalue("postgres_admin")
    template = None
    if "engine" in request.fixturenames:
        template = request.getfixturevalue("postgres_template")
    name = _create_database(admin, template)
    try:
        yield _postgres_url(name)
    finally:
        _drop_database(admin, name)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a database migrated to head (the real upgrade path, not create_all)."""
    upgrade(db_url)
    migrated = make_engine(db_url)
    yield migrated
    migrated.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session for the test to commit in as it likes; whatever is left is rolled back."""
    with Session(engine, expire_on_commit=False) as open_session:
        yield open_session


def _postgres_url(name: str) -> str:
    """The URL of database ``name`` on the test server, password included (tests connect)."""
    return make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def _create_database(admin: Engine, template: str | None = None) -> str:
    """Create a database with a fresh random name (as a copy of ``template`` if given)."""
    name = f"mailflow_test_{secrets.token_hex(6)}"
    clause = f' TEMPLATE "{template}"' if template else ""
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"{clause}'))
    return name


def _drop_database(admin: Engine, name: str) -> None:
    """Drop database ``name``, ending any connection a test left open."""
    with admin.connect() as connection:
        connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": name},
        )
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
