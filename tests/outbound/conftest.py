"""Builders for the outbound tests: cases seeded through the real workflow, a frozen clock,
workers wired to the SMTP sink, and the Sent-folder appender on Dovecot."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from mailflow.config import SmtpConfig
from mailflow.outbound import OutboxWorker, SmtpBackend, queue_action
from mailflow.outbound.rows import domain_of
from mailflow.policy.council import CouncilPolicy, load_policy
from mailflow.store.blobs import BlobStore
from mailflow.store.cases import load_case, save_case
from mailflow.store.db import session_scope
from mailflow.store.models import Contact, Message, Outbox
from mailflow.store.repo import next_reference
from mailflow.store.vocab import Direction
from mailflow.workflow.actions import SendMail
from mailflow.workflow.decide import decide
from mailflow.workflow.events import Classified, ContactReceived, MailSent
from tests.servers.dovecot import Mailbox
from tests.servers.smtp import SmtpSink

LONDON = ZoneInfo("Europe/London")
MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=LONDON)
CUSTOMER = "jane.smith@customer.example"
CUSTOMER_TEXT = "My green bin was missed again on Tuesday.\n\nThis is the third time this month."
ROOT = Path(__file__).resolve().parents[2]
MAIL_TEMPLATES = ROOT / "templates" / "mail"
LETTER_TEMPLATES = ROOT / "templates" / "letters"


@dataclass
class FrozenClock:
    """A clock that stands still until a test moves it on."""

    now: datetime = MONDAY + timedelta(minutes=1)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Seeded:
    """A case written as the pipeline writes it: contact, first message, outbox rows."""

    contact_id: int
    reference: str
    message_id: str
    rows: list[Outbox] = field(default_factory=list)

    def row(self, purpose: str) -> Outbox:
        return next(r for r in self.rows if r.payload["purpose"] == purpose)


@pytest.fixture(scope="session")
def stafford() -> CouncilPolicy:
    """Stafford's bundled rules."""
    return load_policy("stafford")


@pytest.fixture(scope="session")
def chorley() -> CouncilPolicy:
    """Chorley's bundled rules."""
    return load_policy("chorley")


@pytest.fixture
def clock() -> FrozenClock:
    """A frozen clock a minute after the seeded contacts arrived."""
    return FrozenClock()


def seed(
    engine: Engine,
    policy: CouncilPolicy,
    *,
    kind: str = "complaint",
    service: str | None = "waste",
    sender: str = CUSTOMER,
    name: str = "Jane Smith",
    subject: str = "Missed bin collection again",
    text: str = CUSTOMER_TEXT,
    at: datetime = MONDAY,
    **classified: Any,
) -> Seeded:
    """Record a new contact through the real workflow and queue its mail with ``queue_action``."""
    with session_scope(engine) as session:
        reference = next_reference(session, policy.rules.council.reference_prefix, at.year)
        message_id = f"<{reference.lower()}@customer.example>"
        event = ContactReceived(
            reference=reference,
            message_id=message_id,
            sender=sender,
            sender_name=name,
            subject=subject,
            channel="email",
            received_at=at,
            classified=Classified(kind=kind, service=service, **classified),
        )
        decision = decide(policy, None, event, at)
        contact = save_case(session, decision.state)
        assert contact.id is not None
        session.add(_inbound(contact.id, message_id, sender, subject, text, at))
        mailbox = "complaints"
        domain = domain_of(policy.rules.council.mailboxes[mailbox])
        rows = [
            queue_action(
                session,
                action,
                contact=contact,
                mailbox=mailbox,
                domain=domain,
                now=at,
                in_reply_to=message_id,
                references=[message_id],
            )
            for action in decision.actions
            if isinstance(action, SendMail)
        ]
    return Seeded(contact.id, reference, message_id, [r for r in rows if r is not None])


def _inbound(
    contact_id: int, message_id: str, sender: str, subject: str, text: str, at: datetime
) -> Message:
    return Message(
        contact_id=contact_id,
        direction=Direction.IN,
        mailbox="complaints",
        message_id=message_id,
        from_address=sender,
        subject=subject,
        received_at=at,
        content_hash=hashlib.sha256(text.encode()).hexdigest(),
        text=text,
    )


def mail_sent_recorder(policy: CouncilPolicy) -> Callable[[Session, Outbox, datetime], None]:
    """``after_send`` as the application wires it: the workflow's MailSent, saved with the row."""

    def after_send(session: Session, row: Outbox, sent_at: datetime) -> None:
        if row.contact_id is None or row.kind != "customer_mail":
            return
        contact = session.get(Contact, row.contact_id)
        assert contact is not None
        event = MailSent(
            purpose=row.payload["purpose"], stage=row.payload["stage"], sent_at=sent_at
        )
        decision = decide(policy, load_case(session, contact), event, sent_at)
        save_case(session, decision.state, contact)

    return after_send


def sink_worker(
    engine: Engine,
    policy: CouncilPolicy,
    sink: SmtpSink,
    clock: FrozenClock,
    **options: Any,
) -> OutboxWorker:
    """A worker sending to the test sink, with MailSent wired in as the application does."""
    backend = SmtpBackend(SmtpConfig(host=sink.host, port=sink.port, security="none"))
    options.setdefault("after_send", mail_sent_recorder(policy))
    options.setdefault("holder", "worker-a")
    return OutboxWorker(engine, policy, backend, clock=clock, **options)


def sent_appender(box: Mailbox) -> Callable[[str, bytes], Awaitable[None]]:
    """Appends to ``box``'s Sent folder over real IMAP, as the application's appender does."""

    async def append(_mailbox: str, raw: bytes) -> None:
        await asyncio.to_thread(box.append, raw, "Sent")

    return append


def parsed(data: bytes) -> EmailMessage:
    """Bytes as a modern EmailMessage."""
    message = message_from_bytes(data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def received(sink: SmtpSink, message_id: str) -> list[bytes]:
    """The bytes of every copy of ``message_id`` the sink accepted."""
    return [m.data for m in sink.messages if parsed(m.data)["Message-ID"] == message_id]


def text_of(message: EmailMessage) -> str:
    """The plain-text part of a composed mail."""
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def outbox(engine: Engine) -> list[Outbox]:
    """Every outbox row, oldest first."""
    with session_scope(engine) as session:
        return list(session.exec(select(Outbox).order_by(col(Outbox.id))))


@pytest.fixture
def blobs(tmp_path: Path) -> BlobStore:
    """A blob store in the test's temp dir."""
    return BlobStore(tmp_path / "blobs")
