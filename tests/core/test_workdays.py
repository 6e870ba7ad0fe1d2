"""Working-day calendars: deadlines worked out by hand from a real calendar, FOI Act s.10 style."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from mailflow.errors import CalendarError
from mailflow.policy.workdays import ClosureDay, WorkCalendar, foi_calendar

LONDON = ZoneInfo("Europe/London")
FIVE_PM = time(17, 0)
OPENS, CLOSES = time(9, 0), time(17, 0)


def received(text: str) -> datetime:
    """An aware instant: ISO text with an offset as given, otherwise London local time."""
    instant = datetime.fromisoformat(text)
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=LONDON)


@pytest.fixture(scope="module")
def england() -> WorkCalendar:
    """The England and Wales calendar with no cut-off."""
    return WorkCalendar(name="england")


@pytest.fixture(scope="module")
def foi() -> WorkCalendar:
    """The FOI Act s.10(6) calendar: bank holidays anywhere in the UK."""
    return foi_calendar()


# England & Wales bank holidays used below (gov.uk): 2026: 1 Jan, 3 Apr, 6 Apr, 4 May, 25 May,
# 31 Aug, 25 Dec, 28 Dec (Boxing Day substitute). 2027: 1 Jan, 26 Mar, 29 Mar, 3 May, 31 May,
# 30 Aug, 27 Dec and 28 Dec (substitutes). 2028: 3 Jan (substitute for Sat 1 Jan), 14 Apr, ...
DUE_DATES = [
    # (received, local unless an offset is given; cut-off; n; due date; why)
    ("2026-03-02T10:00", None, 1, "2026-03-03", "Mon → Tue: day of receipt not counted"),
    ("2026-03-02T10:00", None, 5, "2026-03-09", "Mon 2 Mar: Tue-Fri are 1-4, Mon 9 is 5"),
    ("2026-03-02T10:00", None, 10, "2026-03-16", "Mon 9-Fri 13 are 5-9, Mon 16 is 10"),
    ("2026-03-02T10:00", None, 15, "2026-03-23", "Tue 17-Fri 20 are 11-14, Mon 23 is 15"),
    ("2026-03-02T10:00", None, 20, "2026-03-30", "Tue 24-Fri 27 are 16-19, Mon 30 is 20"),
    ("2026-03-06T10:00", None, 1, "2026-03-09", "Fri → Mon: the weekend is skipped"),
    ("2026-03-07T11:00", None, 1, "2026-03-09", "received Saturday: day 1 is Monday"),
    ("2026-03-08T15:00", None, 1, "2026-03-09", "received Sunday: day 1 is Monday"),
    ("2026-03-08T15:00", None, 5, "2026-03-13", "received Sunday: Mon 9-Fri 13 are 1-5"),
    ("2026-03-08T15:00", None, 0, "2026-03-08", "n = 0 is the day of receipt itself"),
    ("2026-04-02T10:00", None, 1, "2026-04-07", "Thu before Easter: Good Fri-Easter Mon skipped"),
    ("2026-04-01T10:00", None, 5, "2026-04-10", "Wed 1 Apr: Thu 2 is 1, Tue 7-Fri 10 are 2-5"),
    ("2026-04-03T10:00", None, 1, "2026-04-07", "received on Good Friday: day 1 is Tue 7 Apr"),
    ("2026-03-23T10:00", None, 20, "2026-04-22", "Mon 23 Mar: 8 days to Thu 2 Apr, Wed 22 is 20"),
    ("2027-03-25T10:00", None, 1, "2027-03-30", "Thu before Easter 2027: Tue 30 Mar is day 1"),
    ("2027-03-22T10:00", None, 5, "2027-03-31", "Tue 23-Thu 25 are 1-3, Tue 30 is 4, Wed 31 is 5"),
    ("2027-03-10T10:00", None, 20, "2027-04-09", "11 days to Thu 25 Mar, Tue 30 12, Fri 9 Apr 20"),
    ("2026-05-01T10:00", None, 1, "2026-05-05", "Fri 1 May: early May bank holiday Mon 4 skipped"),
    ("2026-04-30T10:00", None, 5, "2026-05-08", "Thu 30 Apr: Fri 1 is 1, Tue 5-Fri 8 are 2-5"),
    ("2026-05-22T10:00", None, 1, "2026-05-26", "Fri 22 May: spring bank holiday Mon 25 skipped"),
    ("2026-05-18T10:00", None, 10, "2026-06-02", "Tue 19-Fri 22 are 1-4, Tue 26-Tue 2 Jun 5-10"),
    ("2027-04-30T10:00", None, 1, "2027-05-04", "Fri 30 Apr 2027: Mon 3 May bank holiday"),
    ("2027-05-28T10:00", None, 1, "2027-06-01", "Fri 28 May 2027: Mon 31 May bank holiday"),
    ("2026-08-28T10:00", None, 1, "2026-09-01", "Fri 28 Aug: late summer bank holiday Mon 31"),
    ("2026-12-18T10:00", None, 5, "2026-12-29", "Mon 21-Thu 24 are 1-4; 25, 26-27, 28 off"),
    ("2026-12-18T10:00", None, 10, "2027-01-06", "Tue 29-Thu 31 are 5-7, Mon 4-Wed 6 are 8-10"),
    ("2026-12-25T10:00", None, 1, "2026-12-29", "received Christmas Day: Mon 28 is substitute"),
    ("2026-12-25T10:00", None, 2, "2026-12-30", "received Christmas Day: Wed 30 is day 2"),
    (
        "2026-12-24T10:00",
        None,
        5,
        "2027-01-05",
        "Tue 29-Thu 31 are 1-3, Fri 1 Jan off, Mon 4, Tue 5",
    ),
    ("2026-12-31T10:00", None, 1, "2027-01-04", "Thu 31 Dec: New Year's Day Fri, then weekend"),
    ("2027-12-24T10:00", None, 1, "2027-12-29", "Sat 25/Sun 26 substituted to Mon 27 and Tue 28"),
    ("2027-12-23T10:00", None, 5, "2028-01-04", "Fri 24 is 1, Wed 29-Fri 31 are 2-4, Mon 3 off"),
    ("2027-12-31T10:00", None, 1, "2028-01-04", "1 Jan 2028 is a Saturday: substitute Mon 3 Jan"),
    ("2027-12-20T10:00", None, 15, "2028-01-13", "Tue 21-Fri 24 1-4, 29-31 5-7, Tue 4-Thu 13 8-15"),
    ("2026-03-06T17:30", FIVE_PM, 1, "2026-03-10", "Fri after the cut-off counts as Mon: Tue is 1"),
    ("2026-03-06T17:00", FIVE_PM, 1, "2026-03-10", "exactly at the cut-off is after it"),
    ("2026-03-06T16:59", FIVE_PM, 1, "2026-03-09", "a minute before the cut-off counts as Fri"),
    ("2026-03-07T18:00", FIVE_PM, 1, "2026-03-09", "no cut-off on a Saturday: Mon is still 1"),
    (
        "2026-04-02T17:15",
        FIVE_PM,
        1,
        "2026-04-08",
        "Thu before Easter after cut-off: Tue 7 receipt",
    ),
    ("2026-12-24T17:45", FIVE_PM, 2, "2026-12-31", "after cut-off Christmas Eve: Tue 29 receipt"),
    ("2026-06-30T23:30+00:00", None, 1, "2026-07-02", "23:30 UTC is 00:30 BST on Wed 1 Jul"),
    ("2026-04-07T10:00", None, -1, "2026-04-02", "one working day before Tue 7 Apr is Thu 2 Apr"),
    ("2026-12-29T10:00", None, -5, "2026-12-18", "five before Tue 29 Dec: Thu 24 back to Fri 18"),
    ("2028-01-04T10:00", None, -1, "2027-12-31", "Mon 3 Jan 2028 is a substitute: Fri 31 Dec"),
]


@pytest.mark.parametrize(
    ("when", "cutoff", "n", "due", "why"), DUE_DATES, ids=[row[4] for row in DUE_DATES]
)
def test_due_date_is_the_end_of_working_day_n_after_receipt(
    when: str, cutoff: time | None, n: int, due: str, why: str
) -> None:
    """Each hand-checked deadline comes out on the date worked out from a printed calendar."""
    calendar = WorkCalendar(name="england", cutoff=cutoff)
    assert calendar.due_date(received(when), n) == date.fromisoformat(due), why


def test_complaint_received_friday_before_christmas_2026_is_acknowledged_by_29_december(
    england: WorkCalendar,
) -> None:
    """Five working days from Fri 18 Dec 2026 skip Christmas Day and the Boxing Day substitute."""
    assert england.due_date(received("2026-12-18T09:00"), 5) == date(2026, 12, 29)


def test_message_received_on_christmas_day_2026_counts_from_tuesday_29_december(
    england: WorkCalendar,
) -> None:
    """A message sent on Christmas Day has working day 1 on Tue 29 and day 2 on Wed 30 Dec."""
    assert england.due_date(received("2026-12-25T12:00"), 1) == date(2026, 12, 29)
    assert england.due_date(received("2026-12-25T12:00"), 2) == date(2026, 12, 30)


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        ("2026-03-07", "Saturday"),
        ("2026-03-08", "Sunday"),
        ("2026-04-03", "Good Friday"),
        ("2026-04-06", "Easter Monday"),
        ("2026-05-04", "May Day"),
        ("2026-12-26", "Saturday; Boxing Day"),
        ("2026-12-28", "Boxing Day (substitute day)"),
        ("2027-12-27", "Christmas Day (substitute day)"),
        ("2027-12-28", "Boxing Day (substitute day)"),
        ("2028-01-03", "New Year's Day (substitute day)"),
        ("2026-03-09", None),
    ],
)
def test_england_calendar_says_why_a_day_is_not_worked(
    england: WorkCalendar, day: str, reason: str | None
) -> None:
    """Each day off is explained in gov.uk's words, and a working day has no reason."""
    assert england.why_not_working(date.fromisoformat(day)) == reason
    assert england.is_working_day(date.fromisoformat(day)) is (reason is None)


