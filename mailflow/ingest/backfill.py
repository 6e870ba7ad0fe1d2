"""Putting old mail through the inbound pipeline again, once: what replay and import share.

A message is *already recorded* when the store holds it by position (mailbox, UIDVALIDITY,
UID) or by content (Message-ID and content hash; the SHA-256 stand-in for mail that would not
parse) — the same two keys ``store.repo.insert_message_once`` deduplicates on — so it is
counted and skipped without touching the pipeline, and running a backfill twice records and
queues nothing the second time. Anything else goes through ``Inbound.handle`` exactly as the
watcher hands it over, with the pipeline's clock set to when the message was received (its
Date header, never later than now), so its deadlines count from then.
"""

from __future__ import annotations

import email.utils
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import Any

from sqlmodel import Session, select

from mailflow.errors import MailError
from mailflow.ingest.source import Fetched
from mailflow.mail.parse import parse_message
from mailflow.pipeline.inbound import Inbound
from mailflow.store.db import session_scope
from mailflow.store.models import Message
from mailflow.store.repo import message_at


@dataclass
class Counts:
    """What a backfill did with the messages it looked at."""

    seen: int = 0
    already_recorded: int = 0
    recorded: int = 0
    quarantined: int = 0
    before_since: int = 0  # older than the date asked for: not looked at further

    def as_json(self) -> dict[str, int]:
        return {
            "seen": self.seen,
            "already_recorded": self.already_recorded,
            "recorded": self.recorded,
            "quarantined": self.quarantined,
            "before_since": self.before_since,
        }


class ReceivedClock:
    """The pipeline's clock during a backfill: the message's own receipt instant while it is
    processed, the real time otherwise."""

    def __init__(self, real: Callable[[], datetime]) -> None:
        self.real = real
        self.at: datetime | None = None

    def __call__(self) -> datetime:
        return self.at or self.real()


def received_at(raw: bytes, now: datetime) -> datetime:
    """When a message was received, as its Date header says (a zone-less date read as UTC),
    never later than ``now``; ``now`` when there is no readable Date."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    value = BytesHeaderParser(policy=compat32).parsebytes(head).get("Date")
    if value is None:
        return now
    try:
        when = email.utils.parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError):
        return now
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(when, now)


def content_key(inbound: Inbound, raw: bytes) -> tuple[str, str]:
    """(Message-ID, content hash) as the pipeline records the message, quarantined or not."""
    try:
        parsed = parse_message(raw, limits=inbound.limits)
    except MailError:
        digest = hashlib.sha256(raw).hexdigest()
        return f"<sha256-{digest}@mailflow.invalid>", digest
    return parsed.message_id, parsed.content_hash


def stored(session: Session, fetched: Fetched, key: tuple[str, str]) -> Message | None:
    """The stored row of ``fetched``: by position, by content, or as a quarantined copy (a
    message that parsed but failed later is kept under its SHA-256)."""
    by_position = message_at(session, fetched.mailbox, fetched.uidvalidity, fetched.uid)
    if by_position is not None:
        return by_position
    digest = hashlib.sha256(fetched.raw).hexdigest()
    for message_id, content_hash in (key, (f"<sha256-{digest}@mailflow.invalid>", digest)):
        found = session.exec(
            select(Message).where(
                Message.message_id == message_id, Message.content_hash == content_hash
            )
        ).first()
        if found is not None:
            return found
    return None


@dataclass
class Backfill:
    """One backfill run over an ``Inbound`` whose clock is ``clock``."""

    inbound: Inbound
    clock: ReceivedClock
    counts: Counts

    async def take(self, fetched: Fetched, received: datetime) -> Message | None:
        """Record ``fetched`` as received at ``received`` unless it is already recorded;
        returns the row recorded now, or None if it was already there."""
        self.counts.seen += 1
        key = content_key(self.inbound, fetched.raw)
        with session_scope(self.inbound.engine) as session:
            if stored(session, fetched, key) is not None:
                self.counts.already_recorded += 1
                return None
        self.clock.at = received
        try:
            folder = await self.inbound.handle(fetched)
        finally:
            self.clock.at = None
        if folder == self.inbound.mailbox.folders.quarantine:
            self.counts.quarantined += 1
        else:
            self.counts.recorded += 1
        with session_scope(self.inbound.engine) as session:
            row = stored(session, fetched, key)
            if row is not None:
                session.expunge(row)
            return row


def summary(counts: Counts, **about: Any) -> dict[str, Any]:
    """The JSON a backfill command prints."""
    return {**about, **counts.as_json()}
