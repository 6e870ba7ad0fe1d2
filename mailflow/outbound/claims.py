"""The outbox worker's transactions: claim due rows, read what a mail needs, record outcomes.

Each function is one short transaction (``session_scope``); the worker runs them in a thread so
the event loop keeps serving the mailbox watchers. Claiming is safe with several workers:
PostgreSQL skips rows another transaction has locked (``FOR UPDATE SKIP LOCKED``), SQLite lets
one writer in at a time (mailflow opens every transaction with ``BEGIN IMMEDIATE``). A claim is
a lease: a worker that dies leaves its rows to be taken again once ``claimed_until`` passes.

A worker's round costs three transactions whatever its size: ``claim_due``, ``load_jobs`` and
``record_round`` (each outcome in its own savepoint), because a commit (an fsync on SQLite)
per mail was most of what sending cost.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, func, or_
from sqlalchemy.sql import Select
from sqlmodel import Session, col, select

from mailflow.errors import MailError, NotFound
from mailflow.outbound.compose import RenderedLetter
from mailflow.outbound.context import CaseTexts
from mailflow.outbound.rows import (
    CUSTOMER_MAIL,
    SENT_COPY,
    STAFF_MAIL,
    domain_of,
    queue_mail,
    sent_copy_row,
)
from mailflow.store.blobs import BlobStore
from mailflow.store.cases import load_case
from mailflow.store.db import session_scope
from mailflow.store.models import Contact, Letter, Message, Outbox
from mailflow.store.repo import add_audit, save_blob
from mailflow.store.vocab import Direction, OutboxStatus
from mailflow.workflow.state import CaseState

log = logging.getLogger(__name__)
ACTOR = "outbox"
AfterSend = Callable[[Session, Outbox, datetime], None]


@dataclass(frozen=True, kw_only=True)
class Job:
    """A claimed mail row with what composing it needs."""

    row: Outbox
    state: CaseState | None
    texts: CaseTexts
    sent_today: int


def _for_update(session: Session, query: Select[Any], *, skip_locked: bool = False) -> Any:
    """``query`` locking its rows on PostgreSQL; SQLite already holds the write lock."""
    if session.get_bind().dialect.name == "postgresql":
        return query.with_for_update(skip_locked=skip_locked)
    return query


def claim_due(
    engine: Engine,
    *,
    kinds: Sequence[str],
    holder: str,
    now: datetime,
    lease: timedelta,
    batch: int,
) -> list[Outbox]:
    """Claim up to ``batch`` due rows: pending and due, or claimed by a lease that expired."""
    with session_scope(engine) as session:
        due = or_(
            and_(col(Outbox.status) == OutboxStatus.PENDING, col(Outbox.not_before) <= now),
            and_(col(Outbox.status) == OutboxStatus.CLAIMED, col(Outbox.claimed_until) < now),
        )
        query = (
            select(Outbox)
            .where(col(Outbox.kind).in_(kinds), due)
            .order_by(col(Outbox.not_before), col(Outbox.id))
            .limit(batch)
        )
        rows: list[Outbox] = list(session.exec(_for_update(session, query, skip_locked=True)))
        for row in rows:
            row.status, row.claimed_by, row.claimed_until = (
                OutboxStatus.CLAIMED,
                holder,
                now + lease,
            )
            session.add(row)
    return rows


def next_due(engine: Engine, *, kinds: Sequence[str]) -> datetime | None:
    """The earliest instant a row of ``kinds`` becomes due (or its claim lapses)."""
    with session_scope(engine) as session:
        pending = session.exec(
            select(func.min(Outbox.not_before)).where(
                col(Outbox.kind).in_(kinds), col(Outbox.status) == OutboxStatus.PENDING
            )
        ).one()
        claimed = session.exec(
            select(func.min(Outbox.claimed_until)).where(
                col(Outbox.kind).in_(kinds), col(Outbox.status) == OutboxStatus.CLAIMED
            )
        ).one()
    found = [t for t in (pending, claimed) if t is not None]
    return min(found) if found else None


def load_jobs(engine: Engine, rows: Sequence[Outbox], *, now: datetime) -> list[Job | Exception]:
    """What composing each mail row needs, read in one transaction for the whole batch.

    A row whose case is gone gets its error in its place, so the others still go.
    """
    jobs: list[Job | Exception] = []
    counts: dict[str, int] = {}
    with session_scope(engine) as session:
        for row in rows:
            try:
                jobs.append(_job(session, row, now=now, counts=counts))
            except NotFound as exc:
                jobs.append(exc)
    return jobs


def load_job(engine: Engine, row: Outbox, *, now: datetime) -> Job:
    """The case state, the customer's words and the day's count of mail to the recipient."""
    [job] = load_jobs(engine, [row], now=now)
    if isinstance(job, Exception):
        raise job
    return job


def _job(session: Session, row: Outbox, *, now: datetime, counts: dict[str, int]) -> Job:
    state, texts = None, CaseTexts()
    if row.contact_id is not None:
        contact = session.get(Contact, row.contact_id)
        if contact is None:
            raise NotFound(f"outbox row {row.id}: contact {row.contact_id} is gone")
        state = load_case(session, contact)
        texts = _texts(session, contact.id or 0, row.payload.get("context") or {})
    sent = 0
    if row.kind == CUSTOMER_MAIL:
        for address in row.recipients:
            key = address.casefold()
            if key not in counts:
                counts[key] = sent_in_day(session, address, now=now)
            sent = max(sent, counts[key])
    return Job(row=row, state=state, texts=texts, sent_today=sent)


def sent_in_day(session: Session, address: str, *, now: datetime) -> int:
    """How many customer mails went to ``address`` in the 24 hours before ``now``.

    Customer mail goes to the case's customer, so the count looks only at the mail of the
    contacts from that address (indexes on ``lower(contact.customer_address)`` and
    ``outbox.contact_id``), not at every mail of the day: the cost stays the same however much
    mail the day has seen.
    """
    query = (
        select(Outbox.recipients, Outbox.status)
        .join(Contact, col(Contact.id) == col(Outbox.contact_id))
        .where(func.lower(Contact.customer_address) == address.lower())  # indexed (0004)
        .where(col(Outbox.kind) == CUSTOMER_MAIL)
        .where(col(Outbox.done_at) >= now - timedelta(hours=24))
    )
    # The status is checked here, not in SQL: a condition on it would tempt SQLite to walk the
    # (status, not_before) index over every mail ever sent instead of the contacts' own.
    wanted = address.casefold()
    return sum(
        1
        for rcpts, status in session.exec(query)
        if status == OutboxStatus.DONE and wanted in (a.casefold() for a in rcpts)
    )


def _texts(session: Session, contact_id: int, context: dict[str, Any]) -> CaseTexts:
    """The case's first inbound message text and the latest (or the one the row names)."""
    inbound = select(Message.text).where(
        col(Message.contact_id) == contact_id, col(Message.direction) == Direction.IN
    )
    order = (col(Message.received_at), col(Message.id))
    first = session.exec(inbound.order_by(*order).limit(1)).first()
    named = context.get("message_id")
    if isinstance(named, str):
        latest = session.exec(inbound.where(col(Message.message_id) == named).limit(1)).first()
    else:
        latest = session.exec(inbound.order_by(*(o.desc() for o in order)).limit(1)).first()
    return CaseTexts(first=first or "", latest=latest or first or "")