# Bank holidays outside England and Wales, 2026-2028 (gov.uk; NIR 12 July 2026 is a Sunday, so
# the Battle of the Boyne moves to Mon 13 July; Scotland's 2 January 2027 is a Saturday, so it
# moves to Mon 4 January; in 2028 1-2 January are Sat/Sun, so 3 and 4 January). 15 June 2026 is
# the one-off Scottish bank holiday for the FIFA World Cup, as listed by `holidays`.
NON_ENGLAND = {
    "2026-01-02": "New Year Holiday (SCT)",
    "2026-03-17": "St Patrick's Day (NIR)",
    "2026-06-15": "Scotland's participation in the FIFA World Cup final (SCT)",
    "2026-07-13": "Battle of the Boyne (substitute day) (NIR)",
    "2026-08-03": "Summer Bank Holiday (SCT)",
    "2026-11-30": "St Andrew's Day (SCT)",
    "2027-01-04": "New Year Holiday (substitute day) (SCT)",
    "2027-03-17": "St Patrick's Day (NIR)",
    "2027-07-12": "Battle of the Boyne (NIR)",
    "2027-08-02": "Summer Bank Holiday (SCT)",
    "2027-11-30": "St Andrew's Day (SCT)",
    "2028-01-04": "New Year Holiday (substitute day) (SCT)",
    "2028-03-17": "St Patrick's Day (NIR)",
    "2028-07-12": "Battle of the Boyne (NIR)",
    "2028-08-07": "Summer Bank Holiday (SCT)",
    "2028-11-30": "St Andrew's Day (SCT)",
}


