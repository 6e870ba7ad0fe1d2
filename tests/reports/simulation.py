"""A council's mail traffic replayed through the real workflow with a simulated clock.

Customers' mails go through the real inbound pipeline (parse, thread, classify, decide,
record); mails the outbox would send are marked sent through the worker's own ``record_sent``
with the application's ``after_send`` hook, so acknowledgements meet their deadlines exactly
as in the daemon; officers' commands are ``OfficerReplied`` events decided by the workflow and
recorded with the pipeline's ``record``. Nothing is inserted by hand.
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import col, select

from mailflow.config import MailboxConfig
from mailflow.ingest.source import Fetched
from mailflow.mail.limits import Limits
from mailflow.outbound import claims
from mailflow.pipeline.feedback import after_send
from mailflow.pipeline.inbound import Inbound
from mailflow.pipeline.record import Origin, record
from mailflow.policy.council import CouncilPolicy
from mailflow.reports.ombudsman import record_ombudsman_decision
from mailflow.store.blobs import BlobStore
from mailflow.store.cases import load_case
from mailflow.store.db import session_scope
from mailflow.store.models import Contact, Message, Outbox
from mailflow.store.repo import contact_by_reference
from mailflow.store.vocab import OutboxStatus
from mailflow.workflow.decide import decide
from mailflow.workflow.events import OfficerReplied

LONDON = ZoneInfo("Europe/London")


def local(text: str) -> datetime:
    """A local wall-clock instant, e.g. ``local("2026-07-06 10:00")``."""
    return datetime.fromisoformat(text).replace(tzinfo=LONDON)


class Simulation:
    """One council's mailbox, outbox and officers, driven event by event in time order."""

    def __init__(self, engine: Engine, policy: CouncilPolicy, blobs: Path) -> None:
        self.engine, self.policy = engine, policy
        self.address = policy.rules.council.mailboxes["complaints"]
        self.now = local("2025-01-01 09:00")
        self.inbound = Inbound(
            policy=policy,
            engine=engine,
            blobs=BlobStore(blobs),
            mailbox=MailboxConfig(name="complaints", address=self.address),
            own_addresses=frozenset({self.address}),
            limits=Limits(max_bytes=2 * 1024 * 1024),
            clock=lambda: self.now,
        )
        self.uid = 0
        self.hook = after_send(policy)

    def mail(
        self, when: str, sender: str, subject: str, body: str, *, expect: dict[str, object]
    ) -> str:
        """A customer's mail arrives at local ``when``; returns the reference it was recorded
        on, after checking the contact's fields in ``expect`` (so a classifier change shows
        here, by name, rather than as a wrong figure in a report)."""
        self.now = local(when)
        self.uid += 1
        message = EmailMessage()
        name = sender.partition("@")[0].replace(".", " ").title()
        message["From"] = f"{name} <{sender}>"
        message["To"] = self.address
        message["Subject"] = subject
        message["Date"] = format_datetime(self.now)
        message["Message-ID"] = f"<m{self.uid}.{self.policy.key}@customer.example>"
        message.set_content(body)
        fetched = Fetched(mailbox="complaints", uidvalidity=1, uid=self.uid, raw=message.as_bytes())
        self.inbound.process(fetched)
        with session_scope(self.engine) as session:
            stored = session.exec(
                select(Message).where(Message.message_id == message["Message-ID"])
            ).one()
            assert stored.contact_id is not None, f"{subject!r} was not recorded on a contact"
            contact = session.get(Contact, stored.contact_id)
            assert contact is not None
            for field, wanted in expect.items():
                got = getattr(contact, field)
                got = got.value if hasattr(got, "value") else got
                assert got == wanted, f"{subject!r}: {field} is {got!r}, expected {wanted!r}"
            return contact.reference

    def reply(self, when: str, sender: str, reference: str, body: str) -> None:
        """The customer writes again on their case (the reference tag threads it)."""
        self.mail(when, sender, f"Re: [{reference}] your reply", body, expect={})

    def deliver(self, when: str, *, hold: tuple[str, ...] = ()) -> None:
        """The outbox sends every waiting mail at local ``when``, except those of ``hold``."""
        self.now = local(when)
        with session_scope(self.engine) as session:
            rows = session.exec(
                select(Outbox).where(Outbox.status == OutboxStatus.PENDING).order_by(col(Outbox.id))
            ).all()
            held = {contact_by_reference(session, r).id for r in hold}
            ids = [r.id for r in rows if r.contact_id not in held and r.id is not None]
        for row_id in ids:
            claims.record_sent(self.engine, row_id, sent_at=self.now, after_send=self.hook)

    def officer(self, when: str, reference: str, *commands: str, text: str = "") -> None:
        """The officer dealing with the case replies with ``#commands`` at local ``when`` (the
        mails it decides wait in the outbox for the next ``deliver``)."""
        self.now = local(when)
        with session_scope(self.engine) as session:
            contact = contact_by_reference(session, reference)
            state = load_case(session, contact)
            assert state.assigned_to, f"{reference} has no officer"
            event = OfficerReplied(
                sender=state.assigned_to,
                message_id=f"<officer.{self.uid}.{when.replace(' ', '.')}@council.example>",
                received_at=self.now,
                commands=commands,
                text=text or "Thank you for your patience.",
            )
            decision = decide(self.policy, state, event, self.now)
            refused = [
                a for a in decision.actions if getattr(a, "event", "") == "officer_reply_refused"
            ]
            assert not refused, f"{reference}: {commands} refused: {refused}"
            origin = Origin(
                mailbox="complaints",
                domain=self.address.partition("@")[2],
                thread={},
                actor=state.assigned_to,
                now=self.now,
            )
            record(session, decision, contact=contact, origin=origin)

    def ombudsman(self, when: str, reference: str, *, upheld: bool) -> None:
        """The Ombudsman's decision is entered as ``mailflow ombudsman`` enters it."""
        self.now = local(when)
        record_ombudsman_decision(
            self.engine, reference, upheld=upheld, at=self.now, actor="complaints.officer"
        )