def _locked(session: Session, row_id: int) -> Outbox:
    row: Outbox | None = session.exec(
        _for_update(session, select(Outbox).where(Outbox.id == row_id))
    ).first()
    if row is None:
        raise NotFound(f"outbox row {row_id} is gone")
    return row


def _claimed(session: Session, row_id: int) -> Outbox | None:
    """The row, locked, if it is still claimed; None if something already settled it."""
    row = _locked(session, row_id)
    if row.status != OutboxStatus.CLAIMED:
        log.warning("outbox row %s is %s, not claimed: left as it is", row_id, row.status)
        return None
    return row


def record_sent(
    engine: Engine,
    row_id: int,
    *,
    sent_at: datetime,
    after_send: AfterSend | None,
    letters: Sequence[RenderedLetter] = (),
    blobs: BlobStore | None = None,
    copy_of: bytes | None = None,
    holder: str = "",
    lease: timedelta = timedelta(minutes=5),
    note: str | None = None,
) -> Outbox | None:
    """Mark the row done, keep its letters, call ``after_send``; return the Sent copy to append.

    The copy (``copy_of``: the sent bytes) is a ``sent_copy`` row claimed by ``holder``, so the
    append is retried, by any worker, until it succeeds: it is never a reason to send again.
    Returns None when another worker already recorded the row (then nothing is done twice).
    """
    sent = Sent(row_id=row_id, letters=tuple(letters), copy_of=copy_of)
    with session_scope(engine) as session:
        return _sent(
            session,
            _locked(session, row_id),
            sent,
            Recording(at=sent_at, after_send=after_send, blobs=blobs, holder=holder, lease=lease),
            note=note,
        )