def test_foi_calendar_differs_from_england_exactly_on_other_uk_bank_holidays(
    england: WorkCalendar, foi: WorkCalendar
) -> None:
    """FOI Act s.10(6) also excludes Scottish and Northern Irish bank holidays, and nothing else."""
    day, differing = date(2026, 1, 1), {}
    while day <= date(2028, 12, 31):
        if england.is_working_day(day) != foi.is_working_day(day):
            differing[day.isoformat()] = foi.why_not_working(day)
        day = date.fromordinal(day.toordinal() + 1)
    assert differing == NON_ENGLAND


def test_foi_calendar_names_the_regions_of_a_holiday_not_kept_everywhere(foi: WorkCalendar) -> None:
    """Easter Monday is not a Scottish bank holiday, so the FOI calendar says where it is one."""
    assert foi.why_not_working(date(2026, 4, 6)) == "Easter Monday (ENG, NIR)"
    assert foi.why_not_working(date(2026, 4, 3)) == "Good Friday"


def test_foi_request_spanning_st_patricks_day_2027_is_due_one_working_day_later(
    england: WorkCalendar, foi: WorkCalendar
) -> None:
    """A request of Wed 10 Mar 2027 is due Fri 9 Apr in England but Mon 12 Apr under s.10(6)."""
    request = received("2027-03-10T11:00")
    assert england.due_date(request, 20) == date(2027, 4, 9)
    assert foi.due_date(request, 20) == date(2027, 4, 12)


