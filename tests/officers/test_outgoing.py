"""What officers' mail and the mail their replies produce look like when composed."""

from __future__ import annotations

import io
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from docx import Document

from mailflow.outbound import compose
from mailflow.outbound.rows import action_payload, new_message_id, normalise_payload
from mailflow.outbound.tokens import officer_reply_address
from mailflow.policy.council import CouncilPolicy
from mailflow.store.models import Outbox
from mailflow.workflow.actions import SendMail
from mailflow.workflow.decide import decide
from mailflow.workflow.events import Classified, ContactReceived
from mailflow.workflow.state import CaseState
from tests.officers.conftest import CUSTOMER, MONDAY, new_case, reply

ROOT = Path(__file__).resolve().parents[2]
KEY = b"k"
MAILBOX = "complaints@stafford.example"


def composed(
    rules: CouncilPolicy, state: CaseState, action: SendMail, key: bytes | None = KEY
) -> EmailMessage:
    """The mail for ``action`` as the worker composes it."""
    payload = action_payload(action, reference=state.reference, mailbox="complaints")
    row = Outbox(
        kind="customer_mail" if action.to_customer else "staff_mail",
        message_id=new_message_id("stafford.example"),
        recipients=list(action.to),
        payload=normalise_payload(payload, None),
        not_before=MONDAY,
        created_at=MONDAY,
    )
    data = compose(
        rules,
        state,
        row,
        from_address=MAILBOX,
        templates_dir=ROOT / "templates" / "mail",
        letters_dir=ROOT / "templates" / "letters",
        now=MONDAY,
        reply_key=key,
    ).as_bytes()
    message = message_from_bytes(data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def mail(actions: tuple[object, ...], template: str) -> SendMail:
    return next(a for a in actions if isinstance(a, SendMail) and a.template == template)


def test_only_mail_inviting_commands_carries_the_officers_token(stafford: CouncilPolicy) -> None:
    """The notification's Reply-To is the officer's token address; the customer's is the case
    address; a copy to a role goes back to the plain mailbox, so "thanks" reaches no customer."""

    event = ContactReceived(
        reference="SBC-2026-00042",
        message_id="<m@c.example>",
        sender=CUSTOMER,
        sender_name="Jane Smith",
        subject="Fraud",
        channel="email",
        received_at=MONDAY,
        classified=Classified(kind="complaint", service="waste", topics=("financial_impropriety",)),
    )
    d = decide(stafford, None, event, MONDAY)
    notice = mail(d.actions, "officer_notification")
    copy = mail(d.actions, "copy_for_role")
    ack = mail(d.actions, "acknowledgement")
    officer = notice.to[0]
    assert composed(stafford, d.state, notice)["Reply-To"] == officer_reply_address(
        MAILBOX, "SBC-2026-00042", officer, KEY
    )
    assert composed(stafford, d.state, copy)["Reply-To"] == MAILBOX
    assert (
        composed(stafford, d.state, ack)["Reply-To"] == "complaints+sbc-2026-00042@stafford.example"
    )
    assert composed(stafford, d.state, notice, key=None)["Reply-To"] == (
        "complaints+sbc-2026-00042@stafford.example"
    )


def test_a_stage_reply_composed_after_escalation_speaks_of_the_stage_it_answers(
    stafford: CouncilPolicy,
) -> None:
    """The row's own stage is used: a reply still queued when the case moved on says stage 1."""
    state = new_case(stafford)
    d = reply(stafford, state, "#outcome not_upheld", text="The crew's log shows it was emptied.")
    response = mail(d.actions, "stage_reply")
    later = reply(stafford, d.state, "#escalate").state
    assert later.stage == 2
    message = composed(stafford, later, response)
    text = " ".join(str(message.get_body(("plain",)).get_content()).split())  # type: ignore[union-attr]
    assert "at stage 1 of our complaints procedure (At the point of service delivery)" in text
    [letter] = [p for p in message.iter_attachments()]
    words = " ".join(p.text for p in Document(io.BytesIO(letter.get_content())).paragraphs)
    assert (
        "stage 1 of our complaints procedure" in words
        and "The crew's log shows it was emptied." in words
    )
    assert "Head of Service will investigate your complaint further (stage 2)" in words


def test_the_holding_letter_gives_the_new_date_and_the_reason(chorley: CouncilPolicy) -> None:
    """#extend's mail and letter say why and when, with Chorley's own apology wording."""
    d = reply(chorley, new_case(chorley), "#extend 2026-11-27 The contractor's report is late.")
    message = composed(chorley, d.state, mail(d.actions, "extension"))
    text = " ".join(str(message.get_body(("plain",)).get_content()).split())  # type: ignore[union-attr]
    assert (
        "full response by 27 November 2026" in text and "The contractor's report is late." in text
    )
    [letter] = [p for p in message.iter_attachments()]
    words = " ".join(p.text for p in Document(io.BytesIO(letter.get_content())).paragraphs)
    assert (
        "We are sorry that we cannot give you a full response within our usual timescale." in words
    )
    assert "27 November 2026" in words and "The contractor's report is late." in words


def letter_words(message: EmailMessage) -> list[tuple[str, str]]:
    """Each attached letter's file name and text, read back with python-docx."""
    out = []
    for part in message.iter_attachments():
        document = Document(io.BytesIO(part.get_content()))
        out.append((str(part.get_filename()), " ".join(p.text for p in document.paragraphs)))
    return out


def test_the_officer_notification_attaches_the_letter_the_customer_was_sent(
    stafford: CouncilPolicy,
) -> None:
    """Issue 4 (officer notification): the handling officer gets "the letter that went out",
    the same acknowledgement letter, naming the same reference and response date."""
    d = decide(stafford, None, _complaint_event(), MONDAY)
    state = d.state
    to_customer = letter_words(composed(stafford, state, mail(d.actions, "acknowledgement")))
    notice = composed(stafford, state, mail(d.actions, "officer_notification"))
    to_officer = letter_words(notice)
    assert [name for name, _ in to_officer] == ["SBC-2026-00042-acknowledgement.docx"]
    assert to_officer == to_customer
    assert "SBC-2026-00042" in to_officer[0][1]
    text = " ".join(str(notice.get_body(("plain",)).get_content()).split())  # type: ignore[union-attr]
    assert "The letter the customer was sent is attached" in text


def test_the_next_stage_owner_gets_the_stage_acknowledgement_letter(
    stafford: CouncilPolicy,
) -> None:
    """On escalation the new owner's notification carries the stage 2 acknowledgement letter."""
    d = reply(stafford, new_case(stafford), "#escalate")
    notice = mail(d.actions, "officer_notification")
    assert notice.letters == mail(d.actions, "acknowledgement").letters == ("acknowledgement",)
    [(name, words)] = letter_words(composed(stafford, d.state, notice))
    assert name == "SBC-2026-00042-acknowledgement.docx" and "stage 2" in words.lower()


def _complaint_event() -> ContactReceived:
    return ContactReceived(
        reference="SBC-2026-00042",
        message_id="<m@c.example>",
        sender=CUSTOMER,
        sender_name="Jane Smith",
        subject="Missed bin collection again",
        channel="email",
        received_at=MONDAY,
        classified=Classified(kind="complaint", service="waste"),
    )
