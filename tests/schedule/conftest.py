"""Fixtures for the scheduler's tests: policies, a migrated SQLite database per test, worlds."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from mailflow.policy.council import CouncilPolicy, load_policy
from mailflow.store.db import make_engine
from mailflow.store.migrate import upgrade
from tests.schedule.sim import SimClock, World


@pytest.fixture(scope="session")
def stafford() -> CouncilPolicy:
    """Stafford's bundled rules."""
    return load_policy("stafford")


@pytest.fixture(scope="session")
def chorley() -> CouncilPolicy:
    """Chorley's bundled rules."""
    return load_policy("chorley")


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated once; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "mailflow.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_engine(migrated_sqlite: Path, tmp_path: Path) -> Iterator[Engine]:
    """An engine on this test's own copy of the migrated database."""
    path = tmp_path / "mailflow.db"
    shutil.copy(migrated_sqlite, path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


@pytest.fixture
def world(sqlite_engine: Engine) -> Callable[[CouncilPolicy, datetime], World]:
    """A world for a council on SQLite, its clock starting at the instant given."""

    def make(policy: CouncilPolicy, start: datetime) -> World:
        return World(sqlite_engine, policy, SimClock(start))

    return make
