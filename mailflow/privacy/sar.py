"""Subject access (UK GDPR Art. 15): everything mailflow holds about one person, for the DPO.

What is in an export, and what is not (the third-party rule, Data Protection Act 2018 sch. 2
para. 16: another person's data is left out unless they consent or it is reasonable):

- every contact whose customer is the subject, with its stages, deadlines and letters;
- the messages of those contacts written by the subject or by staff (the council's directory
  and mailboxes, and anyone who handled, owned or commanded one of those contacts), each with
  its raw ``.eml`` and attachments; messages the subject sent that never became a contact
  (quarantined, automatic) are included too;
- messages in those contacts written by anyone else (another customer who wrote into the same
  thread) are **withheld**: counted and dated in the index so the DPO knows, never copied;
- officers' notes and commands on those contacts, and audit entries of those contacts, plus
  any note or audit entry elsewhere that mentions the subject's address;
- the mails mailflow sent to the subject and the internal notices about their contacts.

In everything included, any address that is neither the subject's nor staff's is replaced by
``[address withheld]`` (in text, headers and raw ``.eml`` bytes alike). Attachments are copied
as received; an address inside an encoded attachment cannot be found, so the index asks the
DPO to review them before sending.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import String, cast, func, or_
from sqlmodel import Session, col, select

from mailflow.errors import NotFound, StoreError
from mailflow.policy.council import CouncilPolicy
from mailflow.privacy.redact import ADDRESS, Redactor
from mailflow.store.blobs import BlobStore
from mailflow.store.models import (
    Audit,
    Contact,
    Deadline,
    Letter,
    Message,
    OfficerCommand,
    Outbox,
    StageRecord,
)


@dataclass(frozen=True, kw_only=True)
class ExportFile:
    """One file of the export: where it goes (relative) and its bytes."""

    path: str
    data: bytes


@dataclass(kw_only=True)
class MessageEntry:
    """A message included in the export, redacted, with the files written for it."""

    at: datetime
    sender: str
    by: str  # "you" or "staff"
    subject: str
    text: str
    eml: str | None
    attachments: list[dict[str, Any]]


@dataclass(kw_only=True)
class ContactEntry:
    """One of the subject's contacts and what it holds."""

    reference: str
    facts: dict[str, Any]
    messages: list[MessageEntry] = field(default_factory=list)
    withheld: list[datetime] = field(default_factory=list)
    stages: list[dict[str, Any]] = field(default_factory=list)
    deadlines: list[dict[str, Any]] = field(default_factory=list)
    letters: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)
    mails: list[dict[str, Any]] = field(default_factory=list)
    audit: list[dict[str, Any]] = field(default_factory=list)


@dataclass(kw_only=True)
class SubjectAccessExport:
    """Everything found about ``subject``; ``files`` are written beside the index."""

    subject: str
    generated_at: datetime
    contacts: list[ContactEntry] = field(default_factory=list)
    other_messages: list[MessageEntry] = field(default_factory=list)
    mentions: list[dict[str, Any]] = field(default_factory=list)
    files: list[ExportFile] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def staff_addresses(policy: CouncilPolicy) -> frozenset[str]:
    """The council's own addresses: its mailboxes and everyone in its directory."""
    d = policy.rules.directory
    people = [*d.roles.values()]
    for service in d.services.values():
        people += [service.service_officer, service.head_of_service]
    found = {p.address for p in people} | set(policy.rules.council.mailboxes.values())
    return frozenset(a.lower() for a in found)


