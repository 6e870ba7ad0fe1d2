"""Working-day arithmetic checked against numpy's business-day calendar as an independent oracle."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Literal
from zoneinfo import ZoneInfo

import holidays
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from mailflow.policy.workdays import WorkCalendar, foi_calendar

# Holidays for every year a case can reach: 2040-12-31 plus 60 working days is in 2041.
ORACLE_YEARS = range(2019, 2043)


def busday_calendar(regions: tuple[str, ...]) -> np.busdaycalendar:
    """numpy's Mon-Fri calendar minus every bank holiday of ``regions``, years given explicitly."""
    days: set[date] = set()
    for region in regions:
        days |= set(holidays.country_holidays("GB", subdiv=region, years=ORACLE_YEARS))
    return np.busdaycalendar(holidays=sorted(days))


CALENDARS = {
    "england": (WorkCalendar(name="england"), busday_calendar(("ENG",))),
    "foi": (foi_calendar(), busday_calendar(("ENG", "SCT", "NIR"))),
}

DAYS = st.dates(min_value=date(2020, 1, 1), max_value=date(2040, 12, 31))
WHICH = st.sampled_from(sorted(CALENDARS))
FAST = settings(max_examples=300, deadline=None)


def oracle(day: date, n: int, busdays: np.busdaycalendar) -> date:
    """numpy's n-th business day after ``day`` (before it when n < 0), rolling off a holiday."""
    roll: Literal["backward", "forward"] = "backward" if n > 0 else "forward"
    found = np.busday_offset(np.datetime64(day), n, roll=roll, busdaycal=busdays)
    return date.fromisoformat(str(found))


@FAST
@given(which=WHICH, day=DAYS, n=st.integers(min_value=0, max_value=60))
def test_adding_working_days_agrees_with_numpy(which: str, day: date, n: int) -> None:
    """Working day n after a date is numpy's busday_offset(day, n, roll="backward"); n = 0 is the
    date itself, where numpy would instead roll a holiday back to the previous business day."""
    calendar, busdays = CALENDARS[which]
    expected = day if n == 0 else oracle(day, n, busdays)
    assert calendar.add_working_days(day, n) == expected


@FAST
@given(which=WHICH, day=DAYS, n=st.integers(min_value=1, max_value=60))
def test_counting_back_working_days_agrees_with_numpy(which: str, day: date, n: int) -> None:
    """Working day n before a date is numpy's busday_offset(day, -n, roll="forward")."""
    calendar, busdays = CALENDARS[which]
    assert calendar.add_working_days(day, -n) == oracle(day, -n, busdays)


@FAST
@given(which=WHICH, day=DAYS, n=st.integers(min_value=1, max_value=60), hour=st.integers(0, 23))
def test_a_due_date_is_numpys_and_always_a_working_day(
    which: str, day: date, n: int, hour: int
) -> None:
    """Whatever the hour of receipt, the due date is a working day and matches the oracle."""
    calendar, busdays = CALENDARS[which]
    when = datetime.combine(day, time(hour), tzinfo=ZoneInfo("Europe/London"))
    due = calendar.due_date(when, n)
    assert calendar.is_working_day(due)
    assert bool(np.is_busday(np.datetime64(due), busdaycal=busdays))
    assert due == oracle(day, n, busdays)


@FAST
@given(which=WHICH, day=DAYS, n=st.integers(min_value=-60, max_value=60))
def test_working_days_between_undoes_adding_working_days(which: str, day: date, n: int) -> None:
    """Counting the working days from a date to n working days later gives back n."""
    calendar, _ = CALENDARS[which]
    assert calendar.working_days_between(day, calendar.add_working_days(day, n)) == n


@FAST
@given(day=DAYS)
def test_every_foi_working_day_is_an_england_working_day(day: date) -> None:
    """The FOI calendar only adds days off to England's: it never works an English holiday."""
    england, _ = CALENDARS["england"]
    foi, _ = CALENDARS["foi"]
    assert not foi.is_working_day(day) or england.is_working_day(day)
