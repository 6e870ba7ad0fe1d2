"""FOI requests run on the FOI Act's calendar, complaints on the council's: their deadlines
differ exactly where a bank holiday of Scotland or Northern Ireland (not England) falls."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import holidays
import pytest

from mailflow.policy.council import CouncilPolicy
from mailflow.policy.deadlines import plan
from tests.schedule.sim import LONDON

YEARS = (2026, 2027, 2028)


def region(subdiv: str) -> set[date]:
    return set(holidays.country_holidays("GB", subdiv=subdiv, years=YEARS))


NOT_ENGLAND = {d for d in (region("SCT") | region("NIR")) - region("ENG") if d.weekday() < 5}


def dues(policy: CouncilPolicy, received: datetime) -> tuple[date, date]:
    """The FOI response date, and a stage 2 complaint's (also 20 working days) at Stafford."""
    foi = plan(policy, kind="foi_request", channel="email", received=received).respond
    complaint = plan(policy, kind="complaint", channel="email", received=received, stage=2).respond
    assert foi is not None and complaint is not None
    assert (foi.calendar, complaint.calendar, foi.days, complaint.days) == (
        "foi_act",
        "council",
        20,
        20,
    )
    return foi.due_date, complaint.due_date


def test_they_differ_exactly_where_a_non_england_bank_holiday_falls(
    stafford: CouncilPolicy,
) -> None:
    """For a request received each day of 2026 and 2027, the FOI date is later than the
    complaint's if and only if a Scottish or Northern Irish bank holiday falls in between."""
    day = date(2026, 1, 1)
    while day <= date(2027, 12, 31):
        received = datetime.combine(day, time(11), tzinfo=LONDON)
        foi, complaint = dues(stafford, received)
        between = {d for d in NOT_ENGLAND if day < d <= complaint}
        assert (foi != complaint) == bool(between), (day, foi, complaint, between)
        assert foi >= complaint
        day += timedelta(days=1)


@pytest.mark.parametrize(
    ("holiday", "name"),
    [
        (date(2026, 3, 17), "St Patrick's Day (NIR)"),
        (date(2027, 7, 12), "Battle of the Boyne (NIR)"),
        (date(2026, 11, 30), "St Andrew's Day (SCT)"),
        (date(2026, 1, 2), "New Year Holiday (SCT)"),
    ],
)
def test_each_named_holiday_puts_the_foi_date_one_working_day_later(
    stafford: CouncilPolicy, holiday: date, name: str
) -> None:
    """Received the working day before 17 March, 12 July, 30 November or 2 January: the FOI
    request is due a working day later than the complaint for it (and for any other such holiday
    in the window), and the FOI date's explanation names it."""
    received = datetime.combine(holiday - timedelta(days=1), time(11), tzinfo=LONDON)
    if received.weekday() >= 5:
        received -= timedelta(days=received.weekday() - 4)
    foi, complaint = dues(stafford, received)
    cal = stafford.calendar("foi_act")
    others = {d for d in NOT_ENGLAND if received.date() < d <= foi and d != holiday}
    assert foi > complaint
    assert cal.working_days_between(complaint, foi) == 1 + len(others)  # 12 Jul 2027: 2 Aug too
    assert f"{holiday:%a %d %b %Y}: {name}" in [str(e) for e in cal.explain(received, 20)]
    assert stafford.calendar("council").is_working_day(holiday)
