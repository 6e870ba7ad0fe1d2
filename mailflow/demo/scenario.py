"""``mailflow demo``: the whole flow on embedded defaults, with no server to install.

A local Maildir stands in for the shared mailbox, a capture backend writes every sent mail as
an ``.eml`` file, SQLite holds the cases, and a simulated clock moves the story along. The
mail goes through exactly the pipeline and outbox worker the daemon runs.
"""

from __future__ import annotations

import email
import email.policy
import json
import mailbox
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import col, select

from mailflow.config import MailboxConfig
from mailflow.ingest.maildir import MaildirSource
from mailflow.mail.limits import Limits
from mailflow.outbound.capture import CaptureBackend
from mailflow.outbound.worker import OutboxWorker
from mailflow.pipeline.feedback import after_send
from mailflow.pipeline.inbound import Inbound
from mailflow.policy.council import CouncilPolicy, load_policy
from mailflow.store import migrate
from mailflow.store.blobs import BlobStore
from mailflow.store.cases import load_case
from mailflow.store.db import make_engine, session_scope
from mailflow.store.models import Contact, Message, Outbox

LONDON = ZoneInfo("Europe/London")
START = datetime(2026, 11, 30, 9, 30, tzinfo=LONDON)  # a Monday; St Andrew's Day in Scotland


@dataclass
class SimulatedClock:
    """The demo's clock: it only moves when the story says so."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now


def sample(name: str) -> bytes:
    """One of the demo's sample emails, shipped inside the package."""
    return resources.files("mailflow.demo").joinpath("samples", name).read_bytes()


@dataclass
class Demo:
    """The demo's parts and what it has printed so far."""

    policy: CouncilPolicy
    out: Path
    engine: Engine
    clock: SimulatedClock
    echo: Callable[[str], None]
    source: MaildirSource
    inbound: Inbound
    worker: OutboxWorker
    backend: CaptureBackend
    last_uid: int = 0
    shown: set[str] = field(default_factory=set)

    def say(self, text: str) -> None:
        """Print one timeline line with the simulated time."""
        self.echo(f"  {self.clock.now:%a %d %b %H:%M}  {text}")

    async def deliver(self, raw: bytes) -> None:
        """A customer's mail lands in the shared mailbox, and mailflow processes it."""
        mailbox.Maildir(self.source.root, create=True).add(raw)
        await self.source.connect()
        async for fetched in self.source.fetch_after(self.last_uid):
            folder = await self.inbound.handle(fetched)
            if folder:
                await self.source.file(fetched.uid, folder)
            self.last_uid = fetched.uid
            self.say(self.describe(fetched.uid, folder))
        await self.source.close()
        await self.send()

    def describe(self, uid: int, folder: str | None) -> str:
        """What happened to one message, in a sentence."""
        with session_scope(self.engine) as session:
            message = session.exec(select(Message).where(Message.uid == uid)).one()
            who = message.from_address or "unknown sender"
            if message.contact_id is None:
                return f"received from {who}: {message.status.value} mail, filed in {folder}"
            contact = session.get(Contact, message.contact_id)
            assert contact is not None
            state = load_case(session, contact)
        officer = self.title_of(state.assigned_to)
        where = f"stage {state.stage}, " if state.is_case and state.stage else ""
        return (
            f"received from {who}: {state.kind.replace('_', ' ')} {state.reference} "
            f"({where}dealt with by {officer})"
        )

    def title_of(self, address: str | None) -> str:
        """The job title the directory gives an address."""
        d = self.policy.rules.directory
        people = [*d.roles.values()]
        people += [p for s in d.services.values() for p in (s.service_officer, s.head_of_service)]
        return next((p.title for p in people if p.address == address), address or "nobody")

    async def send(self) -> None:
        """Let the outbox worker send everything due, and show each mail."""
        while await self.worker.run_once():
            pass
        for path in self.backend.files():
            if path.name in self.shown:
                continue
            self.shown.add(path.name)
            mail = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            assert isinstance(mail, EmailMessage)
            letters = [p.get_filename() for p in mail.iter_attachments()]
            extra = f" + {', '.join(str(x) for x in letters)}" if letters else ""
            self.say(f"sent to {mail['To']}: {mail['Subject']}{extra}  [{path.name}]")

    def ack_to(self, address: str) -> tuple[str, str]:
        """(reference, Message-ID) of the first acknowledgement sent to ``address``."""
        with session_scope(self.engine) as session:
            rows = session.exec(select(Outbox).order_by(col(Outbox.id))).all()
            row = next(r for r in rows if r.kind == "customer_mail" and address in r.recipients)
            return str(row.payload["reference"]), row.message_id