def test_christmas_day_and_good_friday_are_never_working_days_whatever_the_regions() -> None:
    """Even with no bank-holiday region at all, s.10(6)'s two named days stay excluded."""
    bare = WorkCalendar(name="bare", regions=())
    assert bare.why_not_working(date(2026, 12, 25)) == "Christmas Day"
    assert bare.why_not_working(date(2027, 3, 26)) == "Good Friday"
    assert bare.is_working_day(date(2027, 3, 29))


def test_council_closure_days_are_skipped_and_give_their_reason() -> None:
    """A Christmas shutdown day stops the count and is explained as a council closure."""
    shutdown = [
        ClosureDay(day=date(2026, 12, 24), reason="Christmas shutdown"),
        ClosureDay(day=date(2026, 12, 28), reason="Christmas shutdown"),
    ]
    calendar = WorkCalendar(name="council", closure_days=shutdown)
    # Mon 21-Wed 23 are 1-3; Thu 24 closed; Tue 29 is 4, Wed 30 is 5.
    assert calendar.due_date(received("2026-12-18T10:00"), 5) == date(2026, 12, 30)
    assert calendar.why_not_working(date(2026, 12, 24)) == "Council closure: Christmas shutdown"
    assert calendar.why_not_working(date(2026, 12, 28)) == (
        "Boxing Day (substitute day); Council closure: Christmas shutdown"
    )


