"""Counting contacts in SQL: received by kind, channel and service; follow-ups; open by age.

Each function is one grouped query over the ``contact`` table (with ``message`` for follow-ups)
returning a ``Counter`` keyed by the grouped values: the database does the counting, Python only
ever sees a few hundred groups, whatever the number of contacts.
"""

from __future__ import annotations

from collections import Counter
from typing import NamedTuple

from sqlalchemy import Connection, exists, func, select

from mailflow.reports.daycount import DayCount
from mailflow.reports.packing import Dimension, driven, pack, rows, unpack
from mailflow.reports.scope import NOT_CUSTOMERS, Scope, at
from mailflow.reports.stages import STAGE, contact_open_at, open_at
from mailflow.store.models import Contact, Message, table_of
from mailflow.store.vocab import Avoidable, Channel, ContactKind, Direction, MessageStatus

CONTACT = table_of(Contact)
MESSAGE = table_of(Message)


class Received(NamedTuple):
    """A group of contacts received in one trend period."""

    bucket: int
    kind: str
    channel: str
    service: str | None
    avoidable: str | None
    is_case: bool


class OpenCase(NamedTuple):
    """A group of contacts still open at the cut, by working days since receipt."""

    kind: str
    is_case: bool
    stage: int | None
    age: int


def received(connection: Connection, scope: Scope) -> Counter[Received]:
    """Contacts received in each trend period by kind, channel, service, avoidable reason."""
    c = CONTACT.c
    found = rows(
        select(
            scope.bucket(c.received_at).label("bucket"),
            c.kind,
            c.channel,
            c.service,
            c.avoidable,
            c.is_case,
        ).where(c.council == scope.council, scope.in_trend(c.received_at))
    ).c
    dims = (
        Dimension(found.bucket, limit=len(scope.trend) - 1),
        Dimension(found.kind, values=tuple(ContactKind)),
        Dimension(found.channel, values=tuple(Channel)),
        Dimension(found.service, values=(*scope.policy.rules.directory.services, None)),
        Dimension(found.avoidable, values=(*Avoidable, None)),
        Dimension(found.is_case, flag=True),
    )
    key = pack(dims)
    query = select(key, func.count()).group_by(key)
    out: Counter[Received] = Counter()
    for packed, n in connection.execute(query):
        b, kind, channel, service, avoidable, is_case = unpack(packed, dims)
        out[Received(b, str(kind), str(channel), service, _text(avoidable), is_case)] += int(n)
    return out


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def follow_ups(connection: Connection, scope: Scope) -> Counter[int]:
    """Customers' further messages on an existing contact, per trend period.

    A contact's first message is recorded at the instant the contact is, so any later inbound
    message recorded against it is another approach by the customer (NI 14 counts each one).
    """
    m, c = MESSAGE.c, CONTACT.c
    bucket = scope.bucket(m.received_at).label("bucket")
    query = (
        select(bucket, func.count())
        .select_from(MESSAGE.join(CONTACT, c.id == driven(m.contact_id, connection.dialect.name)))
        .where(c.council == scope.council)
        .where(c.kind.not_in(NOT_CUSTOMERS))
        .where(m.direction == Direction.IN, m.status == MessageStatus.RECORDED)
        .where(m.received_at > c.received_at, scope.in_trend(m.received_at))
        .group_by(bucket)
    )
    return Counter({int(b): int(n) for b, n in connection.execute(query)})


def open_at_cut(
    connection: Connection, scope: Scope, days: DayCount, handled: tuple[str, ...]
) -> Counter[OpenCase]:
    """Contacts of the ``handled`` kinds open at the cut, by working days since receipt.

    A case of the complaints procedure is open while one of its stages is running: once the
    stage has been answered it waits only for the customer to escalate, which is not work owed.
    """
    c, stage = CONTACT.c, STAGE.alias("running")
    running = exists().where(stage.c.contact_id == c.id, open_at(stage, scope))
    day, joined = days.on("council", c.received_at)
    cut_ordinal = (
        select(days.table.c.ordinal)
        .where(days.table.c.calendar == "council", days.table.c.day == scope.cut_day)
        .scalar_subquery()
    )
    age = (cut_ordinal - days.received(day, c.received_at)).label("age")
    still_open = contact_open_at(scope) & (~c.is_case | running)
    groups = (c.kind, c.is_case, c.stage, age)
    query = (
        select(*groups, func.count())
        .select_from(CONTACT.outerjoin(day, joined))
        .where(c.council == scope.council, c.kind.in_(handled))
        .where(c.received_at < at(scope.cut), still_open)
        .group_by(*groups)
    )
    out: Counter[OpenCase] = Counter()
    for kind, is_case, stage, n_days, n in connection.execute(query):
        out[OpenCase(str(kind), is_case, stage, max(int(n_days or 0), 0))] += int(n)
    return out
