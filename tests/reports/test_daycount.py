"""Working days counted in SQL agree with ``WorkCalendar`` on both engines, instant by instant."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Column, Engine, Integer, MetaData, Table, select

from mailflow.policy.council import CouncilPolicy, load_policy
from mailflow.reports.daycount import day_count, transitions
from mailflow.reports.scope import read_snapshot
from mailflow.store.columns import AwareDateTime

LONDON = ZoneInfo("Europe/London")


def with_cutoff(policy: CouncilPolicy, cutoff: time) -> CouncilPolicy:
    """The policy with a cut-off on its council calendar (mail after it counts from tomorrow)."""
    calendars = dict(policy.rules.calendars)
    calendars["council"] = calendars["council"].model_copy(update={"cutoff": cutoff})
    rules = policy.rules.model_copy(update={"calendars": calendars})
    return CouncilPolicy.from_rules(rules, Path(policy.source))


def random_pairs(count: int) -> list[tuple[datetime, datetime]]:
    """Pairs of instants around both 2026 clock changes, Christmas and Easter, in any order of
    hours, with a few landing exactly on local midnight and on the cut-off."""
    rng = random.Random(2026)
    out = []
    for _ in range(count):
        start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(400 * 24 * 60))
        if rng.random() < 0.1:
            start = datetime.combine(start.date(), rng.choice((time(0), time(16, 0))), LONDON)
        out.append((start, start + timedelta(minutes=rng.randrange(40 * 24 * 60))))
    return out


def test_sql_working_days_match_the_calendar(engine: Engine) -> None:
    """For 400 random (received, answered) pairs, SQL's count equals the calendar's: working
    days after the day of receipt (the cut-off applied) up to the local day of the answer, and
    none when the answer came before the day the message counts as received."""
    policy = with_cutoff(load_policy("stafford"), time(16, 0))
    probe = Table(
        "probe",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("start_at", AwareDateTime(), nullable=False),
        Column("end_at", AwareDateTime(), nullable=False),
        prefixes=["TEMPORARY"],
    )
    pairs = random_pairs(400)
    with read_snapshot(engine) as connection:
        probe.create(connection)
        connection.execute(
            probe.insert(),
            [{"id": i, "start_at": s, "end_at": e} for i, (s, e) in enumerate(pairs)],
        )
        with day_count(connection, policy, date(2025, 12, 30), date(2027, 3, 31)) as days:
            counted = {}
            for name in ("council", "foi_act"):
                w_start, on_start = days.on(name, probe.c.start_at)
                w_end, on_end = days.on(name, probe.c.end_at)
                taken = w_end.c.ordinal - days.received(w_start, probe.c.start_at)
                query = select(probe.c.id, days.at_least_none(taken)).select_from(
                    probe.outerjoin(w_start, on_start).outerjoin(w_end, on_end)
                )
                counted[name] = {int(i): n for i, n in connection.execute(query)}
    for name in ("council", "foi_act"):
        calendar = policy.calendar(name)
        for i, (start, end) in enumerate(pairs):
            wanted = calendar.working_days_between(
                calendar.receipt_day(start), end.astimezone(LONDON).date()
            )
            assert counted[name][i] == max(wanted, 0), (name, start, end)


def test_london_clock_changes_are_found_to_the_second() -> None:
    """The UTC instants at which London's offset changed in 2026 (29 March, 25 October)."""
    found = transitions(LONDON, date(2026, 1, 1), date(2026, 12, 31))
    assert [(at.isoformat(), offset) for at, offset in found[1:]] == [
        ("2026-03-29T01:00:00+00:00", 3600),
        ("2026-10-25T01:00:00+00:00", 0),
    ]
