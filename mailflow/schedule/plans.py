"""Keeping the notification table in step with the deadlines: plan, re-plan and cancel.

A deadline's notices are planned from its due instant, and ``deadline.notices_planned_for``
records which one. Whoever changes a deadline (the workflow meeting it, an officer's
``#extend``, a pause, a rules reload) needs to tell nobody: a running deadline whose due
instant differs from the one planned for, or a stopped one still marked as planned, is found
here and planned again. The database is the truth; this is the only writer of its plans.

Each batch is one transaction that locks the deadlines it re-plans (``FOR UPDATE SKIP LOCKED``
on PostgreSQL, SQLite's single writer), so two schedulers never plan the same deadline at once;
and every notice row is unique per (deadline, kind, recipient, instant), so a notice planned
twice is stored once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Engine, and_, func, or_
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from mailflow.policy.council import CouncilPolicy
from mailflow.store.cases import load_case
from mailflow.store.db import dialect_insert, session_scope
from mailflow.store.models import Contact, Deadline, Notification, table_of
from mailflow.store.vocab import DeadlineStatus, NoticeKind, NoticeStatus
from mailflow.workflow.reminders import Notice, plan_notices
from mailflow.workflow.state import CaseState, DeadlineState

BATCH = 25
ROUNDS = 8
T = TypeVar("T")


def dedupe_key(deadline_id: int, kind: str, role: str, due_at: datetime) -> str:
    """The key that makes a notice unique: deadline, kind, recipient role and instant (UTC)."""
    return f"deadline:{deadline_id}:{kind}:{role}:{due_at.timestamp():.0f}"


def for_update(session: Session, query: SelectOfScalar[T], *, of: Any) -> SelectOfScalar[T]:
    """``query`` locking ``of``'s rows and skipping locked ones, on PostgreSQL (SQLite holds its
    one write lock already: mailflow opens every transaction with ``BEGIN IMMEDIATE``)."""
    if session.get_bind().dialect.name == "postgresql":
        return query.with_for_update(skip_locked=True, of=of)
    return query


def stale() -> Any:
    """Deadlines whose notices are not planned from their current due instant and status."""
    planned = col(Deadline.notices_planned_for)
    running = col(Deadline.status) == DeadlineStatus.OPEN
    return or_(
        and_(running, or_(planned.is_(None), planned != col(Deadline.due_at))),
        and_(~running, planned.is_not(None)),
    )


def stale_count(engine: Engine, council: str) -> int:
    """How many of the council's deadlines wait to be planned."""
    with session_scope(engine) as session:
        query = (
            select(func.count())
            .select_from(Deadline)
            .join(Contact, col(Contact.id) == col(Deadline.contact_id))
            .where(col(Contact.council) == council, stale())
        )
        return int(session.exec(query).one())


def sync(
    engine: Engine,
    policy: CouncilPolicy,
    *,
    now: datetime,
    batch: int = BATCH,
    rounds: int = ROUNDS,
) -> int:
    """Plan the council's stale deadlines, at most ``batch`` per transaction and ``rounds``
    transactions per call, so the inbound pipeline and the outbox worker never wait long for
    SQLite's one writer (the rest is planned in the next round); returns how many were planned."""
    total = 0
    for _ in range(rounds):
        with session_scope(engine) as session:
            query = (
                select(Deadline)
                .join(Contact, col(Contact.id) == col(Deadline.contact_id))
                .where(col(Contact.council) == policy.key, stale())
                .order_by(col(Deadline.id))
                .limit(batch)
            )
            rows: list[Deadline] = list(session.exec(for_update(session, query, of=Deadline)))
            _replan_rows(session, policy, rows, now)
        total += len(rows)
        if len(rows) < batch:
            break
    return total


def load_with_ids(session: Session, contact: Contact) -> tuple[CaseState, dict[int, DeadlineState]]:
    """The case's state, and its deadlines by row id (rows and state pair by position)."""
    state = load_case(session, contact)
    ids = session.exec(
        select(Deadline.id).where(col(Deadline.contact_id) == contact.id).order_by(col(Deadline.id))
    ).all()
    return state, {i: d for i, d in zip(ids, state.deadlines, strict=True) if i is not None}


