"""Digests of overdue deadlines: a mail each working day or each week to the managers named.

Each digest rule of the rules file has, per recipient, one pending ``notification`` row: its
next instant. When it falls due it is claimed like any notice, lists every deadline of the
council that has lapsed and is still running (most overdue first, each counted in working days
on its own calendar), and the next instant is planned. After downtime the one pending digest
goes out once, listing what is overdue now: no backlog of old digests.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from mailflow.letters import long_date
from mailflow.outbound.rows import STAFF_MAIL, domain_of, queue_mail
from mailflow.policy.council import CouncilPolicy
from mailflow.policy.reminder_rules import WEEKDAYS, Digest
from mailflow.schedule.mails import deadline_item
from mailflow.schedule.plans import for_update, load_with_ids
from mailflow.store.db import dialect_insert, session_scope
from mailflow.store.models import Contact, Deadline, Notification, table_of
from mailflow.store.vocab import ContactStatus, DeadlineStatus, NoticeKind, NoticeStatus
from mailflow.workflow.state import CaseState, DeadlineState

LISTED = 200
"""At most this many overdue deadlines are listed; the digest says how many more there are."""


def next_occurrence(policy: CouncilPolicy, rule: Digest, after: datetime) -> datetime:
    """The digest's first instant strictly after ``after``: each working day, or once a week
    on the rule's weekday (the next working day when the council is closed that day)."""
    cal = policy.calendar()
    zone = ZoneInfo(policy.rules.council.timezone)
    start = after.astimezone(zone).date()
    for offset in range(0, 400):
        day = start + timedelta(days=offset)
        if rule.every == "week":
            if day.weekday() != WEEKDAYS.index(rule.day):
                continue
            if not cal.is_working_day(day):
                day = cal.add_working_days(day, 1)
        elif not cal.is_working_day(day):
            continue
        at = datetime.combine(day, rule.at, tzinfo=zone)
        if at > after:
            return at
    raise AssertionError("a working-day calendar always has a next working day")


def digest_key(council: str, rule: str, role: str, at: datetime) -> str:
    """The unique key of one digest mail: council, rule, recipient role and instant."""
    return f"digest:{council}:{rule}:{role}:{at.timestamp():.0f}"


def ensure_planned(engine: Engine, policy: CouncilPolicy, *, now: datetime) -> None:
    """Give every digest recipient a pending next instant, and cancel digests no longer ruled."""
    rules = {r.name: r for r in policy.rules.reminders.digests}
    with session_scope(engine) as session:
        pending = session.exec(
            select(Notification).where(
                col(Notification.council) == policy.key,
                col(Notification.kind) == NoticeKind.DIGEST,
                col(Notification.status) == NoticeStatus.PENDING,
            )
        ).all()
        have = set()
        for row in pending:
            rule = rules.get(row.plan)
            if rule is None or row.recipient_role not in rule.to:
                row.status, row.reason = NoticeStatus.CANCELLED, "digest no longer in the rules"
                session.add(row)
            else:
                have.add((row.plan, row.recipient_role))
        for rule in rules.values():
            for role in rule.to:
                if (rule.name, role) not in have:
                    plan_next(session, policy, rule, role, after=now, now=now)


def plan_next(
    session: Session,
    policy: CouncilPolicy,
    rule: Digest,
    role: str,
    *,
    after: datetime,
    now: datetime,
) -> None:
    """Store the digest's next instant after ``after`` for one recipient (once, whoever plans)."""
    at = next_occurrence(policy, rule, after)
    person = policy.rules.directory.roles.get(role)
    table = table_of(Notification)
    statement = dialect_insert(session, table).values(
        council=policy.key,
        dedupe_key=digest_key(policy.key, rule.name, role, at),
        kind=NoticeKind.DIGEST,
        recipient_role=role,
        recipient_address=person.address if person else None,
        due_at=at,
        plan=rule.name,
        step=f"every {rule.day}" if rule.every == "week" else "every working day",
        status=NoticeStatus.PENDING,
        created_at=now,
    )
    session.exec(statement.on_conflict_do_nothing(index_elements=[table.c.dedupe_key]))


