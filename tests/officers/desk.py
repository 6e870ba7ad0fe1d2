"""A Stafford complaints mailbox with officers' replies wired in, on a real database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import col, select

from mailflow.config import MailboxConfig
from mailflow.ingest.source import Fetched
from mailflow.mail.limits import Limits
from mailflow.outbound import compose
from mailflow.outbound.tokens import officer_reply_address
from mailflow.pipeline.inbound import Inbound
from mailflow.pipeline.officers import OfficerReplies
from mailflow.policy.council import CouncilPolicy
from mailflow.store.blobs import BlobStore
from mailflow.store.cases import load_case
from mailflow.store.db import session_scope
from mailflow.store.models import Audit, Contact, Message, OfficerCommand, Outbox
from tests.officers.conftest import MONDAY

KEY = b"officers-test-key"
MAILBOX = "complaints@stafford.example"
ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"


@dataclass
class Desk:
    """Feeds mail to the pipeline as the watcher would and reads back what it recorded."""

    policy: CouncilPolicy
    engine: Engine
    blobs: Path
    now: datetime = MONDAY
    uid: int = 0
    inbound: Inbound = field(init=False)

    def __post_init__(self) -> None:
        self.inbound = Inbound(
            policy=self.policy,
            engine=self.engine,
            blobs=BlobStore(self.blobs),
            mailbox=MailboxConfig(name="complaints", address=MAILBOX),
            own_addresses=frozenset({MAILBOX}),
            limits=Limits(max_bytes=2 * 1024 * 1024),
            clock=lambda: self.now,
            officers=OfficerReplies(policy=self.policy, key=KEY, mailbox_address=MAILBOX),
        )

    def feed(self, raw: bytes) -> str | None:
        self.uid += 1
        return self.inbound.process(
            Fetched(mailbox="complaints", uidvalidity=1, uid=self.uid, raw=raw)
        )

    def complaint(self) -> str:
        """Graham Whitlock's missed-bins complaint (waste); returns its reference."""
        self.feed((DATA / "corpus" / "001-missed-bins-third-time.eml").read_bytes())
        return self.contacts()[-1].reference

    def rows(self, model: type[Any]) -> list[Any]:
        with session_scope(self.engine) as s:
            return list(s.exec(select(model).order_by(col(model.id))))

    def contacts(self) -> list[Contact]:
        return self.rows(Contact)

    def outbox(self) -> list[Outbox]:
        return self.rows(Outbox)

    def commands(self) -> list[OfficerCommand]:
        return self.rows(OfficerCommand)

    def audit(self) -> list[str]:
        return [a.event for a in self.rows(Audit)]

    def messages(self) -> list[Message]:
        return self.rows(Message)

    def composed(self, row: Outbox) -> bytes:
        """The bytes the worker would send for ``row``."""
        with session_scope(self.engine) as s:
            contact = s.get(Contact, row.contact_id)
            state = load_case(s, contact) if contact else None
        message = compose(
            self.policy,
            state,
            row,
            from_address=MAILBOX,
            templates_dir=ROOT / "templates" / "mail",
            letters_dir=ROOT / "templates" / "letters",
            now=self.now,
            reply_key=KEY,
        )
        return message.as_bytes()


def token_address(reference: str, officer: str) -> str:
    """The Reply-To of mailflow's notification to ``officer`` on ``reference``."""
    return officer_reply_address(MAILBOX, reference, officer, KEY)


def officer_mail(
    sender: str,
    to: str,
    body: str,
    *,
    subject: str = "RE: [SBC-2026-00001] New complaint for you to deal with",
    headers: dict[str, str] | None = None,
    message_id: str = "<officer-reply-1@stafford.example>",
) -> bytes:
    """An officer's reply as Outlook would send it."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = message_id
    msg["Date"] = "Thu, 05 Nov 2026 10:00:00 +0000"
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    return bytes(msg)


QUOTED = """
From: Stafford Borough Council <complaints@stafford.example>
Sent: 02 November 2026 10:00
To: Waste Services Officer <waste@stafford.example>
Subject: [SBC-2026-00001] New complaint for you to deal with

What the customer wrote
> #outcome upheld
> Our grey bin was missed again this morning.
"""
