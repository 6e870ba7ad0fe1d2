"""The case store's tables: the database is the single source of truth for mailflow.

Conventions, so both engines hold the same thing:
- every instant is an ``AwareDateTime`` (aware UTC in, aware UTC out); dates are ``date``;
- closed vocabularies are ``StrEnum`` values in ``VARCHAR(32)`` (see ``vocab.py``);
- JSON columns hold plain lists and dicts; they are not change-tracked in place, so assign a new
  list (``contact.flags = [*contact.flags, "triage"]``) rather than appending to the old one;
- IMAP UIDVALIDITY and UID are ``BigInteger``: unsigned 32-bit values overflow ``integer``;
- nothing defaults to "now": the clock is a parameter everywhere in mailflow, so callers pass
  ``created_at`` and friends explicitly.

``migrations/versions/`` creates exactly these tables (0001 the case store, 0002 the scheduled
notices, 0003 the data-protection columns); a test compares the two.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Connection,
    Index,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapper, registry
from sqlmodel import Field, SQLModel

from mailflow.errors import StoreError
from mailflow.store.columns import NAMING, AwareDateTime, vocab
from mailflow.store.vocab import (
    Avoidable,
    Channel,
    ContactKind,
    ContactStatus,
    DeadlineBasis,
    DeadlinePurpose,
    DeadlineStatus,
    Direction,
    LetterVariant,
    MessageStatus,
    NoticeKind,
    NoticeStatus,
    OutboxStatus,
    Outcome,
)


class StoreModel(SQLModel, registry=registry(metadata=MetaData(naming_convention=NAMING))):
    """Base of mailflow's tables: its own metadata, so ``StoreModel.metadata`` is exactly ours."""


def table_of(model: type[StoreModel]) -> Table:
    """The Core ``Table`` behind a table model, for upserts and bulk statements."""
    table = getattr(model, "__table__", None)
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not a table model")
    return table


class Contact(StoreModel, table=True):
    """One customer approach; ``is_case`` marks the ones running the complaints procedure."""

    # A customer's contacts are found by address, case-blind (sender history, daily cap; 0004).
    __table_args__ = (Index("ix_contact_customer_address_lower", text("lower(customer_address)")),)

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=32, unique=True)
    council: str = Field(max_length=64, index=True)
    kind: ContactKind = Field(sa_type=vocab(ContactKind))
    channel: Channel = Field(sa_type=vocab(Channel))
    service: str | None = Field(default=None, max_length=64)
    route: str | None = Field(default=None, max_length=64)
    assigned_to: str | None = None
    is_case: bool = False
    stage: int | None = None
    status: ContactStatus = Field(default=ContactStatus.OPEN, sa_type=vocab(ContactStatus))
    outcome: Outcome | None = Field(default=None, sa_type=vocab(Outcome))
    customer_address: str
    customer_name: str = ""
    subject: str = ""
    signpost: str | None = Field(default=None, max_length=64)
    needs: list[str] = Field(default_factory=list, sa_type=JSON)
    anonymous: bool = False
    avoidable: Avoidable | None = Field(default=None, sa_type=vocab(Avoidable))
    flags: list[str] = Field(default_factory=list, sa_type=JSON)
    confidence: float = 1.0
    reasons: list[str] = Field(default_factory=list, sa_type=JSON)
    received_at: datetime = Field(sa_type=AwareDateTime)
    created_at: datetime = Field(sa_type=AwareDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    linked_contact_id: int | None = Field(default=None, foreign_key="contact.id")
    legal_hold: bool = False
    awaiting_since: datetime | None = Field(default=None, sa_type=AwareDateTime)
    # Set when retention or an erasure removed the personal data (0003); facts stay.
    anonymised_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    legal_hold_reason: str | None = Field(default=None, sa_type=Text)


class ReferenceCounter(StoreModel, table=True):
    """The last reference number handed out per prefix and year (``repo.next_reference``)."""

    __tablename__ = "reference_counter"

    prefix: str = Field(max_length=16, primary_key=True)
    year: int = Field(primary_key=True)
    last: int = 0


class Blob(StoreModel, table=True):
    """A stored byte string (raw message, attachment, letter); the bytes live in ``BlobStore``."""

    sha256: str = Field(max_length=64, primary_key=True)
    size: int = Field(sa_type=BigInteger)
    created_at: datetime = Field(sa_type=AwareDateTime)


class Message(StoreModel, table=True):
    """One mail in or out, kept with its IMAP position so it is recorded exactly once."""

    __table_args__ = (
        UniqueConstraint("mailbox", "uidvalidity", "uid"),
        UniqueConstraint("message_id", "content_hash"),
    )

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int | None = Field(default=None, foreign_key="contact.id", index=True)
    direction: Direction = Field(sa_type=vocab(Direction))
    mailbox: str | None = None
    uidvalidity: int | None = Field(default=None, sa_type=BigInteger)
    uid: int | None = Field(default=None, sa_type=BigInteger)
    message_id: str
    in_reply_to: str | None = None
    references: str = Field(default="", sa_type=Text)
    from_address: str
    from_name: str = ""
    to_addresses: list[str] = Field(default_factory=list, sa_type=JSON)
    subject: str = ""
    date_header: datetime | None = Field(default=None, sa_type=AwareDateTime)
    received_at: datetime = Field(sa_type=AwareDateTime)
    content_hash: str = Field(max_length=64)
    raw_blob: str | None = Field(default=None, max_length=64, foreign_key="blob.sha256")
    text: str = Field(default="", sa_type=Text)
    status: MessageStatus = Field(default=MessageStatus.RECORDED, sa_type=vocab(MessageStatus))
    quarantine_reason: str | None = Field(default=None, sa_type=Text)
    attachments: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)


