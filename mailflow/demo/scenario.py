"""``mailflow demo``: the whole story of a complaint on embedded defaults, with no server.

A local Maildir stands in for the shared mailbox, a capture backend writes every sent mail as
an ``.eml`` file, SQLite holds the cases, and a simulated clock moves the story along
(``world.py``). The mail goes through exactly the pipeline, outbox worker and notifier the
daemon runs; officers reply from "their own inbox" to the notifications mailflow sent them,
with commands, as the officers' guide tells them to.

The story, whatever the council's stages: five mails on a Monday morning; the clock runs on
through the reminders, the escalation and the breach warning of the complaint's first stage;
the handling officer replies with an outcome; the customer escalates, stage by stage, each
stage's owner replying, until the final stage's response signposts the Ombudsman; then the
monthly report. ``[n/N]`` counts the steps as they run.
"""

from __future__ import annotations

import email.utils
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from sqlmodel import col, select

from mailflow.demo.results import extract_letters, write_cases, write_report, write_timeline
from mailflow.demo.world import World, build, sample
from mailflow.outbound.rows import CUSTOMER_MAIL, STAFF_MAIL
from mailflow.store.cases import load_case
from mailflow.store.db import session_scope
from mailflow.store.models import Notification, Outbox
from mailflow.store.repo import contact_by_reference
from mailflow.store.vocab import NoticeKind, NoticeStatus
from mailflow.workflow.state import CaseState

CUSTOMER = "m.holloway@homemail.example"
MONDAY_MAIL = (
    "01-complaint-missed-bins.eml",
    "02-compliment-leisure.eml",
    "03-foi-request.eml",
    "04-parking-pcn.eml",
    "05-out-of-office.eml",
)
ESCALATIONS = ("06-escalation-reply.eml", "07-final-escalation.eml")
STORY_LIMIT = timedelta(days=60)  # the stage 1 lapse is a fortnight away: a guard only


class Story:
    """The demo's steps over one ``World``, counting them as it goes."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.step = 0
        stages = world.policy.rules.procedures["complaints"].stages
        self.final = max(s.number for s in stages if not s.external)
        # Steps: Monday, lapse, first reply, then per later stage an escalation and a reply,
        # then the records and the report.
        self.steps = 3 + 2 * (self.final - 1) + 1

    def heading(self, text: str) -> None:
        self.step += 1
        self.world.print(f"[{self.step}/{self.steps}] {text}")

    def case(self, reference: str) -> CaseState:
        with session_scope(self.world.engine) as session:
            return load_case(session, contact_by_reference(session, reference))

    async def run(self) -> None:
        w = self.world
        self.heading(f"Monday morning: five mails reach {w.policy.rules.council.name}")
        for name in MONDAY_MAIL:
            await w.deliver(sample(name).encode())
        reference = self.complaint()
        self.heading(
            "No response yet: the clock runs on through reminder, escalation, breach warning"
        )
        await w.advance(w.clock.now + STORY_LIMIT, stop=lambda: self.breach_warned(reference))
        await self.officer_replies(reference, "The handling officer replies with an outcome")
        for stage_text in ESCALATIONS[: self.final - 1]:
            await w.advance(w.working(timedelta(days=1), 10, 31))
            self.heading("The customer is not satisfied and escalates")
            await self.customer_escalates(reference, stage_text)
            await w.advance(w.working(timedelta(days=3), 11))
            final = self.case(reference).stage == self.final
            what = "The final stage's owner responds, signposting the Ombudsman"
            await self.officer_replies(reference, what if final else "The stage owner responds")
        self.heading("Writing the case records, letters, the monthly report and the timeline")

    def complaint(self) -> str:
        """The complaint's reference: the first mail to the complainant names it."""
        with session_scope(self.world.engine) as session:
            rows = session.exec(select(Outbox).order_by(col(Outbox.id))).all()
            row = next(r for r in rows if r.kind == CUSTOMER_MAIL and CUSTOMER in r.recipients)
            return str(row.payload["reference"])

    def breach_warned(self, reference: str) -> bool:
        """Whether the case's breach warning has been sent."""
        with session_scope(self.world.engine) as session:
            contact = contact_by_reference(session, reference)
            found = session.exec(
                select(Notification).where(
                    Notification.contact_id == contact.id,
                    Notification.kind == NoticeKind.BREACH_WARNING,
                    Notification.status == NoticeStatus.SENT,
                )
            ).first()
            return found is not None

    async def officer_replies(self, reference: str, heading: str) -> None:
        """The officer dealing answers the latest notification from their own mailbox."""
        w = self.world
        officer = self.case(reference).assigned_to
        assert officer is not None
        w.clock.now = w.working(timedelta(0), max(w.clock.now.hour, 11))
        self.heading(f"{heading} ({w.title_of(officer)}, from their own inbox)")
        notice = w.sent_file(w.latest_to(officer, reference, kind=STAFF_MAIL))
        reply = sample("08-officer-outcome.eml").format(
            officer=officer,
            officer_name=w.title_of(officer),
            officer_title=w.policy.rules.council.name,
            reply_to=notice["Reply-To"].addresses[0].addr_spec,
            subject=str(notice["Subject"]).removeprefix("Re: "),
            date=email.utils.format_datetime(w.clock.now),
            message_id=f"{w.clock.now:%Y%m%d%H%M%S}.officer@{officer.partition('@')[2]}",
            in_reply_to=notice["Message-ID"],
            outcome="not_upheld",
        )
        await w.deliver(reply.encode())

    async def customer_escalates(self, reference: str, name: str) -> None:
        """The customer replies to the latest mail they had, asking to go further."""
        w = self.world
        last = w.latest_to(CUSTOMER, reference, kind=CUSTOMER_MAIL)
        raw = (
            sample(name)
            .replace("{reference}", reference)
            .replace("{in_reply_to}", last.message_id)
            .replace("{date}", email.utils.format_datetime(w.clock.now))
        )
        await w.deliver(raw.encode())


async def run_demo(council: str, out: Path, echo: Callable[[str], None]) -> Path:
    """Run the story and return the folder holding every mail, letter, record and report."""
    world = build(council, out, echo)
    story = Story(world)
    await story.run()
    write_cases(world)
    letters = extract_letters(world)
    report = write_report(world, world.clock.now)
    docx = next(p for p in report if p.suffix == ".docx")
    world.print(
        f"  {len(world.backend.files())} mails sent, {letters} letters; monthly report "
        f"report/{docx.name} with {len(report) - 1} CSV tables"
    )
    write_timeline(world)
    return out
