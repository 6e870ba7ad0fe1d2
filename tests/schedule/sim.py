"""A council's mail system in simulated time: the real workflow, store, outbox and scheduler.

``World`` records contacts through the real ``decide`` and ``record`` (as the inbound pipeline
does), sends the outbox with the real worker into a recording backend, and moves a simulated
clock from one instant the notifier names to the next, so a test walks a case through weeks in
well under a second and sees every mail with the instant it went out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import col, select

from mailflow.errors import TemporaryDeliveryError
from mailflow.outbound import claims
from mailflow.outbound.backends import OutgoingMail
from mailflow.outbound.memory import MemoryBackend
from mailflow.outbound.worker import OutboxWorker
from mailflow.pipeline.feedback import after_send
from mailflow.pipeline.record import Origin, customer_thread, record
from mailflow.policy.council import CouncilPolicy
from mailflow.schedule.notifier import Notifier
from mailflow.store.cases import load_case
from mailflow.store.db import session_scope
from mailflow.store.models import Notification
from mailflow.store.repo import contact_by_reference, next_reference
from mailflow.workflow.actions import Action
from mailflow.workflow.decide import Decision, decide
from mailflow.workflow.events import Classified, ContactReceived, Event
from mailflow.workflow.state import CaseState

LONDON = ZoneInfo("Europe/London")
ROOT = Path(__file__).resolve().parents[2]
NOTICE_SUBJECTS = {
    "Reminder:": "reminder",
    "Escalation:": "escalation",
    "Deadline missed:": "breach_warning",
    "Overdue deadlines:": "digest",
    "No overdue deadlines": "digest",
    "Deadlines on ": "summary",
}


def local(y: int, m: int, d: int, hh: int = 9, mm: int = 0) -> datetime:
    """A wall-clock instant in the councils' time zone."""
    return datetime(y, m, d, hh, mm, tzinfo=LONDON)


