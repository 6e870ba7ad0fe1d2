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

Planning is set-based, because a daemon's first start on a large council, or a rules reload,
re-plans every open deadline at once (``bench/open_work.py`` measures 100,000): a batch of 500
reads on from the last by id, reads its cases in three queries (contacts, stages, deadlines) as
plain rows, its pending notices in one, writes its new notices as one executemany
``INSERT ... ON CONFLICT (dedupe_key)`` whose compiled form is cached, and marks its deadlines
planned in two UPDATEs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Engine, and_, func, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from mailflow.policy.council import CouncilPolicy
from mailflow.store.cases import case_state, load_case
from mailflow.store.db import dialect_insert, session_scope
from mailflow.store.models import Contact, Deadline, Notification, StageRecord, table_of
from mailflow.store.vocab import DeadlineStatus, NoticeKind, NoticeStatus
from mailflow.workflow.reminders import Instants, Notice, plan_notices
from mailflow.workflow.state import CaseState, DeadlineState

BATCH = 500  # deadlines per transaction: SQLite's writer is held for a fraction of a second
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
    total, after = 0, 0
    for _ in range(rounds):
        with session_scope(engine) as session:
            query = (
                select(Deadline)
                .join(Contact, col(Contact.id) == col(Deadline.contact_id))
                .where(col(Contact.council) == policy.key, stale(), col(Deadline.id) > after)
                .order_by(col(Deadline.id))
                .limit(batch)
            )
            rows: list[Deadline] = list(session.exec(for_update(session, query, of=Deadline)))
            _replan_rows(session, policy, rows, now)
        total += len(rows)
        if len(rows) < batch:
            break
        after = rows[-1].id or after  # keyset: each batch reads on from the last, no rescans
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
    """Re-plan locked deadline rows (their cases read together), then store the plans."""
    cases = load_many(session, {row.contact_id for row in rows})
    wanted: dict[int, tuple[Notice, ...]] = {}
    instants: Instants = {}
    for row in rows:
        assert row.id is not None
        state, by_id = cases[row.contact_id]
        if row.status != DeadlineStatus.OPEN:
            wanted[row.id] = ()
            continue
        wanted[row.id] = plan_notices(policy, state, by_id[row.id], since=now, instants=instants)
    replan(session, policy.key, rows, wanted, now=now)


def load_many(
    session: Session, contact_ids: set[int]
) -> dict[int, tuple[CaseState, dict[int, DeadlineState]]]:
    """``load_with_ids`` for many cases in three queries.

    The rows are read as plain rows (the ORM's identity map and change tracking cost more
    than the reading), which carry the same column attributes ``case_state`` reads.
    """
    ids = sorted(contact_ids)
    db = session.connection()
    contact_t, stage_t, deadline_t = (table_of(m) for m in (Contact, StageRecord, Deadline))
    contacts: list[Any] = list(db.execute(sa_select(contact_t).where(contact_t.c.id.in_(ids))))
    stages: dict[int, list[Any]] = {i: [] for i in ids}
    query = sa_select(stage_t).where(stage_t.c.contact_id.in_(ids)).order_by(stage_t.c.id)
    for s in db.execute(query):
        stages[s.contact_id].append(s)
    deadlines: dict[int, list[Any]] = {i: [] for i in ids}
    query = sa_select(deadline_t).where(deadline_t.c.contact_id.in_(ids)).order_by(deadline_t.c.id)
    for d in db.execute(query):
        deadlines[d.contact_id].append(d)
    out: dict[int, tuple[CaseState, dict[int, DeadlineState]]] = {}
    for contact in contacts:
        rows = deadlines[contact.id]
        state = case_state(contact, stages[contact.id], rows)
        by_id = {r.id: d for r, d in zip(rows, state.deadlines, strict=True)}
        out[contact.id] = (state, by_id)
    return out


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
    # Every notice of these deadlines (a handful each), the pending ones picked out here: asked
    # for ``status = 'pending'`` too, PostgreSQL before its first ANALYZE of a filling table
    # (a first start, a rules reload) took the status index and read every pending notice for
    # each batch, 0.5 s a batch at 100,000 cases.
    mine = session.exec(
        select(Notification).where(col(Notification.deadline_id).in_(list(by_id)))
    ).all()
    pending = [n for n in mine if n.status == NoticeStatus.PENDING]
    for old in pending:
        row = by_id[old.deadline_id]
        running = row.status == DeadlineStatus.OPEN
        # A notice already due for this very due instant is still owed (planned before a
        # downtime, say, or deferred by the staff cap: it has a reason): only ``since`` keeps
        # it out of ``wanted``.
        late = old.due_at < now or old.reason is not None
        owed = running and old.deadline_due_at == row.due_at and late
        if old.dedupe_key not in by_key and not owed:
            old.status = NoticeStatus.CANCELLED
            old.reason = "deadline moved" if running else f"deadline {row.status}"
            session.add(old)
    db = session.connection()
    if by_key:
        table = table_of(Notification)
        statement = dialect_insert(session, table)
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.dedupe_key],
            set_={
                "status": NoticeStatus.PENDING,
                "reason": None,
                "deadline_due_at": statement.excluded.deadline_due_at,
            },
            where=table.c.status == NoticeStatus.CANCELLED,
        )
        values = [_values(council, key, row, n, now) for key, (row, n) in by_key.items()]
        db.execute(statement, values)  # executemany: compiled once, cached (psycopg pipelines it)
    # Which due instant each deadline is planned for: two set-based UPDATEs, not one a row.
    deadline = table_of(Deadline)
    open_ids = [row.id for row in rows if row.status == DeadlineStatus.OPEN]
    stopped_ids = [row.id for row in rows if row.status != DeadlineStatus.OPEN]
    if open_ids:
        planned_for = {"notices_planned_for": deadline.c.due_at}
        db.execute(update(deadline).where(deadline.c.id.in_(open_ids)).values(planned_for))
    if stopped_ids:
        db.execute(
            update(deadline).where(deadline.c.id.in_(stopped_ids)).values(notices_planned_for=None)
        )
    for row in rows:  # the loaded rows say the same, without a write of their own
        value = row.due_at if row.status == DeadlineStatus.OPEN else None
        set_committed_value(row, "notices_planned_for", value)


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
