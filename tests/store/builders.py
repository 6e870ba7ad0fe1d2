"""Rows with sensible defaults for store tests, so each test states only what it is about."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from mailflow.store.models import Contact, Deadline, Message
from mailflow.store.vocab import Channel, ContactKind, DeadlineBasis, DeadlinePurpose, Direction

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def contact(reference: str, **overrides: Any) -> Contact:
    """A complaint by email from a resident, received at NOW."""
    values: dict[str, Any] = {
        "reference": reference,
        "council": "stafford",
        "kind": ContactKind.COMPLAINT,
        "channel": Channel.EMAIL,
        "is_case": True,
        "stage": 1,
        "customer_address": "resident@example.org",
        "customer_name": "A Resident",
        "subject": "Bins not collected",
        "received_at": NOW,
        "created_at": NOW,
    }
    values.update(overrides)
    return Contact(**values)


def deadline(contact_id: int, due_at: datetime, **overrides: Any) -> Deadline:
    """An open response deadline for stage 1, due at ``due_at``."""
    values: dict[str, Any] = {
        "contact_id": contact_id,
        "stage": 1,
        "purpose": DeadlinePurpose.RESPOND,
        "calendar": "england-and-wales",
        "basis": DeadlineBasis.RECEIPT,
        "due_date": due_at.date(),
        "due_at": due_at,
        "original_due_date": due_at.date(),
    }
    values.update(overrides)
    return Deadline(**values)


def message(
    raw: bytes = b"Subject: bins\r\n\r\nStill not collected.\r\n", **overrides: Any
) -> Message:
    """An incoming message at INBOX UIDVALIDITY 1 UID 1, with the content hash of ``raw``."""
    values: dict[str, Any] = {
        "direction": Direction.IN,
        "mailbox": "complaints@council.test/INBOX",
        "uidvalidity": 1,
        "uid": 1,
        "message_id": "<m1@example.org>",
        "from_address": "resident@example.org",
        "to_addresses": ["complaints@council.test"],
        "subject": "bins",
        "received_at": NOW,
        "content_hash": hashlib.sha256(raw).hexdigest(),
    }
    values.update(overrides)
    return Message(**values)


def later(**delta: float) -> datetime:
    """NOW moved on by a ``timedelta(**delta)``."""
    return NOW + timedelta(**delta)
