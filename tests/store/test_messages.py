"""A message is recorded once, however often a watcher sees it (insert_message_once)."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from mailflow.errors import StoreError
from mailflow.store import repo
from mailflow.store.db import session_scope
from mailflow.store.models import Message
from mailflow.store.repo import insert_message_once
from tests.store.builders import message


def _count(engine: Engine) -> int:
    with Session(engine) as reader:
        return len(reader.exec(select(Message)).all())


def test_the_same_imap_message_seen_twice_is_recorded_once(engine: Engine) -> None:
    """Re-reading mailbox, UIDVALIDITY and UID after a reconnect returns the row already stored."""
    with session_scope(engine) as session:
        first, inserted_first = insert_message_once(session, message())
    with session_scope(engine) as session:
        again, inserted_again = insert_message_once(session, message(subject="re-read"))
    assert (inserted_first, inserted_again) == (True, False)
    assert again.id == first.id
    assert again.subject == "bins"
    assert _count(engine) == 1


def test_the_same_bytes_arriving_in_a_second_mailbox_are_recorded_once(engine: Engine) -> None:
    """A message copied to complaints@ and info@ (same Message-ID and content) is one message."""
    with session_scope(engine) as session:
        first, _ = insert_message_once(session, message())
        copy, inserted = insert_message_once(session, message(mailbox="info@council.test/INBOX"))
    assert inserted is False
    assert copy.id == first.id
    assert _count(engine) == 1


def test_a_different_message_reusing_a_message_id_is_recorded(engine: Engine) -> None:
    """A Message-ID reused with different content is a new message, not silently dropped."""
    other_hash = hashlib.sha256(b"different bytes").hexdigest()
    with session_scope(engine) as session:
        insert_message_once(session, message())
        _, inserted = insert_message_once(session, message(uid=2, content_hash=other_hash))
    assert inserted is True
    assert _count(engine) == 2


def test_a_duplicate_inside_a_transaction_keeps_the_transaction_usable(engine: Engine) -> None:
    """Finding a duplicate does not spoil the caller's transaction: its other work commits."""
    with session_scope(engine) as session:
        insert_message_once(session, message())
    with session_scope(engine) as session:
        insert_message_once(session, message())
        insert_message_once(session, message(uid=2, message_id="<m2@example.org>"))
    assert _count(engine) == 2


def test_losing_an_insert_race_returns_the_winners_row(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If another watcher stores the message between the check and the insert, its row is used."""
    with session_scope(engine) as session:
        winner, _ = insert_message_once(session, message())
    real_lookup = repo._stored_copy
    calls: list[int] = []

    def lookup_that_misses_once(session: Session, candidate: Message) -> Message | None:
        calls.append(1)
        return None if len(calls) == 1 else real_lookup(session, candidate)

    monkeypatch.setattr(repo, "_stored_copy", lookup_that_misses_once)
    with session_scope(engine) as session:
        stored, inserted = insert_message_once(session, message())
        insert_message_once(session, message(uid=2, message_id="<m2@example.org>"))
    assert (stored.id, inserted, len(calls)) == (winner.id, False, 3)
    assert _count(engine) == 2


def test_a_plain_second_insert_of_the_same_imap_message_is_a_store_error(engine: Engine) -> None:
    """Bypassing insert_message_once, the unique (mailbox, uidvalidity, uid) refuses a copy."""
    with session_scope(engine) as session:
        session.add(message())
    with pytest.raises(StoreError, match="uid"), session_scope(engine) as session:
        session.add(message(message_id="<other@example.org>"))
    assert _count(engine) == 1