def _replan_rows(
    session: Session, policy: CouncilPolicy, rows: list[Deadline], now: datetime
) -> None:
    """Re-plan locked deadline rows (each case loaded once), then store the plans together."""
    cases: dict[int, tuple[CaseState, dict[int, DeadlineState]]] = {}
    wanted: dict[int, tuple[Notice, ...]] = {}
    for row in rows:
        assert row.id is not None
        if row.contact_id not in cases:
            contact = session.get(Contact, row.contact_id)
            assert contact is not None
            cases[row.contact_id] = load_with_ids(session, contact)
        state, by_id = cases[row.contact_id]
        running = row.status == DeadlineStatus.OPEN
        wanted[row.id] = plan_notices(policy, state, by_id[row.id], since=now) if running else ()
    replan(session, policy.key, rows, wanted, now=now)


def replan(
    session: Session,
    council: str,
    rows: list[Deadline],
    wanted: dict[int, tuple[Notice, ...]],
    *,
    now: datetime,
) -> None:
    """Make each deadline's pending notices exactly its ``wanted``; sent ones are never touched,
    cancelled ones wanted again are revived (one row per notice, whoever plans it)."""
    by_key = {
        dedupe_key(row.id or 0, n.kind, n.recipient.role, n.due_at): (row, n)
        for row in rows
        for n in wanted.get(row.id or 0, ())
    }
    by_id = {row.id: row for row in rows}
    pending = session.exec(
        select(Notification).where(
            col(Notification.deadline_id).in_(list(by_id)),
            col(Notification.status) == NoticeStatus.PENDING,
        )
    ).all()
    for old in pending:
        row = by_id[old.deadline_id]
        running = row.status == DeadlineStatus.OPEN
        # A notice already due for this very due instant is still owed (planned before a
        # downtime, say): only ``since`` keeps it out of ``wanted``.
        owed = running and old.deadline_due_at == row.due_at and old.due_at < now
        if old.dedupe_key not in by_key and not owed:
            old.status = NoticeStatus.CANCELLED
            old.reason = "deadline moved" if running else f"deadline {row.status}"
            session.add(old)
    if by_key:
        table = table_of(Notification)
        statement = dialect_insert(session, table).values(
            [_values(council, key, row, n, now) for key, (row, n) in by_key.items()]
        )
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.dedupe_key],
            set_={
                "status": NoticeStatus.PENDING,
                "reason": None,
                "deadline_due_at": statement.excluded.deadline_due_at,
            },
            where=table.c.status == NoticeStatus.CANCELLED,
        )
        session.exec(statement)
    for row in rows:
        row.notices_planned_for = row.due_at if row.status == DeadlineStatus.OPEN else None
        session.add(row)


def _values(council: str, key: str, row: Deadline, n: Notice, now: datetime) -> dict[str, Any]:
    """One notice as a ``notification`` row."""
    return {
        "council": council,
        "dedupe_key": key,
        "contact_id": row.contact_id,
        "deadline_id": row.id,
        "kind": NoticeKind(n.kind),
        "recipient_role": n.recipient.role,
        "recipient_address": n.recipient.address,
        "due_at": n.due_at,
        "deadline_due_at": row.due_at,
        "plan": n.plan,
        "step": n.when,
        "status": NoticeStatus.PENDING,
        "reason": None,
        "claimed_by": None,
        "sent_at": None,
        "outbox_message_id": None,
        "created_at": now,
    }


def next_due(engine: Engine, council: str) -> datetime | None:
    """The earliest instant a pending notice of the council falls due."""
    with session_scope(engine) as session:
        found: datetime | None = session.exec(
            select(func.min(Notification.due_at)).where(
                col(Notification.council) == council,
                col(Notification.status) == NoticeStatus.PENDING,
            )
        ).one()
    return found


def forget_plans(session: Session, council: str) -> int:
    """Mark every running deadline of the council for re-planning (the rules changed)."""
    rows = session.exec(
        select(Deadline)
        .join(Contact, col(Contact.id) == col(Deadline.contact_id))
        .where(col(Contact.council) == council, col(Deadline.status) == DeadlineStatus.OPEN)
    ).all()
    for row in rows:
        row.notices_planned_for = None
        session.add(row)
    return len(rows)