@dataclass(frozen=True, kw_only=True)
class Sent:
    """The server accepted the mail: done, its letters kept, its Sent copy (if any) queued."""

    row_id: int
    letters: tuple[RenderedLetter, ...] = ()
    copy_of: bytes | None = None


@dataclass(frozen=True, kw_only=True)
class Copied:
    """The Sent copy is in the Sent folder: done, its bytes dropped."""

    row_id: int


@dataclass(frozen=True, kw_only=True)
class Retry:
    """A temporary failure: pending again from ``not_before``."""

    row_id: int
    attempts: int
    error: str
    not_before: datetime


@dataclass(frozen=True, kw_only=True)
class Cancelled:
    """Not to be sent (over a cap): cancelled and audited as ``event``."""

    row_id: int
    reason: str
    event: str


Notice = Callable[[Outbox, Contact | None], tuple[str, dict[str, Any]] | None]


@dataclass(frozen=True, kw_only=True)
class Failed:
    """Given up: failed, audited, and ``notice``'s staff mail queued (if it gives one)."""

    row_id: int
    attempts: int
    error: str
    notice: Notice


Outcome = Sent | Copied | Retry | Cancelled | Failed


@dataclass(frozen=True, kw_only=True)
class Recording:
    """What recording a round's outcomes needs besides the outcomes themselves."""

    at: datetime
    after_send: AfterSend | None = None
    blobs: BlobStore | None = None
    holder: str = ""
    lease: timedelta = timedelta(minutes=5)


def record_round(engine: Engine, outcomes: Sequence[Outcome], recording: Recording) -> list[Outbox]:
    """Record a whole round's outcomes in one transaction; return the Sent copies to append.

    Each outcome is recorded in its own savepoint, so one that fails (``after_send`` raising, a
    row gone) does not undo the others: a sent mail whose ``after_send`` fails is recorded
    without it and the failure audited, so it is never sent again.
    """
    copies: list[Outbox] = []
    if not outcomes:
        return copies
    with session_scope(engine) as session:
        ids = [o.row_id for o in outcomes]
        query = select(Outbox).where(col(Outbox.id).in_(ids)).order_by(col(Outbox.id))
        rows = {r.id: r for r in session.exec(_for_update(session, query))}
        for outcome in outcomes:
            row = rows.get(outcome.row_id)
            if row is None:
                log.warning("outbox row %s is gone: outcome not recorded", outcome.row_id)
                continue
            added = _record_one(session, row, outcome, recording)
            if added is not None and added.kind == SENT_COPY:  # not a bounce notice
                copies.append(added)
    return copies


def _record_one(
    session: Session, row: Outbox, outcome: Outcome, recording: Recording
) -> Outbox | None:
    """One outcome in a savepoint; a sent mail falls back to being recorded without its hook."""
    try:
        with session.begin_nested():
            return _apply(session, row, outcome, recording)
    except Exception as exc:
        if not isinstance(outcome, Sent):
            log.exception("outbox row %s: %s not recorded", row.id, type(outcome).__name__)
            return None
        log.exception("%s was sent but after_send failed", row.message_id)
        note = " ".join(str(exc).split())[:500] or type(exc).__name__
    session.refresh(row)  # the savepoint's changes to the row are gone
    plain = Recording(
        at=recording.at, blobs=recording.blobs, holder=recording.holder, lease=recording.lease
    )
    with session.begin_nested():
        return _sent(session, row, outcome, plain, note=note)


def _apply(session: Session, row: Outbox, outcome: Outcome, recording: Recording) -> Outbox | None:
    at = recording.at
    if isinstance(outcome, Sent):
        return _sent(session, row, outcome, recording)
    if row.status != OutboxStatus.CLAIMED:
        log.warning("outbox row %s is %s, not claimed: left as it is", row.id, row.status)
        return None
    row.claimed_by, row.claimed_until = None, None
    if isinstance(outcome, Copied):
        row.status, row.done_at = OutboxStatus.DONE, at
        row.payload = {k: v for k, v in row.payload.items() if k != "raw"}
    elif isinstance(outcome, Retry):
        row.status, row.attempts, row.last_error = (
            OutboxStatus.PENDING,
            outcome.attempts,
            outcome.error,
        )
        row.not_before = outcome.not_before
    elif isinstance(outcome, Cancelled):
        row.status, row.last_error = OutboxStatus.CANCELLED, outcome.reason
        _audit(session, row, outcome.event, outcome.reason, at)
    else:
        session.add(row)
        return _failed(session, row, outcome, at)
    session.add(row)
    return None


