"""Quarantined mail: what a person must look at, and recording that they have.

The pipeline quarantines what it cannot read (too large, too deeply nested, broken MIME, no
usable sender) and keeps it whole; the copy in the mailbox's ``Quarantine`` folder is what a
person reads. The retention schedule keeps quarantined mail ``until_reviewed``: marking it
reviewed (status ``ignored``, the reason kept) hands it to the schedule for automatic mail,
and the audit trail records who reviewed it, when and why.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from mailflow.errors import NotFound, StoreError
from mailflow.store.models import Message
from mailflow.store.repo import add_audit
from mailflow.store.vocab import MessageStatus


def quarantined(session: Session) -> list[dict[str, Any]]:
    """The mail waiting for review, oldest first: where it is and why, never its content."""
    rows = session.exec(
        select(Message)
        .where(col(Message.status) == MessageStatus.QUARANTINED)
        .order_by(col(Message.received_at), col(Message.id))
    ).all()
    return [
        {
            "id": m.id,
            "mailbox": m.mailbox,
            "received_at": m.received_at,
            "reason": m.quarantine_reason,
            "message_id": m.message_id,
        }
        for m in rows
    ]


def mark_reviewed(
    session: Session, ids: Sequence[int], *, by: str, note: str, now: datetime
) -> list[int]:
    """Record that a person reviewed these quarantined messages; all of them, or none."""
    if not note.strip():
        raise StoreError("quarantine: say what was done with it (--note)")
    rows = session.exec(select(Message).where(col(Message.id).in_(list(ids)))).all()
    found = {m.id: m for m in rows}
    for wanted in ids:
        m = found.get(wanted)
        if m is None:
            raise NotFound(f"quarantine: no message {wanted}")
        if m.status != MessageStatus.QUARANTINED:
            raise StoreError(f"quarantine: message {wanted} is {m.status.value}, not quarantined")
    for wanted in ids:
        m = found[wanted]
        m.status = MessageStatus.IGNORED
        session.add(m)
        add_audit(
            session,
            contact_id=m.contact_id,
            actor=by,
            event="quarantine_reviewed",
            detail={"message": wanted, "reason": m.quarantine_reason, "note": note.strip()},
            at=now,
        )
    return list(ids)
