"""Working-day calendars: UK bank holidays, closures and cut-offs, counted the FOI Act way."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import MAXYEAR, MINYEAR, UTC, date, datetime, time, timedelta
from typing import NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from mailflow.errors import CalendarError

REGIONS = ("ENG", "WLS", "SCT", "NIR")
"""The `holidays` subdivisions of the UK ("GB"); Wales shares England's bank holidays."""

_DAY = timedelta(days=1)
_WEEKEND = {5: "Saturday", 6: "Sunday"}


@dataclass(frozen=True, kw_only=True)
class ClosureDay:
    """A day the council is closed although it is not a bank holiday, with the reason to show."""

    day: date
    reason: str


@dataclass(frozen=True, kw_only=True)
class ExplainedDay:
    """One day in a deadline's workings: its date, the working-day number it counts as, and why."""

    day: date
    working_day: int | None
    note: str

    def __str__(self) -> str:
        return f"{self.day:%a %d %b %Y}: {self.note}"


@dataclass(frozen=True)
class _Year:
    """One year worked out once: holiday names (with their regions) and the working days."""

    holidays: dict[date, dict[str, list[str]]]
    working: list[int]  # proleptic ordinals of the working days, ascending
    working_set: frozenset[int]


@dataclass(frozen=True, kw_only=True)
class WorkCalendar:
    """A council's working days, and deadlines counted on them.

    A day is not a working day if it is a Saturday or Sunday, a bank holiday (substitute days
    included) in any of ``regions``, or one of ``closure_days``. Christmas Day and Good Friday are
    never working days whatever the regions say: they are common-law holidays throughout the UK
    and FOI Act 2000 s.10(6) names them. Deadlines follow the FOI Act s.10(1) convention: the day
    of receipt is not counted, and "within N working days" means by the end of working day N.
    A message received at or after ``cutoff`` (local time) on a working day counts as received
    on the next working day. Holidays are worked out per year on first use and kept.
    """

    name: str
    regions: Sequence[str] = ("ENG",)
    closure_days: Sequence[ClosureDay] = ()
    cutoff: time | None = None
    timezone: str = "Europe/London"
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _closures: dict[date, list[str]] = field(init=False, repr=False, compare=False)
    _years: dict[int, _Year] = field(init=False, repr=False, compare=False, default_factory=dict)

    def __post_init__(self) -> None:
        regions = (self.regions,) if isinstance(self.regions, str) else tuple(self.regions)
        for region in regions:
            if region not in REGIONS:
                self._fail(f"unknown region {region!r}; expected some of {', '.join(REGIONS)}")
        if self.cutoff is not None and self.cutoff.tzinfo is not None:
            self._fail(f"cutoff {self.cutoff} must be a local wall-clock time without a timezone")
        try:
            zone = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            self._fail(f"unknown timezone {self.timezone!r}")
        closures: dict[date, list[str]] = {}
        for closure in self.closure_days:
            closures.setdefault(closure.day, []).append(closure.reason)
        object.__setattr__(self, "regions", tuple(dict.fromkeys(regions)))
        object.__setattr__(self, "closure_days", tuple(self.closure_days))
        object.__setattr__(self, "_zone", zone)
        object.__setattr__(self, "_closures", closures)

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` counts as a working day on this calendar."""
        return day.toordinal() in self._year(day.year).working_set

    def why_not_working(self, day: date) -> str | None:
        """Why ``day`` is not a working day ("Saturday", "Good Friday", ...), or None if it is.

        Every reason that applies is given, joined by "; ". A holiday found in only some of the
        calendar's regions names them, e.g. "St Patrick's Day (NIR)".
        """
        reasons = [_WEEKEND[day.weekday()]] if day.weekday() in _WEEKEND else []
        for name, regions in self._year(day.year).holidays.get(day, {}).items():
            partial = len(regions) < len(self.regions)
            reasons.append(f"{name} ({', '.join(regions)})" if partial else name)
        reasons += [f"Council closure: {reason}" for reason in self._closures.get(day, [])]
        return "; ".join(reasons) or None

    def receipt_day(self, received: datetime) -> date:
        """The local date a message counts as received: the next working day if it came at or
        after the cut-off on a working day, otherwise the local date it arrived."""
        local = self._local(received, "receipt_day")
        day = local.date()
        if self.cutoff is not None and local.time() >= self.cutoff and self.is_working_day(day):
            return self.add_working_days(day, 1)
        return day

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day strictly after ``start`` (n > 0), strictly before it (n < 0), or
        ``start`` itself (n == 0). FOI Act s.10(1): working day 1 is the first after receipt."""
        if n == 0:
            return start
        year = start.year
        days = self._year(year).working
        if n > 0:
            i = bisect_right(days, start.toordinal()) + n - 1
            while i >= len(days):
                i -= len(days)
                year += 1
                days = self._year(year).working
        else:
            i = bisect_left(days, start.toordinal()) + n
            while i < 0:
                year -= 1
                days = self._year(year).working
                i += len(days)
        return date.fromordinal(days[i])

    def due_date(self, received: datetime, n: int) -> date:
        """The last day for something due "within n working days" of ``received``."""
        return self.add_working_days(self.receipt_day(received), n)

    def end_of_day(self, day: date) -> datetime:
        """The UTC instant at which local ``day`` ends (the next local midnight), BST or GMT."""
        return datetime.combine(day + _DAY, time(0), tzinfo=self._zone).astimezone(UTC)

    def working_days_between(self, start: date, end: date) -> int:
        """How many working days d have start < d <= end; when end < start, minus the number
        with end <= d < start, so that working_days_between(s, add_working_days(s, n)) == n."""
        if end < start:
            return -self._count_after(end - _DAY, start - _DAY)
        return self._count_after(start, end)

    def is_working_time(self, instant: datetime, opens: time, closes: time) -> bool:
        """Whether ``instant`` is on a working day, at or after ``opens`` and before ``closes``."""
        local = self._local(instant, "is_working_time")
        return self.is_working_day(local.date()) and opens <= local.time() < closes

    def next_working_time(self, instant: datetime, opens: time, closes: time) -> datetime:
        """The earliest instant at or after ``instant`` that is working time, in its timezone."""
        if not opens < closes:
            self._fail(f"next_working_time() needs opens before closes, got {opens}-{closes}")
        local = self._local(instant, "next_working_time")
        day = local.date()
        if self.is_working_day(day) and local.time() < closes:
            if local.time() >= opens:
                return instant
        else:
            day = self.add_working_days(day, 1)
        return datetime.combine(day, opens, tzinfo=self._zone).astimezone(instant.tzinfo)

    def explain(self, received: datetime, n: int) -> list[ExplainedDay]:
        """Every day from the local date of receipt to the due date, each counted or excused,
        so that a deadline can be shown to a complainant or an auditor day by day."""
        if n < 0:
            self._fail(f"explain() needs n >= 0 working days, got {n}")
        arrived = self._local(received, "explain").date()
        deemed = self.receipt_day(received)
        due = self.add_working_days(deemed, n)
        rows: list[ExplainedDay] = []
        count, day = 0, arrived
        while day <= due:
            number, why = None, self.why_not_working(day)
            if day == deemed:
                note = "day of receipt (not counted)" + (f"; {why}" if why else "")
            elif day == arrived:
                note = "received after the cut-off (not counted)"
            elif why is not None:
                note = why
            else:
                count = number = count + 1
                note = f"working day {count}"
            rows.append(ExplainedDay(day=day, working_day=number, note=note))
            day += _DAY
        return rows

    def add_calendar_months(self, received: datetime, months: int) -> date:
        """The due date of a subject access request (UK GDPR art. 12(3), ICO guidance).

        The day of receipt is day 0, whether or not it is a working day, and no cut-off applies;
        the due date is the same day of the month ``months`` later, or that month's last day when
        it is shorter; a due date that is not a working day moves on to the next working day.
        """
        start = self._local(received, "add_calendar_months").date()
        year, month0 = divmod(start.year * 12 + start.month - 1 + months, 12)
        day = min(start.day, _month_length(year, month0 + 1))
        due = date(year, month0 + 1, day)
        return due if self.is_working_day(due) else self.add_working_days(due, 1)

    def _count_after(self, start: date, end: date) -> int:
        """The number of working days d with start < d <= end, for start <= end."""
        low, high = start.toordinal(), end.toordinal()
        total = 0
        for year in range(start.year, end.year + 1):
            days = self._year(year).working
            total += bisect_right(days, high) - bisect_right(days, low)
        return total

    def _local(self, instant: datetime, where: str) -> datetime:
        if instant.tzinfo is None or instant.utcoffset() is None:
            self._fail(f"{where}() needs a timezone-aware datetime, not {instant.isoformat()}")
        return instant.astimezone(self._zone)

    def _year(self, year: int) -> _Year:
        if year not in self._years:
            self._years[year] = self._build_year(year)
        return self._years[year]

    def _build_year(self, year: int) -> _Year:
        if not MINYEAR < year < MAXYEAR:
            self._fail(f"year {year} is outside the calendar")
        named: dict[date, dict[str, list[str]]] = {}
        for region in self.regions:
            for day, names in _region_holidays(region, year).items():
                for name in names:
                    named.setdefault(day, {}).setdefault(name, []).append(region)
        # FOI Act s.10(6) excludes these two by name, whatever the bank-holiday lists say.
        named.setdefault(date(year, 12, 25), {"Christmas Day": list(self.regions)})
        named.setdefault(_easter_sunday(year) - 2 * _DAY, {"Good Friday": list(self.regions)})
        first = date(year, 1, 1).toordinal()
        working = [
            ordinal
            for ordinal in range(first, date(year, 12, 31).toordinal() + 1)
            if (day := date.fromordinal(ordinal)).weekday() < 5
            and day not in named
            and day not in self._closures
        ]
        if not working:
            self._fail(f"year {year} has no working days")
        return _Year(holidays=named, working=working, working_set=frozenset(working))

    def _fail(self, problem: str) -> NoReturn:
        raise CalendarError(f"working-day calendar {self.name!r}: {problem}")


def foi_calendar(*, timezone: str = "Europe/London") -> WorkCalendar:
    """The calendar of the Freedom of Information Act 2000 s.10(6).

    A "working day" there is any day other than a Saturday, a Sunday, Christmas Day, Good Friday
    or a bank holiday under the Banking and Financial Dealings Act 1971 in any part of the United
    Kingdom: England and Wales (one list), Scotland and Northern Ireland.
    """
    return WorkCalendar(name="foi", regions=("ENG", "SCT", "NIR"), timezone=timezone)


def _region_holidays(region: str, year: int) -> dict[date, list[str]]:
    """One region's holidays in ``year``, in gov.uk's words."""
    table = holidays.country_holidays("GB", subdiv=region, years=year)
    found: dict[date, list[str]] = {
        day: [_gov_uk_name(name) for name in table.get_list(day)]
        for day in table
        if day.year == year
    }
    return found


def _gov_uk_name(name: str) -> str:
    """gov.uk's wording: "(substitute day)" for `holidays`' "(observed)", "St" for "Saint"."""
    return name.replace("(observed)", "(substitute day)").replace("Saint ", "St ")


def _easter_sunday(year: int) -> date:
    """Western Easter Sunday by the anonymous Gregorian algorithm (Meeus, Jones and Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741 - the algorithm's own letter
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _month_length(year: int, month: int) -> int:
    following = date(year + month // 12, month % 12 + 1, 1)
    return (following - _DAY).day
