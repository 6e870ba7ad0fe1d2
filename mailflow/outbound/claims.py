"""The outbox worker's transactions: claim due rows, read what a mail needs, record outcomes.

Each function is one short transaction (``session_scope``); the worker runs them in a thread so
the event loop keeps serving the mailbox watchers. Claiming is safe with several workers:
PostgreSQL skips rows another transaction has locked (``FOR UPDATE SKIP LOCKED``), SQLite lets
one writer in at a time (mailflow opens every transaction with ``BEGIN IMMEDIATE``). A claim is
a lease: a worker that dies leaves its rows to be taken again once ``claimed_until`` passes.
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


def load_job(engine: Engine, row: Outbox, *, now: datetime) -> Job:
    """The case state, the customer's words and the day's count of mail to the recipient."""
    with session_scope(engine) as session:
        state, texts = None, CaseTexts()
        if row.contact_id is not None:
            contact = session.get(Contact, row.contact_id)
            if contact is None:
                raise NotFound(f"outbox row {row.id}: contact {row.contact_id} is gone")
            state = load_case(session, contact)
            texts = _texts(session, contact.id or 0, row.payload.get("context") or {})
        sent = 0
        if row.kind == CUSTOMER_MAIL:
            sent = max(sent_in_day(session, a, now=now) for a in row.recipients)
    return Job(row=row, state=state, texts=texts, sent_today=sent)


def sent_in_day(session: Session, address: str, *, now: datetime) -> int:
    """How many customer mails went to ``address`` in the 24 hours before ``now``."""
    query = select(Outbox.recipients).where(
        col(Outbox.kind) == CUSTOMER_MAIL,
        col(Outbox.status) == OutboxStatus.DONE,
        col(Outbox.done_at) >= now - timedelta(hours=24),
    )
    wanted = address.casefold()
    return sum(1 for rcpts in session.exec(query) if wanted in (a.casefold() for a in rcpts))


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
    with session_scope(engine) as session:
        row = _locked(session, row_id)
        if row.status == OutboxStatus.DONE:
            log.warning("outbox row %s (%s) was already recorded as sent", row.id, row.message_id)
            return None
        row.status, row.done_at = OutboxStatus.DONE, sent_at
        row.claimed_by, row.claimed_until = None, None
        session.add(row)
        if blobs is not None and row.contact_id is not None:
            for letter in letters:
                sha = save_blob(session, blobs, letter.data, at=sent_at)
                session.add(
                    Letter(
                        contact_id=row.contact_id,
                        template=letter.template,
                        variant=letter.variant,
                        blob=sha,
                        created_at=sent_at,
                    )
                )
        copy = None
        if copy_of is not None:
            copy = sent_copy_row(row, copy_of, holder=holder, at=sent_at, lease=lease)
            session.add(copy)
        if note is not None:
            _audit(session, row, "after_send_failed", note, sent_at)
        session.flush()
        if after_send is not None:
            after_send(session, row, sent_at)
    return copy


def record_copied(engine: Engine, row_id: int, *, at: datetime) -> None:
    """Mark a Sent copy appended, dropping its bytes (the Sent folder has them now)."""
    with session_scope(engine) as session:
        row = _claimed(session, row_id)
        if row is None:
            return
        row.status, row.done_at = OutboxStatus.DONE, at
        row.claimed_by, row.claimed_until = None, None
        row.payload = {k: v for k, v in row.payload.items() if k != "raw"}
        session.add(row)


def retry_later(
    engine: Engine, row_id: int, *, attempts: int, error: str, not_before: datetime
) -> None:
    """Put the row back as pending until ``not_before``, counting the failed attempt."""
    with session_scope(engine) as session:
        row = _claimed(session, row_id)
        if row is None:
            return
        row.status, row.attempts, row.last_error = OutboxStatus.PENDING, attempts, error
        row.not_before, row.claimed_by, row.claimed_until = not_before, None, None
        session.add(row)


def cancel(engine: Engine, row_id: int, *, at: datetime, reason: str, event: str) -> None:
    """Cancel the row for ``reason`` and say so in the case's audit trail."""
    with session_scope(engine) as session:
        row = _claimed(session, row_id)
        if row is None:
            return
        row.status, row.last_error = OutboxStatus.CANCELLED, reason
        row.claimed_by, row.claimed_until = None, None
        session.add(row)
        _audit(session, row, event, reason, at)


def fail(
    engine: Engine,
    row_id: int,
    *,
    at: datetime,
    attempts: int,
    error: str,
    notice: Callable[[Outbox, Contact | None], tuple[str, dict[str, Any]] | None],
) -> Outbox | None:
    """Give the row up: failed, audited, and ``notice``'s staff mail queued (if it gives one).

    ``notice`` returns ``(recipient, payload)`` of the mail telling a person, or None.
    """
    with session_scope(engine) as session:
        row = _claimed(session, row_id)
        if row is None:
            return None
        row.status, row.attempts, row.last_error = OutboxStatus.FAILED, attempts, error
        row.claimed_by, row.claimed_until = None, None
        session.add(row)
        event = "sent_copy_failed" if row.kind == SENT_COPY else "mail_failed"
        _audit(session, row, event, error, at)
        contact = session.get(Contact, row.contact_id) if row.contact_id is not None else None
        wanted = notice(row, contact)
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
