"""The daemon's daily retention run follows the injected clock: once a local day, after run_at."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from mailflow.cli import main
from mailflow.privacy.daily import DailyRetention
from tests.privacy.test_retention import everything_stored, seed_kinds
from tests.privacy.town import Town

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def town(engine: Engine, tmp_path: Path) -> Town:
    return Town(engine, tmp_path / "blobs")


def test_the_daily_run_happens_once_a_day_after_run_at_on_the_simulated_clock(
    town: Town,
) -> None:
    """Before 02:30 nothing runs; at 02:30 junk past its 30 days goes; not again that day."""
    refs = seed_kinds(town)
    clock = [datetime(2026, 8, 8, 2, 0, tzinfo=LONDON)]  # junk kept until 7 August
    daily = DailyRetention(town.engine, town.policy, town.blobs, clock=lambda: clock[0])
    assert daily.run_once() is None
    clock[0] += timedelta(minutes=30)
    run = daily.run_once()
    assert run is not None and [e.reference for e in run.contacts] == [refs["junk"]]
    clock[0] += timedelta(hours=20)
    assert daily.run_once() is None
    clock[0] += timedelta(hours=4)
    run = daily.run_once()
    assert run is not None and run.contacts == []


def test_the_daemon_loop_runs_the_schedule_and_stops_when_told(town: Town) -> None:
    """``run`` polls the clock in the daemon's loop and returns once ``stop`` is set."""
    refs = seed_kinds(town)
    now = datetime(2026, 8, 8, 9, 0, tzinfo=LONDON)
    daily = DailyRetention(town.engine, town.policy, town.blobs, clock=lambda: now, poll=0.01)

    async def go() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(daily.run(stop))
        for _ in range(500):
            if daily.last_day is not None:
                break
            await asyncio.sleep(0.01)
        stop.set()
        await asyncio.wait_for(task, 10)

    asyncio.run(go())
    assert town.contact(refs["junk"]).anonymised_at == now


def test_mailflow_retention_dry_run_lists_and_deletes_nothing(
    town: Town, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The command's dry run prints the expired references as JSON and changes nothing."""
    refs = seed_kinds(town)
    config = tmp_path / "mailflow.toml"
    url = town.engine.url.render_as_string(hide_password=False)
    config.write_text(
        f'rules = "stafford"\ndatabase = "{url}"\ndata_dir = "{tmp_path}"\nsecret = "k"\n'
    )
    stored = everything_stored(town.engine)
    assert main(["retention", "--dry-run", "--config", str(config)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["dry_run"] is True
    listed = {c["reference"] for c in out["contacts"]}  # as of today on the real clock
    assert refs["junk"] in listed and listed <= set(refs.values())
    assert everything_stored(town.engine) == stored
