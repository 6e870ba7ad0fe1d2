"""The packaged Alembic migrations build exactly the schema the models describe, on both engines."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import BigInteger, Integer, MetaData

from mailflow.errors import StoreError
from mailflow.store.db import make_engine
from mailflow.store.migrate import MIGRATIONS, current, head, upgrade
from mailflow.store.models import StoreModel

REPO = Path(__file__).resolve().parents[2]


def _differences(url: str, metadata: MetaData) -> list[object]:
    """What Alembic would change to make the database at ``url`` match ``metadata``."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


def test_upgrade_builds_the_schema_the_models_describe(db_url: str) -> None:
    """Migrating an empty database to head leaves nothing for autogenerate to change."""
    assert current(db_url) is None
    upgrade(db_url)
    assert current(db_url) == head()
    assert _differences(db_url, StoreModel.metadata) == []


def test_schema_comparison_notices_a_narrower_uid_column(db_url: str) -> None:
    """The comparison is not vacuous: a UID typed ``integer`` in the models would be reported."""
    upgrade(db_url)
    altered = MetaData(naming_convention=StoreModel.metadata.naming_convention)
    for table in StoreModel.metadata.sorted_tables:
        table.to_metadata(altered)
    assert isinstance(altered.tables["message"].c.uid.type, BigInteger)
    altered.tables["message"].c.uid.type = Integer()
    differences = _differences(db_url, altered)
    assert len(differences) == 1
    assert "uid" in repr(differences[0])


def test_upgrade_again_changes_nothing(db_url: str) -> None:
    """Running the upgrade on an up-to-date database is harmless (every daemon start does it)."""
    upgrade(db_url)
    upgrade(db_url)
    assert current(db_url) == head()


def test_upgrade_to_an_unknown_revision_is_a_one_line_store_error(db_url: str) -> None:
    """A revision this mailflow does not know is reported in one line naming the database."""
    with pytest.raises(StoreError) as raised:
        upgrade(db_url, "9999")
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("database ")
    assert "9999" in message


def test_every_migration_file_is_packaged() -> None:
    """pyproject's package-data globs cover every migration file, so a wheel can migrate."""
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    globs = pyproject["tool"]["setuptools"]["package-data"]["mailflow"]
    package_root = REPO / "mailflow"
    files = [
        path.relative_to(package_root).as_posix()
        for path in MIGRATIONS.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    ]
    assert "store/migrations/env.py" in files
    assert "store/migrations/script.py.mako" in files
    assert "store/migrations/versions/0001_initial.py" in files
    missing = [name for name in files if not any(fnmatch.fnmatch(name, g) for g in globs)]
    assert missing == []
