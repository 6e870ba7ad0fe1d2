"""Removing one contact's personal data from the store, keeping the facts reports count.

Used by the retention schedule and by erasure requests, in the caller's transaction:

    removed   pending reminders and every outbox row of the contact (their payloads carry the
              customer's address and the officers' words), its letters (rows and documents)
    blanked   the contact's customer address, name and subject; each message's raw bytes,
              attachments, text, subject, sender and recipients; officers' command arguments;
              the text of notes and other free text in the audit details
    kept      kind, channel, service, route, stage, status, outcome, flags and dates of the
              contact; stage records and deadlines; each message's direction, status and
              instant; the audit events and their counted facts (reason, upheld, stage), and
              the long-term actions' text, made anonymous as the reports already show it

The audit trail is otherwise append-only (``store.models.Audit``): this module is the one place
that rewrites audit details, through SQL, because the law requires the personal data in them to
go while the entries themselves remain. Blob files are removed only after the transaction
commits and only if no remaining row refers to them (``unreferenced_blobs``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import String, cast, delete, func, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from mailflow.reports.audits import ACTION_TEXT_KEYS, anonymous
from mailflow.store.models import (
    Audit,
    Blob,
    Contact,
    Letter,
    Message,
    Notification,
    OfficerCommand,
    Outbox,
    table_of,
)
from mailflow.store.vocab import NoticeStatus

ERASED = "[erased]"
# Free text written by officers or customers; dropped from every audit detail of the contact.
FREE_TEXT_KEYS = ("text", "argument", "commands", "officer_text", "question")
# Events whose "reason" quotes an officer's command lines rather than naming a vocabulary term.
QUOTING_REASON = ("officer_reply_refused", "officer_command")
AUDIT = table_of(Audit)
BLOB = table_of(Blob)
NOTIFICATION = table_of(Notification)
OUTBOX = table_of(Outbox)


@dataclass
class Removed:
    """What anonymising removed, as counts for the audit trail, and the blobs it freed."""

    messages: int = 0
    attachments: int = 0
    letters: int = 0
    outbox: int = 0
    notifications: int = 0
    audit_entries: int = 0
    blobs: set[str] = field(default_factory=set)

    def counts(self) -> dict[str, int]:
        """The counts, as the ``retention_expired`` and ``erased`` audit entries record them."""
        return {
            "messages": self.messages,
            "attachments": self.attachments,
            "letters": self.letters,
            "outbox": self.outbox,
            "notifications": self.notifications,
            "audit_entries": self.audit_entries,
        }

    def add(self, other: Removed) -> None:
        """Add another contact's counts to these."""
        for name, value in other.counts().items():
            setattr(self, name, getattr(self, name) + value)
        self.blobs |= other.blobs


def without_address(value: Any, address: str) -> Any:
    """A JSON value with every occurrence of ``address`` (any case) replaced by ``[erased]``."""
    if not address:
        return value
    if isinstance(value, str):
        return re.sub(re.escape(address), ERASED, value, flags=re.IGNORECASE)
    if isinstance(value, list):
        return [without_address(v, address) for v in value]
    if isinstance(value, dict):
        return {k: without_address(v, address) for k, v in value.items()}
    return value


def scrubbed_detail(event: str, detail: dict[str, Any], name: str, address: str) -> dict[str, Any]:
    """An audit detail without free text or the customer's address; actions made anonymous."""
    out: dict[str, Any] = {}
    for key, value in detail.items():
        if event == "action" and key in ACTION_TEXT_KEYS and isinstance(value, str):
            out[key] = anonymous(value, name, address)
        elif key in FREE_TEXT_KEYS or (key == "reason" and event in QUOTING_REASON):
            continue
        else:
            out[key] = without_address(value, address)
    return out


def anonymise_contact(session: Session, contact: Contact, *, now: datetime) -> Removed:
    """Remove the contact's personal data (see the module docstring); flushes, never commits."""
    assert contact.id is not None
    removed = Removed()
    name, address = contact.customer_name, contact.customer_address
    n = NOTIFICATION.c
    pending = (n.contact_id == contact.id) & (n.status == NoticeStatus.PENDING)
    removed.notifications = session.exec(delete(NOTIFICATION).where(pending)).rowcount
    removed.outbox = session.exec(delete(OUTBOX).where(OUTBOX.c.contact_id == contact.id)).rowcount
    for message in session.exec(select(Message).where(col(Message.contact_id) == contact.id)):
        removed.add(blank_message(session, message))
    letters = list(session.exec(select(Letter).where(col(Letter.contact_id) == contact.id)))
    for letter in letters:
        removed.blobs.add(letter.blob)
        session.delete(letter)
    removed.letters = len(letters)
    commands = select(OfficerCommand).where(col(OfficerCommand.contact_id) == contact.id)
    for command in session.exec(commands):
        command.argument = ""
        command.reason = ""
        command.sender = without_address(command.sender, address)
        session.add(command)
    removed.audit_entries = scrub_audit(session, contact.id, name, address)
    contact.customer_address, contact.customer_name, contact.subject = "", "", ""
    contact.anonymised_at = now
    session.add(contact)
    session.flush()
    return removed


def blank_message(session: Session, message: Message) -> Removed:
    """Blank one message's content and parties, keeping its direction, status and instant."""
    removed = Removed(messages=1)
    if message.raw_blob:
        removed.blobs.add(message.raw_blob)
    for attachment in message.attachments:
        removed.attachments += 1
        if attachment.get("blob"):
            removed.blobs.add(str(attachment["blob"]))
    message.raw_blob = None
    message.attachments = []
    message.text = message.subject = message.from_name = message.from_address = ""
    message.to_addresses = []
    message.in_reply_to, message.references = None, ""
    message.quarantine_reason = None
    session.add(message)
    return removed


def scrub_audit(session: Session, contact_id: int, name: str, address: str) -> int:
    """Rewrite the contact's audit details without free text and address; returns how many."""
    rows = session.connection().execute(
        sa_select(AUDIT.c.id, AUDIT.c.event, AUDIT.c.actor, AUDIT.c.detail).where(
            AUDIT.c.contact_id == contact_id
        )
    )
    changed = 0
    for audit_id, event, actor, detail in list(rows):
        facts = detail if isinstance(detail, dict) else {}
        new = scrubbed_detail(str(event), facts, name, address)
        new_actor = without_address(actor, address)
        if new != facts or new_actor != actor:
            session.connection().execute(
                update(AUDIT).where(AUDIT.c.id == audit_id).values(detail=new, actor=new_actor)
            )
            changed += 1
    return changed


def unreferenced_blobs(session: Session, candidates: set[str]) -> list[str]:
    """Of ``candidates``, the blobs no message, attachment or letter refers to any more; their
    ``blob`` rows are deleted here, their files by the caller after commit."""
    session.flush()
    free: list[str] = []
    for sha in sorted(candidates):
        used = session.exec(
            select(func.count())
            .select_from(Message)
            .where(
                (col(Message.raw_blob) == sha)
                | cast(col(Message.attachments), String).contains(sha)
            )
        ).one()
        letters = session.exec(
            select(func.count()).select_from(Letter).where(col(Letter.blob) == sha)
        ).one()
        if used == 0 and letters == 0:
            session.exec(delete(BLOB).where(BLOB.c.sha256 == sha))
            free.append(sha)
    return free