def _sent(
    session: Session, row: Outbox, sent: Sent, recording: Recording, *, note: str | None = None
) -> Outbox | None:
    """Mark ``row`` done, keep its letters, queue its Sent copy, run ``after_send``."""
    at = recording.at
    if row.status == OutboxStatus.DONE:
        log.warning("outbox row %s (%s) was already recorded as sent", row.id, row.message_id)
        return None
    row.status, row.done_at = OutboxStatus.DONE, at
    row.claimed_by, row.claimed_until = None, None
    session.add(row)
    # The case's letters are those its customer was sent; staff copies of them are not kept.
    if recording.blobs is not None and row.contact_id is not None and row.kind == CUSTOMER_MAIL:
        for letter in sent.letters:
            sha = save_blob(session, recording.blobs, letter.data, at=at)
            session.add(
                Letter(
                    contact_id=row.contact_id,
                    template=letter.template,
                    variant=letter.variant,
                    blob=sha,
                    created_at=at,
                )
            )
    copy = None
    if sent.copy_of is not None:
        copy = sent_copy_row(
            row, sent.copy_of, holder=recording.holder, at=at, lease=recording.lease
        )
        session.add(copy)
    if note is not None:
        _audit(session, row, "after_send_failed", note, at)
    session.flush()
    if recording.after_send is not None:
        recording.after_send(session, row, at)
    return copy


def record_copied(engine: Engine, row_id: int, *, at: datetime) -> None:
    """Mark a Sent copy appended, dropping its bytes (the Sent folder has them now)."""
    record_round(engine, [Copied(row_id=row_id)], Recording(at=at))


def retry_later(
    engine: Engine, row_id: int, *, attempts: int, error: str, not_before: datetime
) -> None:
    """Put the row back as pending until ``not_before``, counting the failed attempt."""
    outcome = Retry(row_id=row_id, attempts=attempts, error=error, not_before=not_before)
    with session_scope(engine) as session:
        _apply(session, _locked(session, row_id), outcome, Recording(at=not_before))


def cancel(engine: Engine, row_id: int, *, at: datetime, reason: str, event: str) -> None:
    """Cancel the row for ``reason`` and say so in the case's audit trail."""
    outcome = Cancelled(row_id=row_id, reason=reason, event=event)
    with session_scope(engine) as session:
        _apply(session, _locked(session, row_id), outcome, Recording(at=at))


def fail(
    engine: Engine,
    row_id: int,
    *,
    at: datetime,
    attempts: int,
    error: str,
    notice: Notice,
) -> Outbox | None:
    """Give the row up: failed, audited, and ``notice``'s staff mail queued (if it gives one).

    ``notice`` returns ``(recipient, payload)`` of the mail telling a person, or None.
    """
    outcome = Failed(row_id=row_id, attempts=attempts, error=error, notice=notice)
    with session_scope(engine) as session:
        row = _claimed(session, row_id)
        if row is None:
            return None
        row.claimed_by, row.claimed_until = None, None
        return _failed(session, row, outcome, at)


def _failed(session: Session, row: Outbox, failed: Failed, at: datetime) -> Outbox | None:
    row.status, row.attempts, row.last_error = OutboxStatus.FAILED, failed.attempts, failed.error
    session.add(row)
    event = "sent_copy_failed" if row.kind == SENT_COPY else "mail_failed"
    _audit(session, row, event, failed.error, at)
    contact = session.get(Contact, row.contact_id) if row.contact_id is not None else None
    wanted = failed.notice(row, contact)
    if wanted is None:
        return None
    recipient, payload = wanted
    try:
        return queue_mail(
            session,
            contact=contact,
            kind=STAFF_MAIL,
            recipients=[recipient],
            payload=payload,
            not_before=at,
            domain=domain_of(row.message_id),
        )
    except MailError as exc:  # checked before anything is added: the failure still commits
        log.error("outbox row %s: no notice to %s: %s", row.id, recipient, exc)
        return None


def _audit(session: Session, row: Outbox, event: str, reason: str, at: datetime) -> None:
    """An entry in the case's audit trail about ``row``: which mail, to whom, and why."""
    detail = {
        "message_id": row.payload.get("of", row.message_id),
        "purpose": row.payload.get("purpose"),
        "recipients": list(row.recipients),
        "reason": reason,
    }
    add_audit(session, contact_id=row.contact_id, actor=ACTOR, event=event, detail=detail, at=at)
