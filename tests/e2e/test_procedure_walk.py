"""Each council's procedure end to end: the real daemon, Dovecot and an SMTP server walk a
complaint from the customer's first mail through every stage to Ombudsman signposting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from mailflow.store.db import session_scope
from mailflow.store.models import Contact, StageRecord
from mailflow.store.vocab import ContactStatus
from tests.e2e.conftest import COMPLAINT, CUSTOMER, LONDON, MONDAY
from tests.e2e.town import Got, SimClock, Town, answer, new_mail
from tests.servers.dovecot import Mailbox
from tests.servers.smtp import SmtpSink


@dataclass(frozen=True)
class Step:
    """One stage: who deals (address and the job title the customer is told), when the
    customer's mail opening it arrives, and the response date they must be given."""

    owner: str
    title: str
    opened: datetime
    respond_by: str


@dataclass(frozen=True)
class Procedure:
    prefix: str
    steps: tuple[Step, ...]
    copy_to: str | None = None


PROCEDURES = {
    # Stafford 8: stage 1 at the point of service, 2 Head of Service, 3 Chief Executive, 4 LGO.
    "stafford": Procedure(
        "SBC",
        (
            Step("waste@stafford.example", "Waste Services Officer", MONDAY, "16 November 2026"),
            Step(
                "head.operations@stafford.example",
                "Head of Operations",
                datetime(2026, 11, 20, 9, 0, tzinfo=LONDON),
                "18 December 2026",
            ),
            Step(
                "chief.executive@stafford.example",
                "Chief Executive",
                datetime(2026, 12, 21, 9, 30, tzinfo=LONDON),
                "14 January 2027",
            ),
        ),
    ),
    # Chorley: stage 1 Service Head, 2 Chief Executive, then the Ombudsman; responses copied
    # to the Customer Services Manager.
    "chorley": Procedure(
        "CHC",
        (
            Step(
                "head.streetscene@chorley.example",
                "Head of Streetscene",
                MONDAY,
                "16 November 2026",
            ),
            Step(
                "chief.executive@chorley.example",
                "Chief Executive",
                datetime(2026, 11, 20, 9, 0, tzinfo=LONDON),
                "4 December 2026",
            ),
        ),
        copy_to="customer.services.manager@chorley.example",
    ),
}


def check_acknowledgement(got: Got, town: Town, ref: str, step: Step, answering: str) -> None:
    """Recipient, [REF] tag, threading, the named officer, the due date and the letter."""
    assert got.rcpt == (CUSTOMER,) and CUSTOMER in got.header("To")
    assert got.subject.startswith(f"[{ref}] We have received your complaint")
    assert got.header("In-Reply-To") == answering and answering in got.header("References")
    assert town.address in got.header("From")
    assert got.header("Reply-To") == f"{town.address.replace('@', '+' + ref.lower() + '@')}"
    assert got.header("Auto-Submitted") == "auto-replied"
    text = got.text()
    assert f"Our {step.title} is dealing with your complaint" in text
    assert f"full response by {step.respond_by}" in text
    [(name, letter)] = got.letters()
    assert name == f"{ref}-acknowledgement.docx"
    assert ref in letter and f"Dealing with this: {step.title}" in letter
    assert step.respond_by in letter and "Dear Jane Smith" in letter


def check_notification(got: Got, town: Town, ref: str, step: Step) -> None:
    """The owner is told, with a reply address only they can use."""
    assert got.rcpt == (step.owner,)
    assert got.subject.startswith(f"[{ref}] New complaint for you to deal with")
    local, _, domain = got.header("Reply-To").partition("@")
    assert local.startswith(town.address.split("@")[0] + "+" + ref.lower() + ".")
    assert len(local.rpartition(".")[2]) == 20 and domain == town.address.split("@")[1]
    assert "#outcome" in got.text() and "Holly Bank" in got.text()


