"""Small typed queries and writes the rest of mailflow uses, so SQL stays inside the store.

Every function takes the caller's ``Session`` and never commits: the caller's ``session_scope``
is the transaction, so a state change, its audit rows and its outbox rows commit together.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, exists, select

from mailflow.errors import NotFound
from mailflow.store.blobs import BlobStore
from mailflow.store.db import dialect_insert
from mailflow.store.models import (
    Audit,
    Blob,
    Contact,
    Deadline,
    MailboxCheckpoint,
    Message,
    ReferenceCounter,
    table_of,
)
from mailflow.store.vocab import ContactKind, ContactStatus, DeadlineStatus

_PREFIX = re.compile(r"[A-Z][A-Z0-9]{0,15}")


def next_reference(session: Session, prefix: str, year: int) -> str:
    """Allocate the next reference for ``prefix`` and ``year``, e.g. ``SBC-2026-00042``.

    One atomic upsert (``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``): PostgreSQL locks the
    counter row until the transaction ends, SQLite holds its single write lock (``BEGIN
    IMMEDIATE``), so concurrent callers get distinct, consecutive numbers. The number is part of
    the caller's transaction: a rollback gives it back, leaving no gap. Each year starts at 1.
    """
    if not _PREFIX.fullmatch(prefix):
        raise ValueError(f"reference prefix {prefix!r}: use 1-16 capital letters and digits")
    counter = table_of(ReferenceCounter)
    statement = dialect_insert(session, counter).values(prefix=prefix, year=year, last=1)
    statement = statement.on_conflict_do_update(
        index_elements=[counter.c.prefix, counter.c.year],
        set_={"last": counter.c["last"] + 1},
    )
    number = session.exec(statement.returning(counter.c["last"])).scalar_one()
    return f"{prefix}-{year}-{number:05d}"


def contact_by_reference(session: Session, reference: str) -> Contact:
    """The contact with ``reference`` (case and surrounding spaces ignored); else ``NotFound``."""
    wanted = reference.strip().upper()
    contact = session.exec(select(Contact).where(Contact.reference == wanted)).first()
    if contact is None:
        raise NotFound(f"no contact with reference {wanted}")
    return contact


def list_contacts(
    session: Session,
    *,
    council: str | None = None,
    kind: ContactKind | None = None,
    stage: int | None = None,
    overdue_at: datetime | None = None,
    status: ContactStatus | None = None,
) -> list[Contact]:
    """Contacts matching every filter given, oldest first.

    ``overdue_at``: only contacts with an open deadline due before that instant.
    """
    query = select(Contact)
    if council is not None:
        query = query.where(Contact.council == council)
    if kind is not None:
        query = query.where(Contact.kind == kind)
    if stage is not None:
        query = query.where(Contact.stage == stage)
    if status is not None:
        query = query.where(Contact.status == status)
    if overdue_at is not None:
        overdue = (
            exists()
            .where(col(Deadline.contact_id) == col(Contact.id))
            .where(col(Deadline.status) == DeadlineStatus.OPEN)
            .where(col(Deadline.due_at) < overdue_at)
        )
        query = query.where(overdue)
    return list(session.exec(query.order_by(col(Contact.id))))


def add_audit(
    session: Session,
    *,
    contact_id: int | None,
    actor: str,
    event: str,
    detail: Mapping[str, Any] | None = None,
    at: datetime,
) -> Audit:
    """Append one audit row (flushed, so it has its id). There is no update or delete."""
    row = Audit(contact_id=contact_id, at=at, actor=actor, event=event, detail=dict(detail or {}))
    session.add(row)
    session.flush()
    return row


def audit_trail(session: Session, contact_id: int) -> list[Audit]:
    """A contact's audit rows in the order they were written."""
    query = select(Audit).where(Audit.contact_id == contact_id).order_by(col(Audit.id))
    return list(session.exec(query))


def get_checkpoint(session: Session, mailbox: str) -> MailboxCheckpoint | None:
    """How far ``mailbox`` has been read, or ``None`` if it never was."""
    return session.get(MailboxCheckpoint, mailbox)


def set_checkpoint(
    session: Session, mailbox: str, *, uidvalidity: int, last_uid: int, at: datetime
) -> MailboxCheckpoint:
    """Record that ``mailbox`` has been read up to ``last_uid`` under ``uidvalidity``.

    A single watcher per mailbox (see ``leases``) is the only writer, so read-then-write is safe.
    """
    checkpoint = session.get(MailboxCheckpoint, mailbox)
    if checkpoint is None:
        checkpoint = MailboxCheckpoint(
            mailbox=mailbox, uidvalidity=uidvalidity, last_uid=last_uid, updated_at=at
        )
    checkpoint.uidvalidity = uidvalidity
    checkpoint.last_uid = last_uid
    checkpoint.updated_at = at
    session.add(checkpoint)
    session.flush()
    return checkpoint


def insert_message_once(session: Session, message: Message) -> tuple[Message, bool]:
    """Record ``message`` unless it is already stored; returns ``(stored row, inserted?)``.

    A message is already stored if one has the same mailbox, UIDVALIDITY and UID (the same IMAP
    message seen again after a crash or reconnect), or the same Message-ID and content hash (the
    same bytes reached a second mailbox). Re-reading a mailbox is therefore harmless, which the
    watcher relies on. A concurrent insert of the same message is caught in a savepoint, so the
    caller's transaction survives the race and gets the winner's row.
    """
    existing = _stored_copy(session, message)
    if existing is not None:
        return existing, False
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError:
        existing = _stored_copy(session, message)
        if existing is None:
            raise
        return existing, False
    return message, True


def message_at(session: Session, mailbox: str, uidvalidity: int, uid: int) -> Message | None:
    """The message recorded from this IMAP position, if any: how a re-fetch is recognised."""
    return session.exec(
        select(Message)
        .where(Message.mailbox == mailbox)
        .where(Message.uidvalidity == uidvalidity)
        .where(Message.uid == uid)
    ).first()


def _stored_copy(session: Session, message: Message) -> Message | None:
    """The stored row that ``message`` duplicates, if any."""
    if message.mailbox is not None and message.uidvalidity is not None and message.uid is not None:
        by_position = message_at(session, message.mailbox, message.uidvalidity, message.uid)
        if by_position is not None:
            return by_position
    return session.exec(
        select(Message)
        .where(Message.message_id == message.message_id)
        .where(Message.content_hash == message.content_hash)
    ).first()


def save_blob(session: Session, blobs: BlobStore, data: bytes, *, at: datetime) -> str:
    """Store ``data`` in ``blobs`` and record it in the ``blob`` table; returns the digest.

    The file is written first: if the transaction then rolls back, an unreferenced file remains,
    which is harmless (content-addressed) and cheaper than a row pointing at nothing.
    """
    sha = blobs.put(data)
    table = table_of(Blob)
    statement = dialect_insert(session, table).values(sha256=sha, size=len(data), created_at=at)
    session.exec(statement.on_conflict_do_nothing(index_elements=[table.c.sha256]))
    return sha
