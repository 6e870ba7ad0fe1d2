"""Applying the retention schedule: find what has expired, then anonymise or delete it.

``expiry`` decides (pure); this module reads the rows it needs and carries the decision out,
one contact per transaction so a failure leaves every other contact as it was and a second
daemon running the same job at once finds nothing left to do (the row is re-read under a lock
and checked again). Expired contacts are anonymised (``anonymise``): their anonymous facts stay
so a report over the period adds up exactly as before. Expired mail on no contact (automatic
mail, reviewed quarantine) is deleted outright: no report counts it. Each contact's expiry is
an audit entry ``retention_expired`` with its kind, the last day it was kept and the counts of
what went, never the content; expired mail is one entry per run and kind.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from mailflow.policy.council import CouncilPolicy
from mailflow.policy.retention_rules import CONTACT_KINDS
from mailflow.privacy.anonymise import (
    Removed,
    anonymise_contact,
    blank_message,
    unreferenced_blobs,
)
from mailflow.privacy.expiry import ContactRow, Expired, MailRow, expired_contacts, expired_mail
from mailflow.store.blobs import BlobStore
from mailflow.store.db import session_scope
from mailflow.store.models import Contact, Message, OfficerCommand, table_of
from mailflow.store.repo import add_audit
from mailflow.store.vocab import ContactStatus

log = logging.getLogger("mailflow.retention")
ACTOR = "retention"
EVENT = "retention_expired"
COMMAND = table_of(OfficerCommand)


@dataclass
class RetentionRun:
    """What one run found (and, unless a dry run, removed)."""

    now: datetime
    dry_run: bool
    contacts: list[Expired] = field(default_factory=list)
    mail: list[Expired] = field(default_factory=list)
    removed: Removed = field(default_factory=Removed)
    blobs_deleted: int = 0

    def as_json(self) -> dict[str, Any]:
        """The run as ``mailflow retention`` prints it: references and kinds, no content."""
        return {
            "now": self.now.isoformat(),
            "dry_run": self.dry_run,
            "contacts": [
                {"reference": e.reference, "kind": e.kind, "kept_until": e.kept_until.isoformat()}
                for e in self.contacts
            ],
            "mail": [
                {"message": e.id, "kind": e.kind, "kept_until": e.kept_until.isoformat()}
                for e in self.mail
            ],
            "removed": self.removed.counts() | {"blobs": self.blobs_deleted},
        }


def find_expired(
    engine: Engine, policy: CouncilPolicy, now: datetime
) -> tuple[list[Expired], list[Expired]]:
    """The council's expired contacts and the expired mail on no contact, as of ``now``."""
    tz = ZoneInfo(policy.rules.council.timezone)
    retention = policy.rules.retention
    from_receipt = [k for k in CONTACT_KINDS if retention.for_kind(k).counted_from == "receipt"]
    with session_scope(engine) as session:
        contacts = session.exec(
            select(Contact)
            .where(col(Contact.council) == policy.key)
            .where(col(Contact.anonymised_at).is_(None))
            .where(col(Contact.legal_hold).is_(False))
            .where(
                (col(Contact.status) == ContactStatus.CLOSED) | col(Contact.kind).in_(from_receipt)
            )
            .order_by(col(Contact.id))
        ).all()
        rows = [_contact_row(c) for c in contacts]
        messages = session.exec(
            select(Message).where(col(Message.contact_id).is_(None)).order_by(col(Message.id))
        ).all()
        mail = [
            MailRow(id=m.id or 0, status=m.status.value, received_at=m.received_at)
            for m in messages
        ]
    return expired_contacts(retention, rows, now, tz), expired_mail(retention, mail, now, tz)


def _contact_row(c: Contact) -> ContactRow:
    return ContactRow(
        id=c.id or 0,
        reference=c.reference,
        kind=c.kind.value,
        status=c.status.value,
        received_at=c.received_at,
        closed_at=c.closed_at,
        legal_hold=c.legal_hold,
        anonymised=c.anonymised_at is not None,
    )


def run_retention(
    engine: Engine,
    policy: CouncilPolicy,
    blobs: BlobStore,
    *,
    now: datetime,
    dry_run: bool = False,
) -> RetentionRun:
    """List (``dry_run``) or remove everything the schedule says has expired at ``now``."""
    contacts, mail = find_expired(engine, policy, now)
    run = RetentionRun(now=now, dry_run=dry_run)
    if dry_run:
        run.contacts, run.mail = contacts, mail
        return run
    tz = ZoneInfo(policy.rules.council.timezone)
    for expired in contacts:
        with session_scope(engine) as session:
            removed = _expire_contact(session, policy, expired, now, tz)
            freed = unreferenced_blobs(session, removed.blobs) if removed else []
        if removed is not None:
            run.contacts.append(expired)
            run.removed.add(removed)
            run.blobs_deleted += _delete_files(blobs, freed)
    if mail:
        with session_scope(engine) as session:
            removed, gone = _delete_mail(session, mail, now)
            freed = unreferenced_blobs(session, removed.blobs)
        run.mail = gone
        run.removed.add(removed)
        run.blobs_deleted += _delete_files(blobs, freed)
    return run


def _expire_contact(
    session: Session, policy: CouncilPolicy, expired: Expired, now: datetime, tz: ZoneInfo
) -> Removed | None:
    """Anonymise one contact if, re-read under a lock, it has still expired; else None."""
    contact = session.get(Contact, expired.id, with_for_update=True)
    if contact is None:
        return None
    still = expired_contacts(policy.rules.retention, [_contact_row(contact)], now, tz)
    if not still:
        return None
    removed = anonymise_contact(session, contact, now=now)
    detail = {
        "reference": contact.reference,
        "kind": contact.kind.value,
        "kept_until": still[0].kept_until.isoformat(),
        **removed.counts(),
    }
    add_audit(session, contact_id=contact.id, actor=ACTOR, event=EVENT, detail=detail, at=now)
    log.info(
        "contact expired",
        extra={"event": "retention.expired", "reference": contact.reference, **removed.counts()},
    )
    return removed


def _delete_mail(
    session: Session, mail: list[Expired], now: datetime
) -> tuple[Removed, list[Expired]]:
    """Delete expired messages on no contact, with one audit entry per kind."""
    removed, gone = Removed(), []
    by_kind: dict[str, int] = {}
    for expired in mail:
        message = session.get(Message, expired.id, with_for_update=True)
        if message is None or message.contact_id is not None:
            continue
        removed.add(blank_message(session, message))
        session.exec(
            update(COMMAND).where(COMMAND.c.message_id == message.id).values(message_id=None)
        )
        session.delete(message)
        by_kind[expired.kind] = by_kind.get(expired.kind, 0) + 1
        gone.append(expired)
    session.flush()
    for kind, count in by_kind.items():
        detail = {"kind": kind, "messages": count}
        add_audit(session, contact_id=None, actor=ACTOR, event=EVENT, detail=detail, at=now)
    if gone:
        log.info("mail expired", extra={"event": "retention.mail_expired", "messages": len(gone)})
    return removed, gone


def _delete_files(blobs: BlobStore, shas: list[str]) -> int:
    """Remove freed blob files after commit; a failure is logged, the rows are already gone."""
    deleted = 0
    for sha in shas:
        try:
            deleted += blobs.delete(sha)
        except Exception as exc:  # the row is gone: an orphan file is harmless, keep going
            log.error("blob not deleted: %s", exc, extra={"event": "retention.blob_failed"})
    return deleted
