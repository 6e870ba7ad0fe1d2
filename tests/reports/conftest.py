"""Each council's database seeded through the real workflow, once per test run and engine."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from mailflow.policy.council import CouncilPolicy, load_policy
from mailflow.reports.build import build_report
from mailflow.reports.periods import parse_period
from mailflow.reports.tables import Report
from mailflow.store.db import make_engine
from mailflow.store.migrate import upgrade
from tests.reports.scenarios import chorley_month, stafford_quarter
from tests.reports.simulation import Simulation
from tests.store.dbfixtures import _create_database, _drop_database, _postgres_url

ENGINES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
STAFFORD_NOW = datetime(2026, 10, 5, 8, 0, tzinfo=UTC)
CHORLEY_NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Seeded:
    """A council's database after its scenario, with the references the scenario made."""

    engine: Engine
    policy: CouncilPolicy
    refs: dict[str, str]
    url: str


def _seeded(
    request: pytest.FixtureRequest, factory: pytest.TempPathFactory, council: str
) -> Iterator[Seeded]:
    """A new database on the requested engine with the council's scenario replayed into it."""
    admin, name = None, ""
    if request.param == "sqlite":
        url = f"sqlite:///{factory.mktemp(council) / 'mailflow.db'}"
        upgrade(url)
    else:
        admin = request.getfixturevalue("postgres_admin")
        name = _create_database(admin, request.getfixturevalue("postgres_template"))
        url = _postgres_url(name)
    engine = make_engine(url)
    try:
        policy = load_policy(council)
        sim = Simulation(engine, policy, factory.mktemp("blobs"))
        refs = stafford_quarter(sim) if council == "stafford" else chorley_month(sim)
        yield Seeded(engine, policy, refs, url)
    finally:
        engine.dispose()
        if admin is not None:
            _drop_database(admin, name)


@pytest.fixture(scope="session", params=ENGINES)
def stafford_db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Seeded]:
    """Stafford's third quarter of 2026 (and a little before), seeded through the workflow."""
    yield from _seeded(request, tmp_path_factory, "stafford")


@pytest.fixture(scope="session", params=ENGINES)
def chorley_db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Seeded]:
    """Chorley's November 2026 (and a little before), seeded through the workflow."""
    yield from _seeded(request, tmp_path_factory, "chorley")


@pytest.fixture(scope="session")
def stafford_report(stafford_db: Seeded) -> Report:
    """Stafford's report for 2026-Q3, built a few days after the quarter ended."""
    return build_report(
        stafford_db.engine, stafford_db.policy, parse_period("2026-Q3"), now=STAFFORD_NOW
    )


@pytest.fixture(scope="session")
def chorley_report(chorley_db: Seeded) -> Report:
    """Chorley's report for November 2026, built a few days after the month ended."""
    return build_report(
        chorley_db.engine, chorley_db.policy, parse_period("2026-11"), now=CHORLEY_NOW
    )


@pytest.fixture(scope="session")
def stafford_files(stafford_report: Report, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Stafford's report written as Word, CSV and HTML."""
    from mailflow.reports.files import write_report

    folder = tmp_path_factory.mktemp("stafford-report")
    write_report(stafford_report, folder, ("docx", "csv", "html"))
    return folder
