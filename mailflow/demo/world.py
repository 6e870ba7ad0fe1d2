"""The demo's world: the parts the daemon runs, wired to a Maildir, a capture folder and a clock.

``World`` holds the inbound pipeline (with officers' replies), the outbox worker and the
notifier exactly as ``mailflow run`` builds them, but on SQLite under the output folder, a local
Maildir as the shared mailbox, a capture backend writing each sent mail as ``.eml``, and a
simulated clock the story moves. Every line it prints is also kept for ``timeline.txt``.
"""

from __future__ import annotations

import email
import email.policy
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
from mailflow.outbound.rows import CUSTOMER_MAIL
from mailflow.outbound.worker import OutboxWorker
from mailflow.pipeline.feedback import after_send
from mailflow.pipeline.inbound import Inbound
from mailflow.pipeline.officers import OfficerReplies
from mailflow.policy.council import CouncilPolicy, load_policy
from mailflow.schedule.notifier import Notifier
from mailflow.store import migrate
from mailflow.store.blobs import BlobStore
from mailflow.store.cases import load_case
from mailflow.store.db import make_engine, session_scope
from mailflow.store.models import Contact, Message, OfficerCommand, Outbox
from mailflow.workflow.reminders import next_working_time

LONDON = ZoneInfo("Europe/London")
START = datetime(2026, 11, 30, 9, 30, tzinfo=LONDON)  # a Monday; St Andrew's Day in Scotland
DEMO_KEY = b"mailflow-demo-key: signs officers' reply addresses in the demo only"
SUBJECT_WIDTH = 90
MAX_ROUNDS = 200  # notifier rounds in one fast-forward: a guard, never reached by the story


@dataclass
class SimulatedClock:
    """The demo's clock: it only moves when the story says so."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now


def sample(name: str) -> str:
    """One of the demo's sample emails (some with ``{placeholders}``), shipped in the package."""
    data = resources.files("mailflow.demo").joinpath("samples", name).read_bytes()
    return data.decode("utf-8")


def read_mail(path: Path) -> EmailMessage:
    """A captured ``.eml`` file as a message."""
    mail = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(mail, EmailMessage)
    return mail