@dataclass
class SimClock:
    """A clock the test moves on."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass(frozen=True)
class Sent:
    """One mail as delivered: when (council time), to whom, its notice kind, and the mail."""

    at: datetime
    to: tuple[str, ...]
    kind: str | None
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def text(self) -> str:
        """The plain-text part, with plain line ends."""
        part = self.message.get_body(preferencelist=("plain",))
        assert part is not None
        return str(part.get_content()).replace("\r\n", "\n")

    def words(self) -> str:
        """The plain text with its line wrapping undone, for phrases."""
        return " ".join(self.text().split())


class RecordingBackend(MemoryBackend):
    """Delivers into a list, noting the simulated instant of each mail."""

    def __init__(self, clock: SimClock) -> None:
        super().__init__()
        self.clock = clock
        self.log: list[Sent] = []
        self.refuse_notices_until: datetime | None = None  # the server is down for notices
        self.refused: list[datetime] = []

    async def deliver(self, mail: OutgoingMail) -> None:
        message = message_from_bytes(mail.data, policy=email_policy.default)
        assert isinstance(message, EmailMessage)
        subject = str(message["Subject"]).split("] ", 1)[-1]
        kind = next((k for p, k in NOTICE_SUBJECTS.items() if subject.startswith(p)), None)
        down = self.refuse_notices_until
        if kind is not None and down is not None and self.clock.now < down:
            self.refused.append(self.clock.now.astimezone(LONDON))
            raise TemporaryDeliveryError("421 4.3.2 service not available (simulated)")
        await super().deliver(mail)
        self.log.append(Sent(self.clock.now.astimezone(LONDON), mail.recipients, kind, message))


@dataclass
class World:
    """One council's mailflow on one database, in simulated time."""

    engine: Engine
    policy: CouncilPolicy
    clock: SimClock
    holder: str = "sim"
    backend: RecordingBackend = field(init=False)
    notifier: Notifier = field(init=False)
    worker: OutboxWorker = field(init=False)
    references: dict[str, str] = field(default_factory=dict)
    compose_customer_mail: bool = False

    def __post_init__(self) -> None:
        self.backend = RecordingBackend(self.clock)
        self.notifier = Notifier(self.engine, self.policy, holder=self.holder)
        self.worker = OutboxWorker(
            self.engine,
            self.policy,
            self.backend,
            holder=f"{self.holder}-outbox",
            clock=self.clock,
            after_send=after_send(self.policy),
            templates_dir=ROOT / "templates" / "mail",
            letters_dir=ROOT / "templates" / "letters",
        )

    # --- cases ----------------------------------------------------------------------------
    def origin(self) -> Origin:
        box = next(iter(self.policy.rules.council.mailboxes))
        domain = self.policy.rules.council.mailboxes[box].partition("@")[2]
        return Origin(
            mailbox=box,
            domain=domain,
            thread=customer_thread(f"<{len(self.references)}@customer.example>", []),
            actor="test",
            now=self.clock.now,
        )

    def receive(
        self,
        name: str,
        *,
        kind: str = "complaint",
        service: str | None = "waste",
        channel: str = "email",
        topics: tuple[str, ...] = (),
        customer: str = "jane.smith@customer.example",
    ) -> str:
        """A new contact arrives now, recorded through the real workflow; returns its reference."""
        now = self.clock.now
        with session_scope(self.engine) as session:
            prefix = self.policy.rules.council.reference_prefix
            reference = next_reference(session, prefix, now.astimezone(LONDON).year)
            event = ContactReceived(
                reference=reference,
                message_id=f"<{name}@customer.example>",
                sender=customer,
                sender_name="Jane Smith",
                subject=f"Complaint {name}",
                channel=channel,
                received_at=now,
                classified=Classified(kind=kind, service=service, topics=topics),
            )
            record(
                session, decide(self.policy, None, event, now), contact=None, origin=self.origin()
            )
        self.references[name] = reference
        return reference

    def apply(self, name: str, event: Event) -> None:
        """An event on a case now, through ``decide``."""
        self.change(name, lambda state: _decided(self.policy, state, event, self.clock.now))

    def change(self, name: str, how: Callable[[CaseState], tuple[CaseState, list[Action]]]) -> None:
        """Any pure change of a case's state (a pause, an officer's extension), recorded."""
        with session_scope(self.engine) as session:
            contact = contact_by_reference(session, self.references[name])
            state, actions = how(load_case(session, contact))
            record(session, Decision(state, tuple(actions)), contact=contact, origin=self.origin())

    def state(self, name: str) -> CaseState:
        with session_scope(self.engine) as session:
            return load_case(session, contact_by_reference(session, self.references[name]))

    def move_deadline(self, name: str, stage: int, purpose: str, new: date) -> None:
        """What an officer's ``#extend`` does to the state: a later date, explained."""

        def extend(state: CaseState) -> tuple[CaseState, list[Action]]:
            cal = self.policy.calendar
            deadlines = tuple(
                replace(
                    d,
                    due_date=new,
                    due_at=cal(d.calendar).end_of_day(new),
                    explain=(*d.explain, f"extended to {new}"),
                )
                if d.stage == stage and d.purpose == purpose and d.status == "open"
                else d
                for d in state.deadlines
            )
            return replace(state, deadlines=deadlines), []

        self.change(name, extend)

    # --- time -----------------------------------------------------------------------------
    async def drain(self) -> None:
        """Send everything the outbox holds that is due now.

        Customer mail is recorded as sent without composing it (its letters take a tenth of a
        second each to render and say nothing about notices), so acknowledgements still meet
        their deadlines through the real ``after_send``; staff mail goes through the worker.
        """
        if not self.compose_customer_mail:
            rows = claims.claim_due(
                self.engine,
                kinds=("customer_mail",),
                holder="sim",
                now=self.clock.now,
                lease=timedelta(minutes=5),
                batch=1000,
            )
            for row in rows:
                assert row.id is not None
                claims.record_sent(
                    self.engine, row.id, sent_at=self.clock.now, after_send=after_send(self.policy)
                )
        while await self.worker.run_once():
            pass

    async def settle(self) -> None:
        """What the daemon does at once after a change: plan, send what is due, deliver."""
        for _ in range(5):
            tick = self.notifier.tick(self.clock.now)
            await self.drain()
            if not tick.planned and not tick.queued:
                return

    async def run_until(self, until: datetime) -> None:
        """Move time on to ``until``, waking wherever the notifier asks, as the daemon would."""
        await self.settle()
        for _ in range(10_000):
            wake = self.notifier.next_wake(self.clock.now)
            if wake is None or wake > until:
                break
            self.clock.now = max(wake, self.clock.now)
            await self.settle()
            if self.notifier.next_wake(self.clock.now) == self.clock.now:
                self.clock.now += timedelta(seconds=1)
        self.clock.now = max(until, self.clock.now)

    async def retry_until(self, until: datetime) -> None:
        """Move time on to ``until`` through the outbox's own retry instants as well."""
        for _ in range(1_000):
            wakes = [
                t
                for t in (
                    self.notifier.next_wake(self.clock.now),
                    claims.next_due(self.engine, kinds=("staff_mail", "customer_mail")),
                )
                if t is not None and t <= until
            ]
            if not wakes:
                break
            self.clock.now = max(min(wakes), self.clock.now + timedelta(seconds=1))
            await self.settle()
        self.clock.now = max(until, self.clock.now)

    # --- what happened --------------------------------------------------------------------
    def notices(self) -> list[tuple[str, str, str]]:
        """Every notice mail as (local instant, kind, recipients), in order."""
        return [
            (f"{s.at:%Y-%m-%d %H:%M}", s.kind, ",".join(s.to))
            for s in self.backend.log
            if s.kind is not None
        ]

    def notice_mails(self) -> list[Sent]:
        return [s for s in self.backend.log if s.kind is not None]

    def rows(self) -> list[Notification]:
        with session_scope(self.engine) as session:
            return list(session.exec(select(Notification).order_by(col(Notification.id))))


def _decided(
    policy: CouncilPolicy, state: CaseState, event: Event, now: datetime
) -> tuple[CaseState, list[Action]]:
    d = decide(policy, state, event, now)
    return d.state, list(d.actions)