def gather(
    session: Session,
    blobs: BlobStore,
    email: str,
    *,
    staff: Iterable[str] = (),
    now: datetime,
) -> SubjectAccessExport:
    """Collect what the store holds about ``email`` (case-insensitive) as of ``now``."""
    subject = email.strip().lower()
    if not ADDRESS.fullmatch(subject):
        raise StoreError(f"subject access: '{email[:80]}' is not an email address")
    contacts = session.exec(
        select(Contact)
        .where(func.lower(Contact.customer_address) == subject)
        .order_by(col(Contact.received_at), col(Contact.id))
    ).all()
    ids = [c.id for c in contacts if c.id is not None]
    keep = {subject, *(s.lower() for s in staff), *_handlers(session, contacts, ids)}
    export = SubjectAccessExport(subject=subject, generated_at=now)
    builder = _Builder(session, blobs, subject, Redactor(keep), export)
    for contact in contacts:
        export.contacts.append(builder.contact(contact))
    loose = session.exec(
        select(Message)
        .where(func.lower(Message.from_address) == subject, col(Message.contact_id).is_(None))
        .order_by(col(Message.received_at), col(Message.id))
    ).all()
    export.other_messages = [builder.message(m, "messages/other", "you") for m in loose]
    export.mentions = builder.mentions(ids)
    return export


def _handlers(session: Session, contacts: Iterable[Contact], ids: list[int]) -> set[str]:
    """Addresses of staff who handled, owned or commanded the subject's contacts."""
    found = {c.assigned_to for c in contacts if c.assigned_to}
    if ids:
        owners = session.exec(
            select(StageRecord.owner_address).where(col(StageRecord.contact_id).in_(ids))
        ).all()
        senders = session.exec(
            select(OfficerCommand.sender).where(col(OfficerCommand.contact_id).in_(ids))
        ).all()
        found |= {a for a in [*owners, *senders] if a}
    return {a.lower() for a in found}