@dataclass
class World:
    """The demo's parts and what it has printed so far."""

    policy: CouncilPolicy
    out: Path
    engine: Engine
    clock: SimulatedClock
    echo: Callable[[str], None]
    source: MaildirSource
    inbound: Inbound
    worker: OutboxWorker
    notifier: Notifier
    backend: CaptureBackend
    last_uid: int = 0
    shown: set[str] = field(default_factory=set)
    lines: list[str] = field(default_factory=list)

    def print(self, text: str) -> None:
        """Print a line and keep it for ``timeline.txt``."""
        self.lines.append(text)
        self.echo(text)

    def say(self, text: str) -> None:
        """Print one timeline line with the simulated time."""
        self.print(f"  {self.clock.now:%a %d %b %Y %H:%M}  {text}")

    async def deliver(self, raw: bytes) -> None:
        """A mail lands in the shared mailbox; mailflow processes it and sends what it decided."""
        received = self.out / "received"
        received.mkdir(exist_ok=True)
        (received / f"{len(list(received.glob('*.eml'))) + 1:04d}.eml").write_bytes(raw)
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
        """What happened to one incoming message, in a sentence."""
        with session_scope(self.engine) as session:
            message = session.exec(select(Message).where(Message.uid == uid)).one()
            who = message.from_address or "unknown sender"
            status = message.status.value
            if message.contact_id is None:
                return f"IN   {who}: {status} mail, filed in {folder}"
            contact = session.get(Contact, message.contact_id)
            assert contact is not None
            state = load_case(session, contact)
            commands = [
                f"#{c.command} {c.argument}".strip() + ("" if c.accepted else " (refused)")
                for c in session.exec(
                    select(OfficerCommand).where(OfficerCommand.message_id == message.id)
                ).all()
            ]
        if status == "officer_reply":
            said = ", ".join(commands) or "no command"
            return f"IN   {self.title_of(who)} <{who}> replies on {state.reference}: {said}"
        officer = self.title_of(state.assigned_to)
        where = f"stage {state.stage}, " if state.is_case and state.stage else ""
        return (
            f"IN   {who}: {state.kind.replace('_', ' ')} {state.reference} "
            f"({where}dealt with by {officer})"
        )

    def title_of(self, address: str | None) -> str:
        """The job title the directory gives an address."""
        d = self.policy.rules.directory
        people = [*d.roles.values()]
        people += [p for s in d.services.values() for p in (s.service_officer, s.head_of_service)]
        return next((p.title for p in people if p.address == address), address or "nobody")

    async def send(self) -> None:
        """Let the outbox worker send everything due, and show each mail: to whom, why."""
        while await self.worker.run_once():
            pass
        for path in self.backend.files():
            if path.name in self.shown:
                continue
            self.shown.add(path.name)
            mail = read_mail(path)
            row = self.outbox_row(str(mail["Message-ID"]))
            why = str(row.payload.get("purpose") or "mail") if row else "mail"
            to = mail["To"].addresses[0].addr_spec
            whom = "customer" if row and row.kind == CUSTOMER_MAIL else self.title_of(to)
            reference = str(row.payload.get("reference") or "") if row else ""
            subject = str(mail["Subject"]).replace(f"[{reference}] ", "")
            if len(subject) > SUBJECT_WIDTH:
                subject = subject[: SUBJECT_WIDTH - 3] + "..."
            letters = [
                str(p.get_filename()).replace(f"{reference}-", "") for p in mail.iter_attachments()
            ]
            extra = f" + {', '.join(letters)}" if letters else ""
            about = f" [{reference}]" if reference else ""
            self.say(f"OUT  {whom} <{to}>: {why.replace('_', ' ')}{about}{extra}")
            self.print(f'{"":25}"{subject}"')

    def outbox_row(self, message_id: str) -> Outbox | None:
        """The outbox row a sent mail came from."""
        with session_scope(self.engine) as session:
            row = session.exec(select(Outbox).where(Outbox.message_id == message_id)).first()
            if row is not None:
                session.expunge(row)
            return row

    async def advance(self, until: datetime, *, stop: Callable[[], bool] | None = None) -> None:
        """Move the clock to ``until``, one notifier round at each instant it names, sending
        what falls due on the way (reminders, escalations, breach warnings); or only as far
        as ``stop`` first says the story has what it needs."""
        for _ in range(MAX_ROUNDS):
            tick = self.notifier.tick(self.clock.now)
            await self.send()
            if stop is not None and stop():
                return
            wake = tick.next_wake
            if wake is None or wake > until:
                break
            self.clock.now = max(wake, self.clock.now + timedelta(minutes=1))
        self.clock.now = max(self.clock.now, until)

    def working(self, after: timedelta, hour: int, minute: int = 0) -> datetime:
        """The council's first working time at or after ``hour:minute`` once ``after`` passed."""
        day = (self.clock.now + after).astimezone(LONDON)
        return next_working_time(self.policy, day.replace(hour=hour, minute=minute))

    def latest_to(self, address: str, reference: str, *, kind: str) -> Outbox:
        """The latest mail of ``kind`` sent to ``address`` about case ``reference``."""
        with session_scope(self.engine) as session:
            rows = session.exec(
                select(Outbox).where(Outbox.kind == kind).order_by(col(Outbox.id).desc())
            ).all()
            row = next(
                r
                for r in rows
                if address in r.recipients and r.payload.get("reference") == reference
            )
            session.expunge(row)
            return row

    def sent_file(self, row: Outbox) -> EmailMessage:
        """The captured ``.eml`` of an outbox row."""
        for path in reversed(self.backend.files()):
            mail = read_mail(path)
            if str(mail["Message-ID"]) == row.message_id:
                return mail
        raise LookupError(f"no captured mail for {row.message_id}")


def build(council: str, out: Path, echo: Callable[[str], None]) -> World:
    """Set up the demo's database, mailbox, outbox, notifier and clock under ``out``."""
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
    blobs = BlobStore(data / "blobs")
    backend = CaptureBackend(out / "sent")
    inbound = Inbound(
        policy=policy,
        engine=engine,
        blobs=blobs,
        mailbox=box,
        own_addresses=frozenset(a.lower() for a in policy.rules.council.mailboxes.values()),
        limits=Limits(),
        clock=clock,
        officers=OfficerReplies(policy=policy, key=DEMO_KEY, mailbox_address=address),
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
        reply_key=DEMO_KEY,
    )
    notifier = Notifier(engine, policy, holder="demo", mailboxes={"complaints": address})
    return World(
        policy=policy,
        out=out,
        engine=engine,
        clock=clock,
        echo=echo,
        source=MaildirSource(out / "mailbox", "complaints"),
        inbound=inbound,
        worker=worker,
        notifier=notifier,
        backend=backend,
    )
