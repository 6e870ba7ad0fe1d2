"""What the retention schedule says has expired: pure functions of rows, policy and ``now``.

A record is kept for its period counted from the local day its contact closed (or, for mail
nothing is ever done with, the day it arrived), that day included in nothing: a complaint
closed on 10 March 2026 with ``years: 6`` is kept until the end of 10 March 2032 and expires
on 11 March 2032. Years and months are calendar ones; 29 February plus a year is 28 February.
A contact under legal hold, still open (unless its period runs from receipt), or already
anonymised never expires. Quarantined mail ``until_reviewed`` expires only once it has been
reviewed (its status is no longer ``quarantined``), then as automatic mail does.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from mailflow.policy.retention_rules import Period, Retention


@dataclass(frozen=True, kw_only=True)
class ContactRow:
    """The facts of a stored contact that retention looks at."""

    id: int
    reference: str
    kind: str
    status: str
    received_at: datetime
    closed_at: datetime | None
    legal_hold: bool
    anonymised: bool


@dataclass(frozen=True, kw_only=True)
class MailRow:
    """A stored message on no contact: automatic mail, a bounce, or quarantined mail."""

    id: int
    status: str
    received_at: datetime


@dataclass(frozen=True, kw_only=True)
class Expired:
    """A record whose retention period is over: what it is and the last day it was kept."""

    id: int
    reference: str | None
    kind: str
    kept_until: date


def add_period(start: date, period: Period) -> date:
    """``start`` plus the period's years, then months (clamped to the month's end), then days."""
    months = start.month - 1 + period.months + 12 * period.years
    year, month = start.year + months // 12, months % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day) + timedelta(days=period.days)


def kept_until(start: datetime, period: Period, tz: ZoneInfo) -> date:
    """The last local day a record counted from ``start`` is kept."""
    return add_period(start.astimezone(tz).date(), period)


def expired_contacts(
    retention: Retention, rows: Iterable[ContactRow], now: datetime, tz: ZoneInfo
) -> list[Expired]:
    """The contacts whose period ended before today (local), in the order given."""
    today = now.astimezone(tz).date()
    out: list[Expired] = []
    for row in rows:
        if row.legal_hold or row.anonymised:
            continue
        period = retention.for_kind(row.kind)
        if period.counted_from == "receipt":
            start: datetime | None = row.received_at
        else:
            start = row.closed_at if row.status == "closed" else None
        if start is None:
            continue
        last = kept_until(start, period, tz)
        if last < today:
            out.append(Expired(id=row.id, reference=row.reference, kind=row.kind, kept_until=last))
    return out


def expired_mail(
    retention: Retention, rows: Iterable[MailRow], now: datetime, tz: ZoneInfo
) -> list[Expired]:
    """The messages on no contact whose period ended before today (local)."""
    today = now.astimezone(tz).date()
    out: list[Expired] = []
    for row in rows:
        if row.status == "quarantined":
            if isinstance(retention.quarantined, str):
                continue  # until reviewed: a person must look at it first
            period, kind = retention.quarantined, "quarantined"
        else:
            period, kind = retention.automatic, "automatic"
        last = kept_until(row.received_at, period, tz)
        if last < today:
            out.append(Expired(id=row.id, reference=None, kind=kind, kept_until=last))
    return out
