"""Counting deadlines in SQL: the promises kept in the period, how fast, and those overdue.

``answered`` groups the deadlines met in the period by what they were for and by the working
days they took, so the median, the 90th percentile and "within n working days" are all read
from a small histogram. A deadline's clock starts where the stage started (the contact's receipt
at its first stage, the escalation at a later one) or, for a clock the rules start at the
acknowledgement, when the acknowledgement went out; the first day is not counted and a message
after the calendar's cut-off counts from the next working day (FOI Act s.10(1), as
``WorkCalendar`` counts). In time means met by the instant the deadline lapsed (``met_at <=
due_at``), extended dates included.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, NamedTuple

from sqlalchemy import Connection, and_, case, func, select

from mailflow.reports.daycount import DayCount
from mailflow.reports.packing import Dimension, driven, pack, rows, scanned, unpack
from mailflow.reports.scope import Scope, at
from mailflow.store.models import Contact, Deadline, StageRecord, table_of
from mailflow.store.vocab import (
    Channel,
    ContactKind,
    DeadlineBasis,
    DeadlinePurpose,
    DeadlineStatus,
)

CONTACT = table_of(Contact)
DEADLINE = table_of(Deadline)
STAGE = table_of(StageRecord)
MAX_DAYS = 999
"""Working days beyond which a count is shown as this many (a year and more)."""
MAX_STAGE = 9
STOPPED = (DeadlineStatus.CANCELLED.value, DeadlineStatus.PAUSED.value)


class Answered(NamedTuple):
    """A group of deadlines met in the period."""

    kind: str
    channel: str
    is_case: bool
    stage: int | None
    purpose: str
    in_time: bool
    extended: bool
    days: int | None
    """Working days from the clock's start to the day it was met."""
    since_acknowledgement: int | None
    """Working days from the stage's acknowledgement to the day it was met (responses only)."""


class Overdue(NamedTuple):
    """A group of deadlines lapsed and not met at the cut."""

    kind: str
    channel: str
    is_case: bool
    stage: int | None
    purpose: str


def answered(connection: Connection, scope: Scope, days: DayCount) -> Counter[Answered]:
    """Deadlines met in the period, by purpose, stage, timeliness and working days taken."""
    d, c, s = DEADLINE.c, CONTACT.c, STAGE.c
    opened = func.coalesce(s.opened_at, c.received_at)
    start = case(
        (d.basis == DeadlineBasis.ACKNOWLEDGEMENT, func.coalesce(s.acknowledged_at, opened)),
        else_=opened,
    )
    w_start, on_start = days.on(d.calendar, start)
    w_met, on_met = days.on(d.calendar, d.met_at)
    w_ack, on_ack = days.on(d.calendar, s.acknowledged_at)
    responding = d.purpose == DeadlinePurpose.RESPOND
    # A stage's date also moves while its clock is paused for the customer: only the stage
    # record's count says it was extended. Other contacts have no pause, so a move is one.
    extended = case((s.id.is_not(None), s.extensions > 0), else_=d.due_date != d.original_due_date)
    joined = (
        DEADLINE.join(CONTACT, c.id == driven(d.contact_id, connection.dialect.name))
        .outerjoin(STAGE, and_(s.contact_id == d.contact_id, s.number == d.stage))
        .outerjoin(w_start, on_start)
        .outerjoin(w_met, on_met)
        .outerjoin(w_ack, on_ack)
    )
    found = rows(
        select(
            *_what(c, d),
            (d.met_at <= d.due_at).label("in_time"),
            extended.label("extended"),
            (w_met.c.ordinal - days.received(w_start, start)).label("taken"),
            case((responding, w_met.c.ordinal - w_ack.c.ordinal), else_=None).label("since_ack"),
        )
        .select_from(joined)
        .where(c.council == scope.council)
        .where(scanned(d.status, connection.dialect.name) == DeadlineStatus.MET.value)
        .where(scope.within(d.met_at))
    ).c
    dims = (
        *_what_dimensions(found),
        Dimension(found.in_time, flag=True),
        Dimension(found.extended, flag=True),
        Dimension(days.at_least_none(found.taken), limit=MAX_DAYS),
        Dimension(days.at_least_none(found.since_ack), limit=MAX_DAYS),
    )
    key = pack(dims)
    out: Counter[Answered] = Counter()
    for packed, n in connection.execute(select(key, func.count()).group_by(key)):
        kind, channel, is_case, stage, purpose, ok, ext, taken, since = unpack(packed, dims)
        group = Answered(
            str(kind), str(channel), is_case, stage, str(purpose), ok, ext, taken, since
        )
        out[group] += int(n)
    return out


def _what(c: Any, d: Any) -> tuple[Any, ...]:
    """What a deadline was for: the contact's kind, channel and case, the stage, the purpose."""
    return (c.kind, c.channel, c.is_case, d.stage, d.purpose)


def _what_dimensions(found: Any) -> tuple[Dimension, ...]:
    """Those five values as packed dimensions."""
    return (
        Dimension(found.kind, values=tuple(ContactKind)),
        Dimension(found.channel, values=tuple(Channel)),
        Dimension(found.is_case, flag=True),
        Dimension(found.stage, limit=MAX_STAGE),
        Dimension(found.purpose, values=tuple(DeadlinePurpose)),
    )


def overdue(connection: Connection, scope: Scope) -> Counter[Overdue]:
    """Deadlines that had lapsed unmet at the cut (cancelled and paused clocks left out)."""
    d, c = DEADLINE.c, CONTACT.c
    cut = at(scope.cut)
    found = rows(
        select(*_what(c, d))
        .select_from(DEADLINE.join(CONTACT, c.id == driven(d.contact_id, connection.dialect.name)))
        .where(c.council == scope.council)
        .where(scanned(d.due_at, connection.dialect.name) < cut)
        .where(d.met_at.is_(None) | (d.met_at >= cut))
        .where(scanned(d.status, connection.dialect.name).not_in(STOPPED))
    ).c
    dims = _what_dimensions(found)
    key = pack(dims)
    out: Counter[Overdue] = Counter()
    for packed, n in connection.execute(select(key, func.count()).group_by(key)):
        kind, channel, is_case, stage, purpose = unpack(packed, dims)
        out[Overdue(str(kind), str(channel), is_case, stage, str(purpose))] += int(n)
    return out
