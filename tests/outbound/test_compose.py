"""Composing a row into the mail that is sent: headers, words, letters, and header safety."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from mailflow.outbound import CaseTexts, compose, compose_with_letters
from mailflow.outbound.compose import SEND_POLICY
from mailflow.outbound.rows import action_payload, new_message_id, normalise_payload
from mailflow.policy.council import CouncilPolicy
from mailflow.store.models import Outbox
from mailflow.workflow.actions import SendMail
from mailflow.workflow.decide import decide
from mailflow.workflow.events import Classified, ContactReceived
from mailflow.workflow.state import CaseState
from tests.outbound.conftest import (
    CUSTOMER,
    LETTER_TEMPLATES,
    MAIL_TEMPLATES,
    MONDAY,
    parsed,
    text_of,
)

INJECTED_SUBJECT = "=?UTF-8?Q?=0A?=Bcc: x@evil.example"


def case(
    policy: CouncilPolicy,
    kind: str = "complaint",
    *,
    name: str = "Jane Smith",
    subject: str = "Missed bin collection again",
    **classified: Any,
) -> tuple[CaseState, list[SendMail]]:
    """A new contact decided by the real workflow: its state and the mail it asks for."""
    event = ContactReceived(
        reference=f"{policy.rules.council.reference_prefix}-2026-00042",
        message_id="<first@customer.example>",
        sender=CUSTOMER,
        sender_name=name,
        subject=subject,
        channel="email",
        received_at=MONDAY,
        classified=Classified(kind=kind, service=classified.pop("service", "waste"), **classified),
    )
    decision = decide(policy, None, event, MONDAY)
    return decision.state, [a for a in decision.actions if isinstance(a, SendMail)]


def row_for(action: SendMail, state: CaseState, **payload: Any) -> Outbox:
    """The outbox row the pipeline writes for ``action``."""
    values = action_payload(
        action,
        reference=state.reference,
        mailbox="complaints",
        in_reply_to="<first@customer.example>",
        references=["<root@customer.example>", "<first@customer.example>"],
    )
    return Outbox(
        kind="customer_mail" if action.to_customer else "staff_mail",
        message_id=new_message_id("council.example"),
        recipients=list(action.to),
        payload=normalise_payload({**values, **payload}, None),
        not_before=MONDAY,
        created_at=MONDAY,
    )


def composed_bytes(policy: CouncilPolicy, state: CaseState, row: Outbox) -> bytes:
    message = compose(
        policy,
        state,
        row,
        from_address=policy.rules.council.mailboxes["complaints"],
        templates_dir=MAIL_TEMPLATES,
        letters_dir=LETTER_TEMPLATES,
        now=MONDAY + timedelta(minutes=1),
        texts=CaseTexts(first="Please help.", latest="Any news?"),
    )
    return message.as_bytes(policy=SEND_POLICY)


def test_customer_mail_is_an_automatic_reply_in_the_customers_thread(
    stafford: CouncilPolicy,
) -> None:
    """From the shared mailbox, replies to the case address, threaded, marked per RFC 3834."""
    state, actions = case(stafford)
    row = row_for(actions[0], state)
    mail = parsed(composed_bytes(stafford, state, row))
    assert str(mail["From"]) == "Stafford Borough Council <complaints@stafford.example>"
    assert str(mail["To"]) == f"Jane Smith <{CUSTOMER}>"
    assert mail["Reply-To"] == "complaints+sbc-2026-00042@stafford.example"
    assert (
        mail["Subject"]
        == "[SBC-2026-00042] We have received your complaint: Missed bin collection again"
    )
    assert mail["Message-ID"] == row.message_id
    assert mail["In-Reply-To"] == "<first@customer.example>"
    assert mail["References"] == "<root@customer.example> <first@customer.example>"
    assert (mail["Auto-Submitted"], mail["X-Auto-Response-Suppress"]) == ("auto-replied", "All")
    assert mail.get_body(("html",)) is not None and mail["Date"] is not None


def test_long_subject_lines_are_folded_at_spaces(stafford: CouncilPolicy) -> None:
    """Every header line stays within 78 characters; the subject reads back unchanged."""
    state, actions = case(stafford, subject="A long subject about the bins " * 3)
    data = composed_bytes(stafford, state, row_for(actions[0], state))
    head = data.split(b"\r\n\r\n", 1)[0]
    assert all(len(line) <= 78 for line in head.split(b"\r\n") if not line.startswith(b"Message"))
    assert parsed(data)["Subject"].startswith("[SBC-2026-00042] We have received")


def test_relayed_customer_mail_is_not_marked_automatic(stafford: CouncilPolicy) -> None:
    """A row marked automatic=false (an officer's own words) carries no Auto-Submitted."""
    state, actions = case(stafford)
    mail = parsed(composed_bytes(stafford, state, row_for(actions[0], state, automatic=False)))
    assert mail["Auto-Submitted"] is None and mail["X-Auto-Response-Suppress"] is None


def test_chorley_acknowledgement_carries_chorleys_signature_and_one_day_promise(
    chorley: CouncilPolicy,
) -> None:
    """Chorley's standard signature (name, job title, Chorley Council, telephone) closes it."""
    state, actions = case(chorley)
    body = text_of(parsed(composed_bytes(chorley, state, row_for(actions[0], state))))
    signature = "\n".join(chorley.rules.council.signature)
    assert signature in body and "01257 515151" in signature
    assert "Head of Streetscene" in body and "16 November 2026" in body
    assert "Chief Executive" in body  # the stages that follow


def test_subject_with_an_encoded_newline_adds_no_header(stafford: CouncilPolicy) -> None:
    """CVE-2024-6923: the customer's encoded newline stays inside the one Subject line."""
    state, actions = case(stafford, kind="comment", subject=INJECTED_SUBJECT)
    data = composed_bytes(stafford, state, row_for(actions[0], state))
    mail = parsed(data)
    assert mail["Bcc"] is None and len(mail.get_all("Subject") or []) == 1
    assert b"\nBcc:" not in data
    assert "x@evil.example" in mail["Subject"] and "\n" not in mail["Subject"]


@pytest.mark.parametrize(
    "name",
    [
        "=?UTF-8?Q?Jane=0A?=Bcc: y@evil.example",
        "Jane\r\nBcc: y@evil.example",
        '"Jane" <y@evil.example>, z@evil.example',
    ],
)
def test_customer_name_cannot_add_headers_or_recipients(stafford: CouncilPolicy, name: str) -> None:
    """Whatever the display name holds, To has one address (the customer's) and no Bcc."""
    state, actions = case(stafford, kind="comment", name=name)
    data = composed_bytes(stafford, state, row_for(actions[0], state))
    mail = parsed(data)
    assert [a.addr_spec for a in mail["To"].addresses] == [CUSTOMER]
    assert mail["Bcc"] is None and b"\nBcc:" not in data


def test_staff_notice_is_auto_generated_and_shows_what_the_customer_wrote(
    stafford: CouncilPolicy,
) -> None:
    """Officer mail is marked auto-generated and quotes the customer's first message."""
    state, actions = case(stafford)
    notice = next(a for a in actions if a.template == "officer_notification")
    mail = parsed(composed_bytes(stafford, state, row_for(notice, state)))
    assert mail["Auto-Submitted"] == "auto-generated" and mail["In-Reply-To"] is None
    assert "> Please help." in text_of(mail)


def test_html_part_escapes_customer_text(stafford: CouncilPolicy) -> None:
    """A customer's markup arrives in the HTML part as text, never as markup."""
    state, actions = case(stafford, subject="<script>alert(1)</script>")
    notice = next(a for a in actions if a.template == "officer_notification")
    mail = parsed(composed_bytes(stafford, state, row_for(notice, state)))
    html = mail.get_body(("html",))
    assert html is not None
    assert "<script>" not in html.get_content() and "&lt;script&gt;" in html.get_content()


def test_letters_are_attached_as_word_documents_and_returned_for_the_record(
    stafford: CouncilPolicy,
) -> None:
    """The row's letters come back rendered, and the mail attaches each as a .docx."""
    state, actions = case(stafford, kind="foi_request", service=None)
    composed = compose_with_letters(
        stafford,
        state,
        row_for(actions[0], state),
        from_address="legalservices@stafford.example",
        templates_dir=MAIL_TEMPLATES,
        letters_dir=LETTER_TEMPLATES,
        now=MONDAY,
    )
    [letter] = composed.letters
    [attached] = list(composed.message.iter_attachments())
    assert attached.get_filename() == "SBC-2026-00042-foi-acknowledgement.docx"
    assert attached.get_content_type().endswith("wordprocessingml.document")
    assert attached.get_content() == letter.data
    assert "1 December 2026" in text_of(composed.message)  # the statutory twentieth day
