"""Reporting periods: a month (``2026-11``), a quarter (``2026-Q3``), a year or a date range.

A period is a run of whole local days in the council's time zone; the instants it covers run
from local midnight on its first day to local midnight after its last, so a contact received at
00:30 BST on 1 July belongs to July although it is still 30 June in UTC. ``earlier(n)`` gives the
periods before it, of the same kind, for the trend over the last periods.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from mailflow.errors import PolicyError
from mailflow.letters.context import MONTHS as MONTH_NAMES

PeriodKind = Literal["month", "quarter", "year", "range"]
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$", re.IGNORECASE)
_YEAR = re.compile(r"^(\d{4})$")
TREND_LENGTH: dict[PeriodKind, int] = {"month": 6, "quarter": 4, "year": 3, "range": 4}
"""How many periods (this one included) the trend tables and charts cover."""


@dataclass(frozen=True, kw_only=True)
class Period:
    """Whole local days ``first`` to ``last`` inclusive, of one kind, named by ``key``."""

    kind: PeriodKind
    first: date
    last: date
    key: str

    @property
    def label(self) -> str:
        """The period as a reader says it: "November 2026", "July to September 2026 (Q3)"."""
        if self.kind == "month":
            return f"{MONTH_NAMES[self.first.month - 1]} {self.first.year}"
        if self.kind == "quarter":
            start, end = MONTH_NAMES[self.first.month - 1], MONTH_NAMES[self.last.month - 1]
            return f"{start} to {end} {self.first.year} (Q{(self.first.month + 2) // 3})"
        if self.kind == "year":
            return f"January to December {self.first.year}"
        return f"{self.first:%-d %B %Y} to {self.last:%-d %B %Y}"

    @property
    def short(self) -> str:
        """The period in a few characters, for trend rows and chart axes: "Nov 2026", "Q3 2026"."""
        if self.kind == "month":
            return f"{MONTH_NAMES[self.first.month - 1][:3]} {self.first.year}"
        if self.kind == "quarter":
            return f"Q{(self.first.month + 2) // 3} {self.first.year}"
        if self.kind == "year":
            return str(self.first.year)
        return f"{self.first:%-d %b} to {self.last:%-d %b %Y}"

    def start(self, timezone: str) -> datetime:
        """The first instant of the period, in UTC."""
        return _midnight(self.first, timezone)

    def end(self, timezone: str) -> datetime:
        """The first instant after the period, in UTC."""
        return _midnight(self.last + timedelta(days=1), timezone)

    def earlier(self, count: int) -> list[Period]:
        """The ``count`` periods before this one, oldest first, of the same kind and length."""
        out: list[Period] = []
        current = self
        for _ in range(count):
            current = current.previous()
            out.insert(0, current)
        return out

    def previous(self) -> Period:
        """The period just before this one."""
        if self.kind in ("month", "quarter"):
            months = 1 if self.kind == "month" else 3
            year, month0 = divmod(self.first.year * 12 + self.first.month - 1 - months, 12)
            return _months(year, month0 + 1, months, self.kind)
        if self.kind == "year":
            return parse_period(str(self.first.year - 1))
        length = self.last - self.first
        last = self.first - timedelta(days=1)
        return range_period(last - length, last)

    def contains(self, day: date) -> bool:
        """Whether local ``day`` falls in the period."""
        return self.first <= day <= self.last


def _midnight(day: date, timezone: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def _months(year: int, month: int, count: int, kind: PeriodKind) -> Period:
    first = date(year, month, 1)
    end_year, end_month0 = divmod(year * 12 + month - 1 + count, 12)
    last = date(end_year, end_month0 + 1, 1) - timedelta(days=1)
    key = f"{year}-{month:02d}" if kind == "month" else f"{year}-Q{(month + 2) // 3}"
    return Period(kind=kind, first=first, last=last, key=key)


def range_period(first: date, last: date) -> Period:
    """The local days ``first`` to ``last`` inclusive."""
    if last < first:
        raise PolicyError(f"report period: {last} is before {first}")
    return Period(kind="range", first=first, last=last, key=f"{first}_to_{last}")


def parse_period(text: str) -> Period:
    """``2026-11`` (a month), ``2026-Q3`` (a quarter) or ``2026`` (a year)."""
    value = text.strip()
    if match := _MONTH.match(value):
        year, month = int(match[1]), int(match[2])
        if not 1 <= month <= 12:
            raise PolicyError(f"report period {text!r}: there is no month {month}")
        return _months(year, month, 1, "month")
    if match := _QUARTER.match(value):
        return _months(int(match[1]), 3 * int(match[2]) - 2, 3, "quarter")
    if match := _YEAR.match(value):
        year = int(match[1])
        return Period(kind="year", first=date(year, 1, 1), last=date(year, 12, 31), key=str(year))
    raise PolicyError(
        f"report period {text!r}: expected a month (2026-11), a quarter (2026-Q3) or a year (2026)"
    )


def last_finished(kind: PeriodKind, now: datetime, timezone: str) -> Period:
    """The latest month, quarter or year that ended before ``now`` (local time)."""
    today = now.astimezone(ZoneInfo(timezone)).date()
    if kind == "month":
        current = parse_period(f"{today.year}-{today.month:02d}")
    elif kind == "quarter":
        current = parse_period(f"{today.year}-Q{(today.month + 2) // 3}")
    elif kind == "year":
        current = parse_period(str(today.year))
    else:
        raise PolicyError(
            "a date range has no 'last finished' period: give a month, quarter or year"
        )
    return current.previous()
