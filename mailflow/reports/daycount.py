"""Working days counted inside SQL, against a temporary table of per-day working-day ordinals.

Why a table and not Python: a quarterly report over a million contacts meets a few hundred
thousand closed deadlines, and fetching each (received, met) pair to count it in Python costs
more than the rest of the report together. Instead, for every calendar of the policy and every
local day from the oldest contact to the end of the period, ``report_workday`` holds

    ordinal       how many working days there are up to and including that day, and
    late_ordinal  the ordinal of the day a message counts as received if it came at or after
                  the calendar's cut-off (the next working day when the day is a working day),

worked out once by ``WorkCalendar`` itself, so SQL and the deadlines agree on every bank
holiday and closure day. The working days d with start < d <= end are then
``ordinal(end) - ordinal(start)``: two indexed look-ups per row, and the database groups the
counts into a small histogram (median and 90th percentile are read from it).

Instants are stored in UTC: PostgreSQL converts them to local days with ``timezone()``; SQLite
has no time zone database, so the UTC offset is chosen by a CASE over the zone's transitions
(from ``zoneinfo``) within the table's range.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Column,
    Connection,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    case,
    cast,
    func,
    literal,
)
from sqlalchemy.sql import ColumnElement, FromClause
from sqlalchemy.types import Time

from mailflow.policy.council import CouncilPolicy
from mailflow.store.columns import AwareDateTime

TABLE_NAME = "report_workday"
_DAY = timedelta(days=1)


def workday_table() -> Table:
    """The temporary table's shape, on a metadata of its own (never migrated)."""
    return Table(
        TABLE_NAME,
        MetaData(),
        Column("calendar", String(64), primary_key=True),
        Column("day", Date, primary_key=True),
        Column("ordinal", Integer, nullable=False),
        Column("late_ordinal", Integer, nullable=False),
        Column("cutoff_s", Integer, nullable=True),
        prefixes=["TEMPORARY"],
        # SQLite: the rows live in the primary key's own b-tree, so a look-up is one search,
        # not an index search and then a fetch of the row by its rowid.
        sqlite_with_rowid=False,
    )


def transitions(zone: ZoneInfo, first: date, last: date) -> list[tuple[datetime, int]]:
    """``(from_utc, offset_seconds)`` for each stretch of constant UTC offset over the days."""
    start = datetime.combine(first - _DAY, time(0), tzinfo=UTC)
    out = [(start, _offset(zone, start))]
    moment = start
    while moment.date() <= last + _DAY:
        following = moment + _DAY
        if _offset(zone, following) != out[-1][1]:
            low, high = moment, following  # the change lies in (low, high]
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                low, high = (middle, high) if _offset(zone, middle) == out[-1][1] else (low, middle)
            out.append((high.replace(microsecond=0), _offset(zone, following)))
        moment = following
    return out


def _offset(zone: ZoneInfo, instant: datetime) -> int:
    delta = instant.astimezone(zone).utcoffset()
    return int(delta.total_seconds()) if delta else 0


@dataclass(frozen=True)
class DayCount:
    """Expressions that place UTC instants on local days and count working days between them."""

    table: Table
    dialect: str
    timezone: str
    shifts: tuple[tuple[datetime, int], ...]
    cutoffs: bool
    """Whether any calendar has a cut-off (else the time of day never matters)."""

    def _shift(self, instant: ColumnElement[Any]) -> ColumnElement[Any]:
        """SQLite: the ``datetime()`` modifier that moves a UTC instant to local time."""
        whens = [
            (instant < literal(start, AwareDateTime()), f"{before:+d} seconds")
            for (_, before), (start, _) in zip(self.shifts, self.shifts[1:], strict=False)
        ]
        last = f"{self.shifts[-1][1]:+d} seconds"
        return case(*whens, else_=literal(last)) if whens else literal(last)

    def local_date(self, instant: ColumnElement[Any]) -> ColumnElement[Any]:
        """The local calendar day of a UTC instant."""
        if self.dialect == "postgresql":
            return cast(func.timezone(self.timezone, instant), Date)
        return func.date(instant, self._shift(instant))

    def seconds_of_day(self, instant: ColumnElement[Any]) -> ColumnElement[Any]:
        """Seconds since local midnight, for comparing with a calendar's cut-off."""
        if self.dialect == "postgresql":
            return cast(
                func.extract("epoch", cast(func.timezone(self.timezone, instant), Time)), Integer
            )
        local = func.datetime(instant, self._shift(instant))
        return cast(func.strftime("%s", local), Integer) % 86400

    def on(self, calendar: Any, instant: ColumnElement[Any]) -> tuple[FromClause, Any]:
        """A fresh alias of the table and the condition joining it to ``instant``'s local day."""
        alias = self.table.alias()
        return alias, and_(alias.c.calendar == calendar, alias.c.day == self.local_date(instant))

    @staticmethod
    def at_least_none(days: ColumnElement[Any]) -> ColumnElement[Any]:
        """A count of working days, never below zero: an answer given after the cut-off on the
        day of receipt, or before the next working day, took no working day at all."""
        return case((days < 0, 0), else_=days)

    def received(self, alias: FromClause, instant: ColumnElement[Any]) -> ColumnElement[Any]:
        """The ordinal of the day ``instant`` counts as received on (the cut-off applied)."""
        if not self.cutoffs:
            return alias.c.ordinal
        late = and_(alias.c.cutoff_s.is_not(None), self.seconds_of_day(instant) >= alias.c.cutoff_s)
        return case((late, alias.c.late_ordinal), else_=alias.c.ordinal)


def day_rows(policy: CouncilPolicy, first: date, last: date) -> Iterator[dict[str, Any]]:
    """The table's rows: every calendar of the policy, every day from ``first`` to ``last``."""
    for name, calendar in policy.calendars.items():
        cutoff = calendar.cutoff
        cutoff_s = (
            None if cutoff is None else cutoff.hour * 3600 + cutoff.minute * 60 + cutoff.second
        )
        ordinal, day = 0, first
        while day <= last:
            working = calendar.is_working_day(day)
            ordinal += working
            yield {
                "calendar": name,
                "day": day,
                "ordinal": ordinal,
                "late_ordinal": ordinal + 1 if working else ordinal,
                "cutoff_s": cutoff_s,
            }
            day += _DAY


@contextmanager
def day_count(
    connection: Connection, policy: CouncilPolicy, first: date, last: date
) -> Iterator[DayCount]:
    """Fill the temporary table for ``first``..``last`` on ``connection``; drop it afterwards."""
    table = workday_table()
    table.drop(connection, checkfirst=True)
    table.create(connection)
    try:
        connection.execute(table.insert(), list(day_rows(policy, first, last)))
        dialect = connection.dialect.name
        if dialect == "postgresql":
            connection.exec_driver_sql(f"ANALYZE {TABLE_NAME}")
        zone = policy.rules.council.timezone
        shifts = tuple(transitions(ZoneInfo(zone), first, last))
        cutoffs = any(c.cutoff is not None for c in policy.calendars.values())
        yield DayCount(table=table, dialect=dialect, timezone=zone, shifts=shifts, cutoffs=cutoffs)
    finally:
        table.drop(connection, checkfirst=True)