class _Builder:
    """Turns rows into redacted entries and export files (one export at a time)."""

    def __init__(
        self,
        session: Session,
        blobs: BlobStore,
        subject: str,
        redact: Redactor,
        export: SubjectAccessExport,
    ) -> None:
        self.session, self.blobs, self.subject = session, blobs, subject
        self.redact, self.export = redact, export
        self.count = 0

    def contact(self, c: Contact) -> ContactEntry:
        assert c.id is not None
        r = self.redact.text
        entry = ContactEntry(
            reference=c.reference,
            facts={
                "Reference": c.reference,
                "Council": c.council,
                "Kind": c.kind.value,
                "Status": c.status.value,
                "Stage": c.stage,
                "Service": c.service,
                "Handled by": c.assigned_to,
                "Your name as recorded": c.customer_name,
                "Your address as recorded": c.customer_address,
                "Subject": r(c.subject),
                "Received": c.received_at,
                "Closed": c.closed_at,
                "Outcome": c.outcome.value if c.outcome else None,
                "Needs": ", ".join(c.needs),
                "Flags": ", ".join(c.flags),
                "Why it was classified and routed so": "; ".join(r(x) for x in c.reasons),
            },
        )
        base = f"contacts/{c.reference}"
        for m in self._rows(Message, Message.contact_id == c.id, Message.received_at):
            sender = m.from_address.lower()
            if sender == self.subject or sender in self.redact.keep:
                by = "you" if sender == self.subject else "staff"
                entry.messages.append(self.message(m, f"{base}/messages", by))
            else:
                entry.withheld.append(m.received_at)
        for s in self._rows(StageRecord, StageRecord.contact_id == c.id, StageRecord.number):
            entry.stages.append(s.model_dump(exclude={"id", "contact_id"}))
        for d in self._rows(Deadline, Deadline.contact_id == c.id, Deadline.due_at):
            entry.deadlines.append(
                {
                    "stage": d.stage,
                    "purpose": d.purpose.value,
                    "due": d.due_date,
                    "status": d.status.value,
                    "met_at": d.met_at,
                }
            )
        for n, letter in enumerate(
            self._rows(Letter, Letter.contact_id == c.id, Letter.created_at), 1
        ):
            path = self._blob(letter.blob, f"{base}/letters/{n}-{_safe(letter.template)}.docx")
            entry.letters.append(
                {"template": letter.template, "at": letter.created_at, "file": path}
            )
        for cmd in self._rows(OfficerCommand, OfficerCommand.contact_id == c.id, OfficerCommand.id):
            entry.notes.append(self._note(cmd))
        for row in self._rows(Outbox, Outbox.contact_id == c.id, Outbox.created_at):
            if row.kind != "sent_copy":
                entry.mails.append(self._mail(row))
        for a in self._rows(Audit, Audit.contact_id == c.id, Audit.at):
            entry.audit.append(self._audit(a))
        return entry

    def message(self, m: Message, folder: str, by: str) -> MessageEntry:
        """A message entry, its redacted raw ``.eml`` and its attachments written as files."""
        self.count += 1
        stem = f"{folder}/{self.count:03d}-{by}"
        eml = None
        if m.raw_blob:
            raw = self._bytes(m.raw_blob, f"{stem}.eml")
            if raw is not None:
                eml = self._add(f"{stem}.eml", self.redact.raw(raw))
        files = []
        for n, a in enumerate(m.attachments, 1):
            name = _safe(str(a.get("filename") or "attachment"))
            sha = a.get("blob")
            path = self._blob(sha, f"{stem}-attachments/{n}-{name}") if sha else None
            files.append({"filename": a.get("filename"), "size": a.get("size"), "file": path})
        return MessageEntry(
            at=m.received_at,
            sender=m.from_address if by == "you" else self.redact.text(m.from_address),
            by=by,
            subject=self.redact.text(m.subject),
            text=self.redact.text(m.text),
            eml=eml,
            attachments=files,
        )

    def mentions(self, own: list[int]) -> list[dict[str, Any]]:
        """Notes and audit entries outside the subject's contacts that name their address."""
        found: list[dict[str, Any]] = []
        notes = self.session.exec(
            select(OfficerCommand).where(
                col(OfficerCommand.argument).icontains(self.subject, autoescape=True),
                or_(
                    col(OfficerCommand.contact_id).not_in(own),
                    col(OfficerCommand.contact_id).is_(None),
                ),
            )
        ).all()
        found += [{"kind": "officer note", **self._note(n)} for n in notes]
        audits = self.session.exec(
            select(Audit)
            .where(
                cast(Audit.detail, String).icontains(self.subject, autoescape=True),
                or_(col(Audit.contact_id).not_in(own), col(Audit.contact_id).is_(None)),
            )
            .order_by(col(Audit.at))
        ).all()
        found += [{"kind": "audit entry", **self._audit(a)} for a in audits]
        return found

    def _note(self, cmd: OfficerCommand) -> dict[str, Any]:
        return {
            "at": cmd.created_at,
            "by": cmd.sender,
            "command": cmd.command,
            "text": self.redact.text(cmd.argument),
            "accepted": cmd.accepted,
        }

    def _mail(self, row: Outbox) -> dict[str, Any]:
        to_subject = any(r.lower() == self.subject for r in row.recipients)
        return {
            "at": row.done_at or row.created_at,
            "to": "you" if to_subject else ", ".join(self.redact.text(r) for r in row.recipients),
            "what": str(row.payload.get("purpose") or row.payload.get("template") or row.kind),
            "status": row.status.value,
        }

    def _audit(self, a: Audit) -> dict[str, Any]:
        return {
            "at": a.at,
            "by": self.redact.text(a.actor),
            "event": a.event,
            "detail": self.redact.value(a.detail),
        }

    def _rows(self, model: Any, where: Any, order: Any) -> list[Any]:
        return list(self.session.exec(select(model).where(where).order_by(order)).all())

    def _blob(self, sha: str, path: str) -> str | None:
        data = self._bytes(sha, path)
        return None if data is None else self._add(path, data)

    def _bytes(self, sha: str, path: str) -> bytes | None:
        try:
            return self.blobs.get(sha)
        except NotFound:
            self.export.missing.append(f"{path}: blob {sha} is no longer stored")
            return None

    def _add(self, path: str, data: bytes) -> str:
        self.export.files.append(ExportFile(path=path, data=data))
        return path


def _safe(name: str) -> str:
    """A file name from customer-supplied text: no directories, no leading dots, bounded."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name.replace("\\", "/").rsplit("/", 1)[-1])
    return cleaned.lstrip(".")[:100] or "file"
