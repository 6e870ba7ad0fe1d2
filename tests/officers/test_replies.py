"""Officers reply from their own inbox: authenticated by token, relayed, never spoofed."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from mailflow.policy.council import CouncilPolicy
from tests.officers.desk import DATA, MAILBOX, QUOTED, Desk, officer_mail, token_address

WASTE = "waste@stafford.example"
# The authentication checks run before any write: one engine shows them (the writes of an
# accepted reply run on both).
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
CUSTOMER = "g.whitlock@homemail.example"
SIGNED = """Dear Mr Whitlock,

The crew will collect your bin on Friday and a supervisor will check the round.

Kind regards
Priya
Waste Services Officer
waste@stafford.example
"""


@pytest.fixture
def desk(engine: Engine, tmp_path: Path, stafford: CouncilPolicy) -> Desk:
    """Stafford's complaints mailbox at 10:00 on Monday 2 November 2026."""
    return Desk(stafford, engine, tmp_path / "blobs")


def customer_rows(desk: Desk) -> list[str]:
    return [r.payload["purpose"] for r in desk.outbox() if r.kind == "customer_mail"]


def test_an_officers_words_reach_the_customer_without_token_signature_or_address(
    desk: Desk,
) -> None:
    """The reply is relayed from the shared address, threaded to the customer, not automatic,
    and carries neither the officer's token, signature nor address; quoted words never act."""
    ref = desk.complaint()
    token = token_address(ref, WASTE)
    assert desk.feed(officer_mail(WASTE, token, SIGNED + QUOTED)) == "Processed"
    relay = desk.outbox()[-1]
    assert (relay.kind, relay.payload["purpose"], relay.recipients) == (
        "customer_mail",
        "officer_reply",
        [CUSTOMER],
    )
    assert relay.payload["automatic"] is False
    first = desk.messages()[0]
    assert relay.payload["in_reply_to"] == first.message_id
    data = desk.composed(relay)
    assert b"The crew will collect your bin on Friday" in data
    assert token.split("@")[0].encode() not in data and WASTE.encode() not in data.lower()
    assert b"Priya" not in data and b"Auto-Submitted" not in data
    assert f"Reply-To: complaints+{ref.lower()}@stafford.example".encode() in data
    assert desk.contacts()[0].outcome is None  # "#outcome upheld" was only in the quote
    assert desk.messages()[-1].status.value == "officer_reply"
    assert "officer_reply_relayed" in desk.audit()


def test_outcome_is_recorded_as_a_command_and_sends_the_stage_reply(desk: Desk) -> None:
    """#outcome: an accepted officer_command row, the stage reply letter queued to the customer."""
    ref = desk.complaint()
    body = "#outcome not_upheld\n\nThe crew's log shows the bin was not out.\n" + QUOTED
    desk.feed(officer_mail(WASTE, token_address(ref, WASTE), body))
    [command] = desk.commands()
    assert (command.command, command.argument, command.accepted, command.sender) == (
        "outcome",
        "not_upheld",
        True,
        WASTE,
    )
    reply = desk.outbox()[-1]
    assert (reply.payload["purpose"], reply.payload["letters"]) == ("stage_reply", ["stage_reply"])
    assert reply.payload["automatic"] is False
    assert desk.contacts()[0].outcome is not None


SPOOFS = {
    "wrong token": (WASTE, "complaints+sbc-2026-00001.aaaaaaaaaaaaaaaaaaaa@stafford.example"),
    "another officer's token": ("housing@stafford.example", "TOKEN:" + WASTE),
    "outside the directory": ("friend@gmail.example", "TOKEN:" + WASTE),
    "missing token": (WASTE, "complaints+sbc-2026-00001@stafford.example"),
    "forged From, no token": (WASTE, MAILBOX),
}


@SQLITE_ONLY
@pytest.mark.parametrize("spoof", list(SPOOFS))
def test_a_reply_that_fails_authentication_reaches_no_customer(desk: Desk, spoof: str) -> None:
    """Wrong, borrowed or missing token, a stranger, a forged From: nothing is relayed or done,
    the sender is told why, and the attempt and its commands are on record."""
    ref = desk.complaint()
    sender, to = SPOOFS[spoof]
    to = token_address(ref, to.removeprefix("TOKEN:")) if to.startswith("TOKEN:") else to
    before = len(desk.outbox())
    desk.feed(officer_mail(sender, to, "#outcome upheld\nYou are right, we will refund you.\n"))
    new = desk.outbox()[before:]
    assert [(r.kind, r.payload["purpose"], r.recipients) for r in new] == [
        ("staff_mail", "command_refused", [sender])
    ]
    assert customer_rows(desk) == ["acknowledgement"] and len(desk.contacts()) == 1
    assert desk.contacts()[0].outcome is None
    [command] = desk.commands()
    assert (command.command, command.accepted) == ("outcome", False) and command.reason
    assert "officer_reply_refused" in desk.audit()
    refusal = desk.composed(new[0])
    assert b"refund" not in refusal and CUSTOMER.encode() not in refusal


@SQLITE_ONLY
def test_an_unreadable_from_is_refused_and_told_to_nobody(desk: Desk) -> None:
    """A From that does not parse strictly (CVE-2023-27043) is refused with no mail at all."""
    ref = desk.complaint()
    before = len(desk.outbox())
    raw = officer_mail(WASTE, token_address(ref, WASTE), "#close\n")
    raw = raw.replace(f"From: {WASTE}".encode(), f"From: {WASTE})<x@evil.example>".encode())
    desk.feed(raw)
    assert desk.outbox()[before:] == [] and desk.contacts()[0].status.value == "open"
    assert "officer_reply_refused" in desk.audit()


@SQLITE_ONLY
def test_the_token_in_delivered_to_is_recognised(desk: Desk) -> None:
    """A reply whose To was rewritten still carries the token in Delivered-To."""
    ref = desk.complaint()
    headers = {"Delivered-To": token_address(ref, WASTE)}
    desk.feed(officer_mail(WASTE, MAILBOX, "#note spoke to the crew\n", headers=headers))
    assert [(c.command, c.accepted) for c in desk.commands()] == [("note", True)]


@SQLITE_ONLY
@pytest.mark.parametrize(
    "sample",
    [
        "outlook-out-of-office-with-auto-submitted.eml",
        "outlook-out-of-office-without-auto-submitted.eml",
    ],
)
def test_an_officers_out_of_office_never_reaches_the_customer(desk: Desk, sample: str) -> None:
    """An officer's auto-reply to a notification, with or without RFC 3834 headers, is filed
    as automatic mail: it is neither relayed nor refused."""
    ref = desk.complaint()
    raw = (DATA / "automatic" / sample).read_bytes()
    raw = raw.replace(
        b"Complaints <complaints@council.example>", token_address(ref, WASTE).encode()
    )
    before = len(desk.outbox())
    assert desk.feed(raw) == "Automatic"
    assert desk.outbox()[before:] == [] and desk.commands() == []
