"""An inbound pipeline on a real database (SQLite and PostgreSQL) with Stafford's rules."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from mailflow.config import MailboxConfig
from mailflow.ingest.source import Fetched
from mailflow.mail.limits import Limits
from mailflow.pipeline.inbound import Inbound
from mailflow.policy.council import load_policy
from mailflow.store.blobs import BlobStore

DATA = Path(__file__).resolve().parents[1] / "data"
NOW = datetime(2026, 11, 2, 10, 0, tzinfo=ZoneInfo("Europe/London"))


class Feeder:
    """Hands messages to the pipeline as the watcher would, with rising UIDs."""

    def __init__(self, inbound: Inbound) -> None:
        self.inbound = inbound
        self.uid = 0

    def feed(self, raw: bytes, *, uid: int | None = None, uidvalidity: int = 7) -> str | None:
        if uid is None:
            self.uid += 1
            uid = self.uid
        fetched = Fetched(mailbox="complaints", uidvalidity=uidvalidity, uid=uid, raw=raw)
        return self.inbound.process(fetched)


@pytest.fixture
def feeder(engine: Engine, tmp_path: Path) -> Feeder:
    """A pipeline for Stafford's complaints mailbox at a fixed instant."""
    inbound = Inbound(
        policy=load_policy("stafford"),
        engine=engine,
        blobs=BlobStore(tmp_path / "blobs"),
        mailbox=MailboxConfig(name="complaints", address="complaints@stafford.example"),
        own_addresses=frozenset({"complaints@stafford.example"}),
        limits=Limits(max_bytes=2 * 1024 * 1024),
        clock=lambda: NOW,
    )
    return Feeder(inbound)


def corpus(name: str) -> bytes:
    """A labelled sample email."""
    return (DATA / "corpus" / name).read_bytes()