@pytest.mark.parametrize(
    ("day", "ends"),
    [
        ("2026-01-15", "2026-01-16T00:00+00:00"),  # GMT: local midnight is UTC midnight
        ("2026-07-01", "2026-07-01T23:00+00:00"),  # BST: local midnight is 23:00 UTC
        ("2026-03-28", "2026-03-29T00:00+00:00"),  # Sat before the clocks go forward
        ("2026-03-29", "2026-03-29T23:00+00:00"),  # the 23-hour day: BST from 01:00 UTC
        ("2026-10-24", "2026-10-24T23:00+00:00"),  # Sat before the clocks go back
        ("2026-10-25", "2026-10-26T00:00+00:00"),  # the 25-hour day ends at GMT midnight
    ],
)
def test_a_deadline_day_ends_at_local_midnight_in_bst_and_gmt(
    england: WorkCalendar, day: str, ends: str
) -> None:
    """ "By the end of working day N" is the next local midnight, as a UTC instant."""
    end = england.end_of_day(date.fromisoformat(day))
    assert end == datetime.fromisoformat(ends)
    assert end.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "call",
    [
        lambda c, t: c.receipt_day(t),
        lambda c, t: c.due_date(t, 5),
        lambda c, t: c.is_working_time(t, OPENS, CLOSES),
        lambda c, t: c.next_working_time(t, OPENS, CLOSES),
        lambda c, t: c.explain(t, 5),
        lambda c, t: c.add_calendar_months(t, 1),
    ],
    ids=["receipt_day", "due_date", "is_working_time", "next_working_time", "explain", "months"],
)
def test_a_naive_datetime_is_refused_with_a_one_line_error(
    england: WorkCalendar, call: Callable[[WorkCalendar, datetime], object]
) -> None:
    """A time without a timezone cannot be placed on the calendar, and the error says where."""
    with pytest.raises(CalendarError) as caught:
        call(england, datetime(2026, 3, 2, 10, 0))
    message = str(caught.value)
    assert "\n" not in message
    assert "'england'" in message and "timezone-aware" in message and "2026-03-02T10:00" in message


@pytest.mark.parametrize(
    ("start", "end", "count"),
    [
        ("2026-12-18", "2026-12-29", 5),  # Mon 21-Thu 24 and Tue 29
        ("2026-12-29", "2026-12-18", -5),  # the same span backwards
        ("2026-03-09", "2026-03-09", 0),  # a day is not after itself
        ("2026-03-07", "2026-03-09", 1),  # Sat to Mon: only Monday
        ("2026-03-09", "2026-03-06", -1),  # Mon back to Fri: add_working_days(Mon 9, -1)
        ("2026-04-02", "2026-04-07", 1),  # over Easter 2026
        ("2027-12-24", "2028-01-04", 4),  # Wed 29-Fri 31 Dec and Tue 4 Jan
    ],
)
def test_working_days_between_counts_the_days_after_the_start(
    england: WorkCalendar, start: str, end: str, count: int
) -> None:
    """The count excludes the start and includes the end, and runs negative backwards."""
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    assert england.working_days_between(first, last) == count


@pytest.mark.parametrize(
    ("instant", "working", "next_time"),
    [
        ("2026-03-04T10:00", True, "2026-03-04T10:00"),  # Wed in hours: now
        ("2026-03-04T08:00", False, "2026-03-04T09:00"),  # Wed before opening
        ("2026-03-06T16:59", True, "2026-03-06T16:59"),  # Fri a minute before closing
        ("2026-03-06T17:00", False, "2026-03-09T09:00"),  # Fri at closing: Monday
        ("2026-03-28T12:00", False, "2026-03-30T09:00"),  # Sat: Monday, in BST by then
        ("2026-04-03T10:00", False, "2026-04-07T09:00"),  # Good Friday: Tue after Easter
        ("2027-12-24T18:00", False, "2027-12-29T09:00"),  # Christmas 2027 substitutes
    ],
)
def test_working_time_skips_evenings_weekends_and_bank_holidays(
    england: WorkCalendar, instant: str, working: bool, next_time: str
) -> None:
    """Office hours are 09:00-17:00 local on working days; the next one is found across breaks."""
    at = received(instant)
    assert england.is_working_time(at, OPENS, CLOSES) is working
    assert england.next_working_time(at, OPENS, CLOSES) == received(next_time)


def test_next_working_time_answers_in_the_timezone_it_was_asked_in(england: WorkCalendar) -> None:
    """Asked in UTC on Saturday 28 Mar 2026, the answer is 08:00 UTC on Monday (09:00 BST)."""
    answer = england.next_working_time(datetime(2026, 3, 28, 12, tzinfo=UTC), OPENS, CLOSES)
    assert answer == datetime(2026, 3, 30, 8, tzinfo=UTC)
    assert answer.tzinfo is UTC


