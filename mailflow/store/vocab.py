"""The closed vocabularies the store records, as string enums so code compares them to plain text.

They live apart from the table models and import nothing, so pure code (classifier, workflow,
reports) can use them without pulling in SQLAlchemy. The database stores the ``value`` strings in
plain ``VARCHAR(32)`` columns (no native enum types): adding a member needs no migration, while
the store still refuses a value that is not a member.
"""

from __future__ import annotations

from enum import StrEnum


class ContactKind(StrEnum):
    """What a customer's approach is (DESIGN "Concepts: Contact")."""

    COMPLAINT = "complaint"
    COMMENT = "comment"
    COMPLIMENT = "compliment"
    SERVICE_REQUEST = "service_request"
    INFORMATION_REQUEST = "information_request"
    FOI_REQUEST = "foi_request"
    OUT_OF_PROCEDURE = "out_of_procedure"
    THIRD_PARTY = "third_party"
    ABUSIVE = "abusive"
    JUNK = "junk"
    AUTO_REPLY = "auto_reply"


class Channel(StrEnum):
    """How the contact reached the council; the policies set different timescales per channel."""

    EMAIL = "email"
    WEB = "web"
    TEXT = "text"
    LETTER = "letter"
    FAX = "fax"
    PHONE = "phone"
    IN_PERSON = "in_person"


class ContactStatus(StrEnum):
    """Where a contact stands: waiting on the council, waiting on the customer, or finished."""

    OPEN = "open"
    AWAITING_CUSTOMER = "awaiting_customer"
    CLOSED = "closed"


class Outcome(StrEnum):
    """The monitored outcome of a complaint or stage (Stafford monitoring; Chorley reporting)."""

    UPHELD = "upheld"
    PARTLY_UPHELD = "partly_upheld"
    NOT_UPHELD = "not_upheld"
    RESOLVED = "resolved"
    UNRESOLVED = "unresolved"


class Avoidable(StrEnum):
    """Why a contact was avoidable (Chorley: chasing, clarification, service not done)."""

    CHASING = "chasing"
    CLARIFICATION = "clarification"
    SERVICE_NOT_DONE = "service_not_done"


class Direction(StrEnum):
    """Whether a message came in to the council or went out from it."""

    IN = "in"
    OUT = "out"


class MessageStatus(StrEnum):
    """What the pipeline did with a message, so nothing is silently dropped."""

    RECORDED = "recorded"
    AUTOMATIC = "automatic"
    QUARANTINED = "quarantined"
    BOUNCE = "bounce"
    OFFICER_REPLY = "officer_reply"
    IGNORED = "ignored"


class DeadlinePurpose(StrEnum):
    """Which promise a deadline tracks: the acknowledgement or the full response."""

    ACKNOWLEDGE = "acknowledge"
    RESPOND = "respond"


class DeadlineBasis(StrEnum):
    """The day a deadline counts from: receipt of the contact or its acknowledgement."""

    RECEIPT = "receipt"
    ACKNOWLEDGEMENT = "acknowledgement"


class DeadlineStatus(StrEnum):
    """The life of a deadline; only ``open`` ones are watched by the scheduler."""

    OPEN = "open"
    MET = "met"
    MISSED = "missed"
    CANCELLED = "cancelled"
    PAUSED = "paused"


class OutboxStatus(StrEnum):
    """The life of an outbox row: written with the state change, claimed, then done or failed."""

    PENDING = "pending"
    CLAIMED = "claimed"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class LetterVariant(StrEnum):
    """The format a letter was produced in (large print on request, per both policies)."""

    STANDARD = "standard"
    LARGE_PRINT = "large_print"


class NoticeKind(StrEnum):
    """What a scheduled notice is: before a deadline, at its lapse, or a list of overdue ones."""

    REMINDER = "reminder"
    ESCALATION = "escalation"
    BREACH_WARNING = "breach_warning"
    DIGEST = "digest"


class NoticeStatus(StrEnum):
    """The life of a notice: planned, then sent once, or cancelled or skipped with a reason."""

    PENDING = "pending"
    SENT = "sent"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"
