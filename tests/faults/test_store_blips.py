"""A database connection lost mid-message is retried, never blamed on the message."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import select

from mailflow.config import MailboxConfig
from mailflow.errors import StoreError
from mailflow.ingest.source import Fetched
from mailflow.mail.limits import Limits
from mailflow.pipeline import inbound as inbound_module
from mailflow.pipeline.inbound import Inbound
from mailflow.policy.council import load_policy
from mailflow.store import repo
from mailflow.store.blobs import BlobStore
from mailflow.store.db import session_scope
from mailflow.store.models import Contact, Message
from mailflow.store.vocab import MessageStatus
from tests.faults.mails import variants

NOW = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def pipeline(engine: Engine, tmp_path: Path) -> Inbound:
    return Inbound(
        policy=load_policy("stafford"),
        engine=engine,
        blobs=BlobStore(tmp_path / "blobs"),
        mailbox=MailboxConfig(name="complaints", address="complaints@council.test"),
        own_addresses=frozenset({"complaints@council.test"}),
        limits=Limits(),
        clock=lambda: NOW,
    )


def failing_first(times: int, error: Exception) -> Callable[..., Any]:
    """``insert_message_once`` that raises ``error`` on its first ``times`` calls, except for
    the quarantine record."""
    real = repo.insert_message_once
    calls = {"n": 0}

    def insert(session: Any, message: Message) -> Any:
        calls["n"] += 1
        if calls["n"] <= times and message.status is not MessageStatus.QUARANTINED:
            raise error
        return real(session, message)

    return insert


def stored(engine: Engine) -> list[Message]:
    with session_scope(engine) as s:
        return list(s.exec(select(Message)))


async def test_lost_database_connection_is_retried_and_the_message_recorded_normally(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fault: the connection drops twice mid-transaction; the third attempt records the
    message as a new contact, and nothing goes to quarantine."""
    lost = OperationalError("INSERT", {}, Exception("server closed the connection unexpectedly"))
    monkeypatch.setattr(inbound_module, "insert_message_once", failing_first(2, lost))
    monkeypatch.setattr(inbound_module, "STORE_RETRIES", (0.01, 0.01, 0.01))
    [raw] = variants(1, run="blip")
    fetched = Fetched(mailbox="complaints", uidvalidity=1, uid=1, raw=raw)
    assert await pipeline(engine, tmp_path).handle(fetched) == "Processed"
    [message] = stored(engine)
    assert message.status is MessageStatus.RECORDED
    with session_scope(engine) as s:
        assert len(list(s.exec(select(Contact)))) == 1


async def test_database_away_for_good_leaves_the_message_in_the_mailbox_unquarantined(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fault: the connection never comes back; the handler fails (the watcher leaves the
    message in the mailbox for later) and no quarantine record blames the message."""
    lost = OperationalError("INSERT", {}, Exception("connection refused"))
    monkeypatch.setattr(inbound_module, "insert_message_once", failing_first(99, lost))
    monkeypatch.setattr(inbound_module, "STORE_RETRIES", (0.01, 0.01))
    [raw] = variants(1, run="away")
    fetched = Fetched(mailbox="complaints", uidvalidity=1, uid=1, raw=raw)
    with pytest.raises(StoreError):
        await pipeline(engine, tmp_path).handle(fetched)
    assert stored(engine) == []


async def test_a_constraint_violation_is_still_quarantined_with_its_reason(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store error that retrying cannot cure quarantines the message, as before."""
    broken = IntegrityError("INSERT", {}, Exception("violates check constraint"))
    monkeypatch.setattr(inbound_module, "insert_message_once", failing_first(99, broken))
    [raw] = variants(1, run="integrity")
    fetched = Fetched(mailbox="complaints", uidvalidity=1, uid=1, raw=raw)
    assert await pipeline(engine, tmp_path).handle(fetched) == "Quarantine"
    [message] = stored(engine)
    assert message.status is MessageStatus.QUARANTINED
    assert "violates check constraint" in (message.quarantine_reason or "")
