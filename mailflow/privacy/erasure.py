"""Erasure on request (UK GDPR Article 17): one person made anonymous across the store.

Refused, with the reason on one line, while any contact from the person is still open (the
council is still dealing with it) or under a legal hold (Article 17(3)(e): the data are needed
for legal claims). Otherwise, in one transaction: every contact from the address is anonymised
as the retention schedule would (``anonymise``); their messages in other contacts' threads are
blanked; the address is replaced by ``[erased]`` wherever else it appears (audit details,
officers' command arguments, recipients, outbox payloads). Reports stay intact because only
personal data go. The erasure itself is recorded (``erased``) with a keyed hash of the address,
so a repeated request can be recognised without keeping the address in clear.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, String, cast, delete, func, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from mailflow.errors import MailflowError
from mailflow.privacy.anonymise import (
    AUDIT,
    OUTBOX,
    Removed,
    anonymise_contact,
    blank_message,
    unreferenced_blobs,
    without_address,
)
from mailflow.store.blobs import BlobStore
from mailflow.store.db import session_scope
from mailflow.store.models import Contact, Message, OfficerCommand
from mailflow.store.repo import add_audit
from mailflow.store.vocab import ContactStatus

log = logging.getLogger("mailflow.erasure")
EVENT = "erased"


class ErasureRefused(MailflowError):
    """The person cannot be erased yet: a contact is open or under a legal hold."""


@dataclass
class Erasure:
    """What an erasure did: the contacts made anonymous and the counts of what went."""

    subject: str
    references: list[str] = field(default_factory=list)
    mentions: int = 0
    removed: Removed = field(default_factory=Removed)
    blobs_deleted: int = 0

    def as_json(self) -> dict[str, Any]:
        """As ``mailflow erase`` prints it: the keyed hash, never the address."""
        return {
            "subject": self.subject,
            "contacts": self.references,
            "mentions_elsewhere": self.mentions,
            "removed": self.removed.counts() | {"blobs": self.blobs_deleted},
        }


def subject_hash(key: bytes, address: str) -> str:
    """A keyed hash of the address (HMAC-SHA-256), to record an erasure without the address."""
    return hmac.new(key, address.strip().casefold().encode(), hashlib.sha256).hexdigest()


def refusal(contacts: list[Contact]) -> str | None:
    """Why these contacts cannot be erased now, or None."""
    for c in contacts:
        if c.legal_hold:
            why = c.legal_hold_reason or "no reason recorded"
            return f"{c.reference} is under legal hold ({why}): an officer must #release it first"
    for c in contacts:
        if c.status != ContactStatus.CLOSED:
            return f"{c.reference} is still {c.status.value}: close it before erasing"
    return None


def erase(
    engine: Engine,
    blobs: BlobStore,
    address: str,
    *,
    reason: str,
    key: bytes,
    now: datetime,
    actor: str = "erasure",
) -> Erasure:
    """Erase the person writing from ``address``; ``ErasureRefused`` when they cannot be yet."""
    address = address.strip()
    if "@" not in address or not reason.strip():
        raise ErasureRefused("give the person's email address and a --reason for the record")
    done = Erasure(subject=subject_hash(key, address))
    with session_scope(engine) as session:
        contacts = list(
            session.exec(
                select(Contact)
                .where(func.lower(Contact.customer_address) == address.casefold())
                .where(col(Contact.anonymised_at).is_(None))
                .order_by(col(Contact.id))
                .with_for_update()
            )
        )
        why = refusal(contacts)
        if why is not None:
            raise ErasureRefused(f"not erased: {why}")
        reason_text = without_address(reason.strip(), address)
        for contact in contacts:
            removed = anonymise_contact(session, contact, now=now)
            detail = {"subject": done.subject, "reason": reason_text, **removed.counts()}
            add_audit(
                session, contact_id=contact.id, actor=actor, event=EVENT, detail=detail, at=now
            )
            done.references.append(contact.reference)
            done.removed.add(removed)
        done.mentions = _mentions(session, address, done.removed)
        summary = {
            "subject": done.subject,
            "reason": reason_text,
            "contacts": done.references,
            "mentions_elsewhere": done.mentions,
        }
        add_audit(session, contact_id=None, actor=actor, event=EVENT, detail=summary, at=now)
        freed = unreferenced_blobs(session, done.removed.blobs)
    for sha in freed:
        done.blobs_deleted += blobs.delete(sha)
    log.info(
        "person erased",
        extra={"event": "erasure.done", "contacts": len(done.references), "subject": done.subject},
    )
    return done


def _mentions(session: Session, address: str, removed: Removed) -> int:
    """Remove the address where it appears outside the person's own contacts; returns how many
    rows changed. Their own messages elsewhere (a reply in someone else's thread) are blanked."""
    lowered = address.casefold()
    like = f"%{lowered}%"
    changed = 0
    own = select(Message).where(func.lower(Message.from_address) == lowered)
    for message in session.exec(own):
        removed.add(blank_message(session, message))
        changed += 1
    for message in session.exec(
        select(Message).where(func.lower(cast(col(Message.to_addresses), String)).like(like))
    ):
        message.to_addresses = [a for a in message.to_addresses if a.casefold() != lowered]
        session.add(message)
        changed += 1
    for command in session.exec(
        select(OfficerCommand).where(func.lower(col(OfficerCommand.argument)).like(like))
    ):
        command.argument = without_address(command.argument, address)
        session.add(command)
        changed += 1
    session.flush()
    changed += _rewrite_json(session, AUDIT, "detail", address, like)
    changed += _rewrite_outbox(session, address, like)
    return changed


def _rewrite_json(session: Session, table: Any, column: str, address: str, like: str) -> int:
    """Replace the address inside a JSON column wherever it occurs; returns rows changed."""
    c = table.c[column]
    rows = list(
        session.connection().execute(
            sa_select(table.c.id, c).where(func.lower(cast(c, String)).like(like))
        )
    )
    for row_id, value in rows:
        new = without_address(value, address)
        session.connection().execute(
            update(table).where(table.c.id == row_id).values({column: new})
        )
    return len(rows)


def _rewrite_outbox(session: Session, address: str, like: str) -> int:
    """Outbox rows naming the person: the address removed; a row only to them is deleted."""
    o = OUTBOX.c
    text = func.lower(cast(o.recipients, String) + cast(o.payload, String))
    rows = list(
        session.connection().execute(
            sa_select(o.id, o.recipients, o.payload).where(text.like(like))
        )
    )
    for row_id, recipients, payload in rows:
        left = [r for r in recipients or [] if r.casefold() != address.casefold()]
        if not left:
            session.connection().execute(delete(OUTBOX).where(o.id == row_id))
            continue
        session.connection().execute(
            update(OUTBOX)
            .where(o.id == row_id)
            .values(recipients=left, payload=without_address(payload, address))
        )
    return len(rows)