def test_explain_shows_every_day_of_an_easter_deadline(england: WorkCalendar) -> None:
    """Five working days from Thu 2 Apr 2026 skip Good Friday, the weekends and Easter Monday."""
    rows = england.explain(received("2026-04-02T10:00"), 5)
    assert [(row.day.isoformat(), row.working_day, row.note) for row in rows] == [
        ("2026-04-02", None, "day of receipt (not counted)"),
        ("2026-04-03", None, "Good Friday"),
        ("2026-04-04", None, "Saturday"),
        ("2026-04-05", None, "Sunday"),
        ("2026-04-06", None, "Easter Monday"),
        ("2026-04-07", 1, "working day 1"),
        ("2026-04-08", 2, "working day 2"),
        ("2026-04-09", 3, "working day 3"),
        ("2026-04-10", 4, "working day 4"),
        ("2026-04-11", None, "Saturday"),
        ("2026-04-12", None, "Sunday"),
        ("2026-04-13", 5, "working day 5"),
    ]
    assert str(rows[1]) == "Fri 03 Apr 2026: Good Friday"


def test_explain_shows_a_message_received_after_the_cut_off() -> None:
    """A Friday 17:30 message is marked as after the cut-off and treated as received on Monday."""
    calendar = WorkCalendar(name="council", cutoff=FIVE_PM)
    rows = calendar.explain(received("2026-03-06T17:30"), 1)
    assert [row.note for row in rows] == [
        "received after the cut-off (not counted)",
        "Saturday",
        "Sunday",
        "day of receipt (not counted)",
        "working day 1",
    ]
    assert rows[-1].day == date(2026, 3, 10)


@pytest.mark.parametrize(
    ("when", "months", "due"),
    [
        ("2029-01-31T10:00", 1, "2029-02-28"),  # no 31 Feb: the month's last day, a Wednesday
        ("2028-01-31T10:00", 1, "2028-02-29"),  # leap year: Tue 29 Feb 2028
        ("2026-01-31T10:00", 1, "2026-03-02"),  # Sat 28 Feb 2026 is a weekend: Mon 2 Mar
        ("2026-09-03T10:00", 1, "2026-10-05"),  # ICO's example date; Sat 3 Oct → Mon 5 Oct
        ("2026-11-25T10:00", 1, "2026-12-29"),  # Christmas Day, weekend and substitute: Tue 29
        ("2026-03-08T10:00", 1, "2026-04-08"),  # received on a Sunday: still day 0
        ("2026-01-15T10:00", 3, "2026-04-15"),  # extended by two further months
        ("2026-05-31T23:30+00:00", 1, "2026-07-01"),  # 00:30 BST on 1 Jun is the receipt date
        ("2028-02-29T10:00", 12, "2029-02-28"),  # a year after a leap day
    ],
)
def test_subject_access_request_is_due_on_the_corresponding_day_next_month(
    england: WorkCalendar, when: str, months: int, due: str
) -> None:
    """UK GDPR art. 12(3): one calendar month, or a short month's last day, then a working day."""
    assert england.add_calendar_months(received(when), months) == date.fromisoformat(due)


def test_a_calendar_refuses_an_unknown_region_or_timezone() -> None:
    """A typo in a calendar's region or timezone is caught when the calendar is built."""
    with pytest.raises(CalendarError, match="unknown region 'ENGLAND'"):
        WorkCalendar(name="council", regions=("ENGLAND",))
    with pytest.raises(CalendarError, match="unknown timezone 'Europe/Londres'"):
        WorkCalendar(name="council", timezone="Europe/Londres")


def test_a_calendar_is_an_immutable_value(england: WorkCalendar) -> None:
    """Calendars cannot be changed after they are built, and equal settings make equal calendars."""
    with pytest.raises(dataclasses.FrozenInstanceError):
        england.name = "other"  # type: ignore[misc]
    assert england == WorkCalendar(name="england", regions=["ENG"])
    assert foi_calendar().regions == ("ENG", "SCT", "NIR")
