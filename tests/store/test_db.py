"""Engines are configured per database, and database failures reach the caller as one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from mailflow.errors import StoreError
from mailflow.store.db import default_url, make_engine, session_scope
from mailflow.store.models import Contact
from tests.store.builders import contact


def test_unreachable_postgres_is_a_one_line_store_error_without_the_password() -> None:
    """A server that refuses connections is named in one line, and its password is not shown."""
    with pytest.raises(StoreError) as raised:
        make_engine("postgresql+psycopg://mailflow:hunter2@127.0.0.1:1/mailflow")
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("database postgresql+psycopg://mailflow@127.0.0.1:1/mailflow: ")
    assert "hunter2" not in message


def test_unopenable_sqlite_file_is_a_one_line_store_error(tmp_path: Path) -> None:
    """A database file in a directory that does not exist is reported, not created silently."""
    url = f"sqlite:///{tmp_path / 'missing' / 'mailflow.db'}"
    with pytest.raises(StoreError, match=r"^database sqlite:///.*: unable to open database file$"):
        make_engine(url)


@pytest.mark.parametrize(
    "url", ["mysql://root@localhost/mailflow", "not a url at all", "sqlite+nosuchdriver:///x.db"]
)
def test_unsupported_or_malformed_urls_are_refused_in_one_line(url: str) -> None:
    """Only SQLite and PostgreSQL URLs are accepted, and a bad URL says what is expected."""
    with pytest.raises(StoreError) as raised:
        make_engine(url)
    assert "\n" not in str(raised.value)


def test_default_url_is_the_database_file_in_the_data_directory(tmp_path: Path) -> None:
    """The embedded default is an absolute SQLite URL to mailflow.db under the data directory."""
    assert default_url(tmp_path) == f"sqlite:///{tmp_path.resolve()}/mailflow.db"
    engine = make_engine(default_url(tmp_path))
    engine.dispose()
    assert (tmp_path / "mailflow.db").exists()


def test_sqlite_runs_wal_with_foreign_keys_and_a_30_second_busy_timeout(tmp_path: Path) -> None:
    """Every SQLite connection is set up for concurrent use and referential integrity."""
    engine = make_engine(default_url(tmp_path))
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
    engine.dispose()


def test_session_scope_commits_a_block_that_succeeds(engine: Engine) -> None:
    """What a successful block wrote is visible to the next transaction."""
    with session_scope(engine) as session:
        session.add(contact("SBC-2026-00001"))
    with Session(engine) as reader:
        assert reader.exec(select(Contact.reference)).all() == ["SBC-2026-00001"]


def test_session_scope_rolls_back_a_block_that_raises(engine: Engine) -> None:
    """An exception inside the block leaves the database as it was and passes through unchanged."""
    with pytest.raises(KeyError), session_scope(engine) as session:
        session.add(contact("SBC-2026-00001"))
        session.flush()
        raise KeyError("boom")
    with Session(engine) as reader:
        assert reader.exec(select(Contact)).all() == []


def test_session_scope_reports_a_constraint_violation_as_a_store_error(engine: Engine) -> None:
    """A duplicate reference leaves the scope as a one-line StoreError naming the database."""
    with session_scope(engine) as session:
        session.add(contact("SBC-2026-00001"))
    with pytest.raises(StoreError) as raised, session_scope(engine) as session:
        session.add(contact("SBC-2026-00001"))
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("database ")
    assert "reference" in message or "uq_contact_reference" in message


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    """A row pointing at a contact that does not exist is refused on both engines."""
    with pytest.raises(StoreError), session_scope(engine) as session:
        session.add(contact("SBC-2026-00001", linked_contact_id=424242))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM contact")).scalar() == 0