class StageRecord(StoreModel, table=True):
    """A case's passage through one stage of its council's procedure."""

    __tablename__ = "stage_record"
    __table_args__ = (UniqueConstraint("contact_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id")
    number: int
    owner_role: str = Field(max_length=64)
    owner_address: str | None = None
    opened_at: datetime = Field(sa_type=AwareDateTime)
    acknowledged_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    responded_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    outcome: Outcome | None = Field(default=None, sa_type=vocab(Outcome))
    extensions: int = 0


class Deadline(StoreModel, table=True):
    """A due instant on a working-day calendar; ``explain`` says how it was computed."""

    __table_args__ = (Index(None, "status", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    stage: int | None = None
    purpose: DeadlinePurpose = Field(sa_type=vocab(DeadlinePurpose))
    calendar: str = Field(max_length=64)
    basis: DeadlineBasis = Field(sa_type=vocab(DeadlineBasis))
    due_date: date
    due_at: datetime = Field(sa_type=AwareDateTime)
    original_due_date: date
    status: DeadlineStatus = Field(default=DeadlineStatus.OPEN, sa_type=vocab(DeadlineStatus))
    met_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    explain: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    # The due instant the scheduled notices were planned from (None: none planned): a running
    # deadline whose due_at differs, or a stopped one that still has it, is planned again.
    notices_planned_for: datetime | None = Field(default=None, sa_type=AwareDateTime, index=True)


class Outbox(StoreModel, table=True):
    """Work to do after commit (transactional outbox); ``message_id`` is fixed when written."""

    __table_args__ = (Index(None, "status", "not_before"),)

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int | None = Field(default=None, foreign_key="contact.id", index=True)
    kind: str = Field(max_length=32)
    status: OutboxStatus = Field(default=OutboxStatus.PENDING, sa_type=vocab(OutboxStatus))
    message_id: str = Field(unique=True)
    recipients: list[str] = Field(default_factory=list, sa_type=JSON)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    not_before: datetime = Field(sa_type=AwareDateTime)
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_type=Text)
    claimed_by: str | None = None
    claimed_until: datetime | None = Field(default=None, sa_type=AwareDateTime)
    created_at: datetime = Field(sa_type=AwareDateTime)
    done_at: datetime | None = Field(default=None, sa_type=AwareDateTime)


class Notification(StoreModel, table=True):
    """A reminder, escalation, breach warning or digest, planned ahead and sent exactly once.

    ``dedupe_key`` is unique per (deadline, kind, recipient role, due instant), digests keyed by
    their rule instead of a deadline, so two schedulers planning the same notice store one row.
    ``deadline_due_at`` is the deadline's due instant the notice was planned from: a notice
    whose deadline has moved since is cancelled when claimed, never sent.
    """

    __table_args__ = (Index(None, "status", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    council: str = Field(max_length=64, index=True)
    dedupe_key: str = Field(max_length=255, unique=True)
    contact_id: int | None = Field(default=None, foreign_key="contact.id", index=True)
    deadline_id: int | None = Field(default=None, foreign_key="deadline.id", index=True)
    kind: NoticeKind = Field(sa_type=vocab(NoticeKind))
    recipient_role: str = Field(max_length=64)
    recipient_address: str | None = None
    due_at: datetime = Field(sa_type=AwareDateTime)
    deadline_due_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    plan: str = Field(max_length=64)
    step: str = ""
    status: NoticeStatus = Field(default=NoticeStatus.PENDING, sa_type=vocab(NoticeStatus))
    reason: str | None = None
    claimed_by: str | None = None
    sent_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    outbox_message_id: str | None = None
    created_at: datetime = Field(sa_type=AwareDateTime)


class Letter(StoreModel, table=True):
    """A rendered letter sent at a stage; its document is a blob."""

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    template: str
    variant: LetterVariant = Field(default=LetterVariant.STANDARD, sa_type=vocab(LetterVariant))
    blob: str = Field(max_length=64, foreign_key="blob.sha256")
    created_at: datetime = Field(sa_type=AwareDateTime)


class OfficerCommand(StoreModel, table=True):
    """A command found in an officer's reply, kept whether or not it was accepted."""

    __tablename__ = "officer_command"

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    message_id: int | None = Field(default=None, foreign_key="message.id")
    sender: str
    command: str = Field(max_length=32)
    argument: str = Field(default="", sa_type=Text)
    accepted: bool
    reason: str = ""
    created_at: datetime = Field(sa_type=AwareDateTime)


class Audit(StoreModel, table=True):
    """One thing that happened, append-only: ``repo.add_audit`` writes it, nothing changes it."""

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int | None = Field(default=None, foreign_key="contact.id", index=True)
    at: datetime = Field(sa_type=AwareDateTime)
    actor: str
    event: str = Field(max_length=64)
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


@event.listens_for(Audit, "before_update")
@event.listens_for(Audit, "before_delete")
def _refuse_audit_change(_mapper: Mapper[Audit], _connection: Connection, target: Audit) -> None:
    """Keep the audit trail append-only even against a stray ORM change."""
    raise StoreError(f"audit row {target.id} is append-only: it cannot be changed or deleted")


class MailboxCheckpoint(StoreModel, table=True):
    """How far a watcher has read a mailbox; a new UIDVALIDITY means the UIDs start over."""

    __tablename__ = "mailbox_checkpoint"

    mailbox: str = Field(primary_key=True)
    uidvalidity: int = Field(sa_type=BigInteger)
    last_uid: int = Field(sa_type=BigInteger)
    updated_at: datetime = Field(sa_type=AwareDateTime)


class Lease(StoreModel, table=True):
    """A named, expiring claim (e.g. one watcher per mailbox across several daemons)."""

    name: str = Field(primary_key=True)
    holder: str
    expires_at: datetime = Field(sa_type=AwareDateTime)
