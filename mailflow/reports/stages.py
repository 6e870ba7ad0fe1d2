"""Counting stages in SQL: opened, escalated into, responded (with outcome) and still open.

A stage counts as *escalated into* when the same case has a record of the stage before it, so
a complaint that a special route starts at the Chief Executive's stage is not an escalation.
A response is the stage record's ``responded_at`` (set with the outcome when the officer
answers); a case is open at the cut unless it was closed by then (``closed_at``).
"""

from __future__ import annotations

from collections import Counter
from typing import NamedTuple

from sqlalchemy import Connection, and_, case, exists, func, select
from sqlalchemy.sql import ColumnElement, FromClause

from mailflow.reports.packing import driven
from mailflow.reports.scope import Scope, at
from mailflow.store.models import Contact, StageRecord, table_of
from mailflow.store.vocab import ContactStatus

CONTACT = table_of(Contact)
STAGE = table_of(StageRecord)


class StageFlow(NamedTuple):
    """A group of stage records opened or responded to in the period."""

    number: int
    opened: bool
    escalated: bool
    responded: bool
    outcome: str | None
    extensions: int


def flows(connection: Connection, scope: Scope) -> Counter[StageFlow]:
    """Stage records opened or responded to in the period, with outcome and extensions."""
    s, c = STAGE.c, CONTACT.c
    before = STAGE.alias("before")
    opened = scope.within(s.opened_at)
    responded = scope.within(s.responded_at)
    escalated = (before.c.id.is_not(None)).label("escalated")
    opened_flag = case((opened, 1), else_=0).label("opened")
    responded_flag = case((responded, 1), else_=0).label("responded")
    groups = (s.number, opened_flag, escalated, responded_flag, s.outcome, s.extensions)
    joined = STAGE.join(CONTACT, c.id == driven(s.contact_id, connection.dialect.name)).outerjoin(
        before, and_(before.c.contact_id == s.contact_id, before.c.number == s.number - 1)
    )
    query = (
        select(*groups, func.count())
        .select_from(joined)
        .where(c.council == scope.council, opened | responded)
        .group_by(*groups)
    )
    out: Counter[StageFlow] = Counter()
    for number, was_opened, was_escalated, was_responded, outcome, ext, n in connection.execute(
        query
    ):
        key = StageFlow(
            number=int(number),
            opened=bool(was_opened),
            escalated=bool(was_escalated),
            responded=bool(was_responded),
            outcome=str(outcome) if outcome else None,
            extensions=int(ext or 0),
        )
        out[key] += int(n)
    return out


def open_at(stage: FromClause, scope: Scope) -> ColumnElement[bool]:
    """The stage record was running at the cut: opened, not yet responded, not moved on."""
    s, later, cut = stage.c, STAGE.alias("later"), at(scope.cut)
    moved_on = exists().where(
        later.c.contact_id == s.contact_id, later.c.number > s.number, later.c.opened_at < cut
    )
    return (s.opened_at < cut) & (s.responded_at.is_(None) | (s.responded_at >= cut)) & ~moved_on


def contact_open_at(scope: Scope) -> ColumnElement[bool]:
    """The contact was not closed at the cut (a later reopening is not seen)."""
    c = CONTACT.c
    return (c.status != ContactStatus.CLOSED) | (c.closed_at >= at(scope.cut))


def open_stages(connection: Connection, scope: Scope) -> Counter[int]:
    """Cases at each stage at the cut: opened, not responded, not moved on, not closed."""
    s, c = STAGE.c, CONTACT.c
    query = (
        select(s.number, func.count())
        .select_from(STAGE.join(CONTACT, c.id == driven(s.contact_id, connection.dialect.name)))
        .where(c.council == scope.council, open_at(STAGE, scope), contact_open_at(scope))
        .group_by(s.number)
    )
    return Counter({int(number): int(n) for number, n in connection.execute(query)})