async def build(council: str, out: Path, echo: Callable[[str], None]) -> Demo:
    """Set up the demo's database, mailbox, outbox and clock under ``out``."""
    policy = load_policy(council)
    data = out / "data"
    data.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{data / 'mailflow.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    clock = SimulatedClock(START)
    address = policy.rules.council.mailboxes.get("complaints") or next(
        iter(policy.rules.council.mailboxes.values())
    )
    box = MailboxConfig(name="complaints", address=address)
    source = MaildirSource(out / "mailbox", "complaints")
    blobs = BlobStore(data / "blobs")
    backend = CaptureBackend(out / "sent")
    own = frozenset(a.lower() for a in policy.rules.council.mailboxes.values())
    inbound = Inbound(
        policy=policy,
        engine=engine,
        blobs=blobs,
        mailbox=box,
        own_addresses=own,
        limits=Limits(),
        clock=clock,
    )

    async def append_sent(_mailbox: str, raw: bytes) -> None:
        mailbox.Maildir(out / "mailbox", create=True).add_folder("Sent").add(raw)

    worker = OutboxWorker(
        engine,
        policy,
        backend,
        holder="demo",
        clock=clock,
        sent_folder_appender=append_sent,
        after_send=after_send(policy),
        blobs=blobs,
        mailboxes={"complaints": address},
    )
    return Demo(
        policy=policy,
        out=out,
        engine=engine,
        clock=clock,
        echo=echo,
        source=source,
        inbound=inbound,
        worker=worker,
        backend=backend,
    )


async def story(demo: Demo) -> None:
    """The scenario: five mails on a Monday morning, then an escalation on Thursday."""
    demo.echo(f"[1/3] Monday morning: five mails reach {demo.policy.rules.council.name}")
    for name in (
        "01-complaint-missed-bins.eml",
        "02-compliment-leisure.eml",
        "03-foi-request.eml",
        "04-parking-pcn.eml",
        "05-out-of-office.eml",
    ):
        await demo.deliver(sample(name))
    demo.clock.now = datetime(2026, 12, 3, 10, 31, tzinfo=LONDON)
    demo.echo("[2/3] Thursday: the bin is missed again and the customer escalates")
    reference, ack = demo.ack_to("m.holloway@homemail.example")
    reply = sample("06-escalation-reply.eml").decode()
    reply = reply.replace("{reference}", reference).replace("{in_reply_to}", ack)
    await demo.deliver(reply.encode())
    demo.clock.now += timedelta(minutes=1)
    demo.echo("[3/3] Writing each case's record, with how every date was worked out")
    write_cases(demo)
    extract_letters(demo)


def write_cases(demo: Demo) -> None:
    """One JSON file per case: its stages, deadlines (and how each was computed), audit."""
    folder = demo.out / "cases"
    folder.mkdir(exist_ok=True)
    with session_scope(demo.engine) as session:
        for contact in session.exec(select(Contact).order_by(col(Contact.id))).all():
            state = load_case(session, contact)
            record = {
                "reference": state.reference,
                "kind": state.kind,
                "stage": state.stage,
                "status": state.status,
                "assigned_to": state.assigned_to,
                "why": list(state.reasons),
                "deadlines": [
                    {
                        "stage": d.stage,
                        "purpose": d.purpose,
                        "due": d.due_date.isoformat(),
                        "status": d.status,
                        "how": list(d.explain),
                    }
                    for d in state.deadlines
                ],
            }
            path = folder / f"{state.reference}.json"
            path.write_text(json.dumps(record, indent=2), encoding="utf-8")
            due = [
                f"{d.purpose} by {d.due_date:%d %b}" for d in state.deadlines if d.status == "open"
            ]
            demo.echo(f"  {state.reference}  {state.kind:<16} {', '.join(due) or 'closed'}")


def extract_letters(demo: Demo) -> None:
    """Copy every letter attached to a sent mail into ``letters/`` for opening in Word."""
    folder = demo.out / "letters"
    folder.mkdir(exist_ok=True)
    for path in demo.backend.files():
        mail = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(mail, EmailMessage)
        for part in mail.iter_attachments():
            name = Path(part.get_filename() or "letter.docx").name
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                (folder / f"{path.stem[:4]}-{name}").write_bytes(payload)


async def run_demo(council: str, out: Path, echo: Callable[[str], None]) -> Path:
    """Run the story and return the folder holding every mail, letter and case record."""
    demo = await build(council, out, echo)
    await story(demo)
    return out