def check_stage_reply(
    got: Got, ref: str, step: Step, answering: str, reasons: str, final: bool, token: str
) -> None:
    """The response: to the customer, threaded, not automatic, with its letters and no trace
    of the officer's reply address or signature."""
    assert got.rcpt == (CUSTOMER,)
    assert got.subject.startswith(f"[{ref}] Our response to your complaint")
    assert got.header("In-Reply-To") == answering
    assert got.header("Auto-Submitted") == ""
    assert token.encode() not in got.raw and step.owner.encode() not in got.raw.lower()
    text = got.text()
    assert "We have decided that your complaint is not upheld." in text and reasons in text
    assert "Kind regards" not in text
    letters = dict(got.letters())
    reply = letters[f"{ref}-stage-reply.docx"]
    assert "We have decided that your complaint is not upheld." in reply and reasons in reply
    assert ("If you are not satisfied" in reply) != final or "Ombudsman" in reply
    if final:
        ombudsman = letters[f"{ref}-ombudsman-signposting.docx"]
        assert "Local Government and Social Care Ombudsman" in ombudsman
        assert "0300 061 0614" in ombudsman and ref in ombudsman
        assert "Local Government and Social Care Ombudsman" in text
    else:
        assert list(letters) == [f"{ref}-stage-reply.docx"]


@pytest.mark.dovecot
@pytest.mark.parametrize("council", list(PROCEDURES))
async def test_a_complaint_walks_every_stage_to_the_ombudsman(
    council: str, tmp_path: Path, mailbox: Mailbox, smtp_sink: SmtpSink, clock: SimClock
) -> None:
    """Customer mail → acknowledgement naming the officer → officer's #outcome from their own
    inbox → stage reply letter → "not satisfied" → next stage's acknowledgement from its owner
    → ... → the final response with the Ombudsman signposting letter."""
    proc = PROCEDURES[council]
    ref = f"{proc.prefix}-2026-00001"
    town = Town.open(tmp_path, council, mailbox, smtp_sink, clock)
    async with town:
        first = "<complaint-1@customer.example>"
        await town.send(
            new_mail(
                f"Jane Smith <{CUSTOMER}>", town.address, "Missed bins", COMPLAINT, message_id=first
            ),
            at=proc.steps[0].opened,
        )
        answering, last_reply = first, None
        for number, step in enumerate(proc.steps, start=1):
            if last_reply is not None:
                answering = f"<not-satisfied-{number}@customer.example>"
                text = "I am still not satisfied with your response. Please escalate my complaint."
                await town.send(
                    answer(last_reply, CUSTOMER, text, message_id=answering), at=step.opened
                )
            ack, notice = await town.expect(2)
            check_acknowledgement(ack, town, ref, step, answering)
            check_notification(notice, town, ref, step)
            reasons = f"At stage {number} we checked the crew's tracker and the bin was not out."
            body = f"#outcome not_upheld\n\n{reasons}\n\nKind regards\n{step.title}\n{step.owner}\n"
            officer_reply = answer(
                notice, step.owner, body, message_id=f"<officer-{number}@council.example>"
            )
            await town.send(officer_reply, at=step.opened + timedelta(days=3))
            got = await town.expect(2 if proc.copy_to else 1)
            final = number == len(proc.steps)
            token = notice.header("Reply-To").split("@")[0].rpartition(".")[2]
            check_stage_reply(got[0], ref, step, answering, reasons, final, token)
            if proc.copy_to:
                copy = got[1]
                assert copy.rcpt == (proc.copy_to,) and copy.subject.startswith(f"[{ref}] Copy of")
                assert [name for name, _ in copy.letters()] == [
                    name for name, _ in got[0].letters()
                ]
            last_reply = got[0]
        assert await town.quiet(1.0) == []
    with session_scope(town.daemon.engine) as session:
        contact = session.exec(select(Contact)).one()
        outcomes = [
            s.outcome for s in session.exec(select(StageRecord).order_by(StageRecord.number))
        ]
        assert contact.status is ContactStatus.CLOSED and contact.stage == len(proc.steps)
        assert [str(o) for o in outcomes] == ["not_upheld"] * len(proc.steps)
