"""Through the whole path: forged or unauthenticated replies relay nothing, and an
auto-responder answering every mail mailflow sends gets one acknowledgement in all."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from mailflow.store.db import session_scope
from mailflow.store.models import Contact, OfficerCommand
from tests.e2e.conftest import COMPLAINT, CUSTOMER
from tests.e2e.town import Got, SimClock, Town, answer, new_mail
from tests.servers.dovecot import Mailbox
from tests.servers.smtp import SmtpSink

REF = "SBC-2026-00001"
WASTE = "waste@stafford.example"


async def open_case(town: Town) -> Got:
    """Jane Smith's complaint, acknowledged; returns the officer's notification."""
    complaint = new_mail(
        CUSTOMER, town.address, "Missed bins", COMPLAINT, message_id="<c1@customer.example>"
    )
    await town.send(complaint)
    ack, notice = await town.expect(2)
    assert ack.rcpt == (CUSTOMER,) and notice.rcpt == (WASTE,)
    return notice


@pytest.mark.dovecot
async def test_spoofed_officer_replies_reach_no_customer(
    tmp_path: Path, mailbox: Mailbox, smtp_sink: SmtpSink, clock: SimClock
) -> None:
    """Wrong token, missing token, a stranger with a real token, a forged From with none:
    each sender is told the reply was not acted on; the customer gets nothing."""
    town = Town.open(tmp_path, "stafford", mailbox, smtp_sink, clock)
    async with town:
        notice = await open_case(town)
        token_address = notice.header("Reply-To")
        local, _, domain = town.address.partition("@")
        attempts = {
            "wrong token": (WASTE, f"{local}+{REF.lower()}.{'a' * 20}@{domain}"),
            "missing token": (WASTE, f"{local}+{REF.lower()}@{domain}"),
            "outside the directory": ("friend@gmail.example", token_address),
            "forged From, no token": (WASTE, town.address),
        }
        for n, (why, (sender, to)) in enumerate(attempts.items()):
            body = "#outcome upheld\n\nYou are right: we will refund you in full.\n"
            subject = f"Re: [{REF}] New complaint for you to deal with"
            await town.send(
                new_mail(sender, to, subject, body, message_id=f"<spoof-{n}@x.example>")
            )
            [told] = await town.expect(1)
            assert told.rcpt == (sender,), why
            assert told.subject == f"[{REF}] Your reply was not acted on", why
            assert b"refund" not in told.raw and CUSTOMER.encode() not in told.raw, why
            assert b"Holly Bank" not in told.raw, why  # no case facts to a possible stranger
        assert await town.quiet(1.0) == []
    with session_scope(town.daemon.engine) as session:
        commands = session.exec(select(OfficerCommand)).all()
        contact = session.exec(select(Contact)).one()
    assert [(c.command, c.accepted) for c in commands] == [("outcome", False)] * 4
    assert contact.outcome is None and contact.status.value == "open"


@pytest.mark.dovecot
async def test_an_auto_responder_gets_one_acknowledgement_in_all(
    tmp_path: Path, mailbox: Mailbox, smtp_sink: SmtpSink, clock: SimClock
) -> None:
    """The customer's auto-responder answers every mail mailflow sends them, with RFC 3834
    headers, without them, and without threading headers: one acknowledgement, ever."""
    town = Town.open(tmp_path, "stafford", mailbox, smtp_sink, clock)
    answers = [
        ("Thank you for your email. I will reply as soon as I can.", {}, True),
        ("Thank you for your email. I will reply as soon as I can.", {}, False),
        ("I am away.", {"Auto-Submitted": "auto-replied"}, True),
    ]
    to_customer: list[Got] = []
    async with town:
        notice = await open_case(town)
        to_customer.append(town.sink_mail(0))
        for n, (words, headers, thread) in enumerate(answers):
            echo = answer(
                to_customer[-1],
                CUSTOMER,
                words,
                message_id=f"<echo-{n}@customer.example>",
                thread=thread,
                extra=headers,
            )
            await town.send(echo)
            extra = await town.quiet(1.0)
            assert not [g for g in extra if CUSTOMER in g.rcpt], words
            town.seen += len(extra)  # staff notices that the customer wrote are fine
            reply = answer(
                notice, WASTE, f"Update {n}: the crew are on their way.", message_id=f"<o-{n}@x>"
            )
            await town.send(reply)
            [relayed] = await town.expect(1)
            assert relayed.rcpt == (CUSTOMER,)
            to_customer.append(relayed)
    subjects = [g.subject for g in to_customer]
    assert sum("We have received your complaint" in s for s in subjects) == 1
