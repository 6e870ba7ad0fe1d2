"""Values come back from both engines exactly as mailflow stored them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from mailflow.errors import StoreError
from mailflow.store.db import session_scope
from mailflow.store.models import Contact, MailboxCheckpoint, Message
from mailflow.store.repo import get_checkpoint, set_checkpoint
from mailflow.store.vocab import Avoidable, ContactKind, MessageStatus
from tests.store.builders import NOW, contact, message

BRITISH_SUMMER_TIME = timezone(timedelta(hours=1))
UIDVALIDITY = 2**31 + 12_345  # Dovecot hands these out; PostgreSQL's integer would overflow
UID = 2**32 - 1  # the largest UID RFC 3501 allows


def test_aware_datetimes_come_back_as_the_same_instant_in_utc(engine: Engine) -> None:
    """An instant stored with a +01:00 offset reads back equal, aware, and in UTC."""
    received = datetime(2026, 6, 1, 17, 45, 30, 123456, tzinfo=BRITISH_SUMMER_TIME)
    with session_scope(engine) as session:
        session.add(contact("SBC-2026-00001", received_at=received))
    with Session(engine) as reader:
        stored = reader.exec(select(Contact)).one()
    assert stored.received_at == received
    assert stored.received_at.utcoffset() == timedelta(0)
    assert stored.received_at.hour == 16
    assert stored.created_at == NOW


def test_naive_datetimes_are_refused(engine: Engine) -> None:
    """A naive datetime cannot be stored, because its instant is ambiguous."""
    with pytest.raises(StoreError, match="naive datetime"), session_scope(engine) as session:
        session.add(contact("SBC-2026-00001", received_at=datetime(2026, 6, 1, 9, 0)))


def test_uidvalidity_and_uid_above_2_31_round_trip(engine: Engine) -> None:
    """IMAP UIDVALIDITY and UID past the signed 32-bit range are stored and read back intact."""
    with session_scope(engine) as session:
        session.add(message(uidvalidity=UIDVALIDITY, uid=UID))
        set_checkpoint(session, "INBOX", uidvalidity=UIDVALIDITY, last_uid=UID, at=NOW)
    with Session(engine) as reader:
        stored = reader.exec(select(Message)).one()
        checkpoint = get_checkpoint(reader, "INBOX")
    assert (stored.uidvalidity, stored.uid) == (UIDVALIDITY, UID)
    assert isinstance(checkpoint, MailboxCheckpoint)
    assert (checkpoint.uidvalidity, checkpoint.last_uid) == (UIDVALIDITY, UID)


def test_checkpoint_is_absent_until_set_and_then_moves_on(session: Session) -> None:
    """A mailbox never read has no checkpoint; setting it again overwrites UIDVALIDITY and UID."""
    assert get_checkpoint(session, "INBOX") is None
    set_checkpoint(session, "INBOX", uidvalidity=7, last_uid=10, at=NOW)
    set_checkpoint(session, "INBOX", uidvalidity=8, last_uid=3, at=NOW + timedelta(minutes=1))
    session.commit()
    checkpoint = get_checkpoint(session, "INBOX")
    assert checkpoint is not None
    assert (checkpoint.uidvalidity, checkpoint.last_uid) == (8, 3)
    assert checkpoint.updated_at == NOW + timedelta(minutes=1)


def test_json_lists_and_vocabularies_round_trip(engine: Engine) -> None:
    """Lists, dicts and vocabulary values read back as the same Python values and enum members."""
    attachments = [{"filename": "photo.jpg", "content_type": "image/jpeg", "size": 3, "blob": "a"}]
    with session_scope(engine) as session:
        session.add(
            contact(
                "SBC-2026-00001",
                needs=["large_print"],
                flags=["unacceptable_actions"],
                reasons=["phrase 'not collected'", "sender is a resident"],
                avoidable=Avoidable.CHASING,
            )
        )
        session.add(message(attachments=attachments, status=MessageStatus.QUARANTINED))
    with Session(engine) as reader:
        stored = reader.exec(select(Contact)).one()
        stored_message = reader.exec(select(Message)).one()
    assert stored.needs == ["large_print"]
    assert stored.reasons == ["phrase 'not collected'", "sender is a resident"]
    assert stored.kind is ContactKind.COMPLAINT
    assert stored.avoidable is Avoidable.CHASING
    assert stored_message.attachments == attachments
    assert stored_message.status is MessageStatus.QUARANTINED


def test_a_value_outside_a_vocabulary_is_refused(engine: Engine) -> None:
    """A misspelt kind never reaches the database."""
    with pytest.raises(StoreError, match="complaynt"), session_scope(engine) as session:
        session.add(contact("SBC-2026-00001", kind="complaynt"))