def send_due_digests(
    engine: Engine,
    policy: CouncilPolicy,
    *,
    holder: str,
    now: datetime,
    mailboxes: Mapping[str, str],
) -> int:
    """Claim the due digests, queue each (or skip an empty one), plan the next; returns mails."""
    rules = {r.name: r for r in policy.rules.reminders.digests}
    queued = 0
    with session_scope(engine) as session:
        query = select(Notification).where(
            col(Notification.council) == policy.key,
            col(Notification.kind) == NoticeKind.DIGEST,
            col(Notification.status) == NoticeStatus.PENDING,
            col(Notification.due_at) <= now,
        )
        rows = list(session.exec(for_update(session, query, of=Notification)))
        overdue: list[dict[str, Any]] | None = None
        total = 0
        for row in rows:
            rule = rules.get(row.plan)
            person = policy.rules.directory.roles.get(row.recipient_role)
            if rule is None or person is None:
                row.status, row.reason = NoticeStatus.CANCELLED, "digest no longer in the rules"
                session.add(row)
                continue
            if overdue is None:
                overdue, total = (
                    overdue_items(session, policy, now),
                    overdue_count(session, policy, now),
                )
            if not overdue and rule.when_empty == "skip":
                row.status, row.reason = NoticeStatus.SKIPPED, "nothing overdue"
            else:
                box = next(iter(policy.rules.council.mailboxes))
                mail = queue_mail(
                    session,
                    contact=None,
                    kind=STAFF_MAIL,
                    recipients=[person.address],
                    payload={
                        "purpose": "overdue_digest",
                        "template": "overdue_digest",
                        "context": _context(policy, rule, overdue, total, person.title, now),
                        "mailbox": box,
                    },
                    not_before=now,
                    domain=domain_of(mailboxes.get(box) or person.address),
                )
                row.status, row.outbox_message_id = NoticeStatus.SENT, mail.message_id
                queued += 1
            row.sent_at, row.claimed_by, row.recipient_address = now, holder, person.address
            session.add(row)
            plan_next(
                session, policy, rule, row.recipient_role, after=max(now, row.due_at), now=now
            )
    return queued


def _context(
    policy: CouncilPolicy,
    rule: Digest,
    overdue: list[dict[str, Any]],
    total: int,
    title: str,
    now: datetime,
) -> dict[str, Any]:
    today = now.astimezone(ZoneInfo(policy.rules.council.timezone)).date()
    return {
        "digest": rule.name,
        "every": "each working day" if rule.every == "working_day" else f"every {rule.day.title()}",
        "as_of": long_date(today),
        "overdue": overdue,
        "more": max(0, total - len(overdue)),
        "count": total,
        "recipient_title": title,
    }


def overdue_items(session: Session, policy: CouncilPolicy, now: datetime) -> list[dict[str, Any]]:
    """Running deadlines of the council that lapsed before ``now``, most overdue first (at most
    ``LISTED``), and how many there are in all."""
    today: date = now.astimezone(ZoneInfo(policy.rules.council.timezone)).date()
    lapsed = (
        col(Contact.council) == policy.key,
        col(Contact.status) != ContactStatus.CLOSED,
        col(Deadline.status) == DeadlineStatus.OPEN,
        col(Deadline.due_at) < now,
    )
    rows = session.exec(
        select(Deadline, Contact)
        .join(Contact, col(Contact.id) == col(Deadline.contact_id))
        .where(*lapsed)
        .order_by(col(Deadline.due_at), col(Deadline.id))
        .limit(LISTED)
    ).all()
    cases: dict[int, tuple[CaseState, dict[int, DeadlineState]]] = {}
    items: list[dict[str, Any]] = []
    for deadline, contact in rows:
        if (contact.id or 0) not in cases:
            cases[contact.id or 0] = load_with_ids(session, contact)
        state, by_id = cases[contact.id or 0]
        items.append(deadline_item(policy, state, by_id[deadline.id or 0], today=today))
    return items


def overdue_count(session: Session, policy: CouncilPolicy, now: datetime) -> int:
    """How many running deadlines of the council lapsed before ``now``."""
    query = (
        select(func.count())
        .select_from(Deadline)
        .join(Contact, col(Contact.id) == col(Deadline.contact_id))
        .where(
            col(Contact.council) == policy.key,
            col(Contact.status) != ContactStatus.CLOSED,
            col(Deadline.status) == DeadlineStatus.OPEN,
            col(Deadline.due_at) < now,
        )
    )
    return int(session.exec(query).one())
