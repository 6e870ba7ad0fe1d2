"""The inbound pipeline records every message once, in the right case, and never answers robots."""

from __future__ import annotations

from dataclasses import replace
from email.message import EmailMessage

from sqlalchemy import Engine
from sqlmodel import col, select

from mailflow.policy.schema import Replies
from mailflow.store.db import session_scope
from mailflow.store.models import Audit, Contact, Message, Outbox
from mailflow.store.vocab import ContactStatus
from tests.pipeline.conftest import DATA, Feeder, corpus


def rows(engine: Engine, model: type) -> list:  # type: ignore[type-arg]
    with session_scope(engine) as s:
        return list(s.exec(select(model).order_by(col(model.id))))


def reply(to_row: Outbox, sender: str, text: str, *, subject: str | None = None) -> bytes:
    """A customer's reply to a mail mailflow sent, threaded as a mail client would."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "complaints@stafford.example"
    msg["Subject"] = subject or f"Re: [{to_row.payload['reference']}] Your complaint"
    msg["Message-ID"] = f"<reply-{to_row.id}-{len(text)}@customer.example>"
    msg["In-Reply-To"] = to_row.message_id
    msg["References"] = to_row.message_id
    msg["Date"] = "Mon, 16 Nov 2026 09:00:00 +0000"
    msg.set_content(text)
    return bytes(msg)


def test_new_complaint_is_recorded_with_its_acknowledgement_queued(
    feeder: Feeder, engine: Engine
) -> None:
    """A complaint becomes SBC-2026-00001 with its acknowledgement and officer notice queued."""
    assert feeder.feed(corpus("001-missed-bins-third-time.eml")) == "Processed"
    [contact] = rows(engine, Contact)
    assert (contact.reference, contact.kind.value, contact.stage) == (
        "SBC-2026-00001",
        "complaint",
        1,
    )
    assert contact.customer_address == "g.whitlock@homemail.example"
    outbox = rows(engine, Outbox)
    assert [(o.kind, o.payload["purpose"], o.recipients) for o in outbox] == [
        ("customer_mail", "acknowledgement", ["g.whitlock@homemail.example"]),
        ("staff_mail", "officer_notification", ["waste@stafford.example"]),
    ]
    [message] = rows(engine, Message)
    assert outbox[0].payload["in_reply_to"] == message.message_id
    assert [a.event for a in rows(engine, Audit)][:2] == ["contact_recorded", "stage_opened"]


def test_same_message_twice_is_stored_once(feeder: Feeder, engine: Engine) -> None:
    """Handing the same UID over again (a crash before filing) changes nothing."""
    raw = corpus("001-missed-bins-third-time.eml")
    feeder.feed(raw, uid=5)
    feeder.feed(raw, uid=5)
    feeder.feed(raw, uid=9, uidvalidity=8)  # a UIDVALIDITY rescan: same bytes, new position
    assert len(rows(engine, Message)) == 1 and len(rows(engine, Contact)) == 1
    assert len(rows(engine, Outbox)) == 2


def test_reply_by_message_id_joins_the_case_and_escalates(feeder: Feeder, engine: Engine) -> None:
    """'Still not satisfied, please escalate' on the acknowledgement's thread opens stage 2."""
    feeder.feed(corpus("001-missed-bins-third-time.eml"))
    ack = rows(engine, Outbox)[0]
    text = "I am still not satisfied with your response. Please escalate my complaint to stage 2."
    assert feeder.feed(reply(ack, "g.whitlock@homemail.example", text)) == "Processed"
    [contact] = rows(engine, Contact)
    assert (contact.stage, contact.assigned_to) == (2, "head.operations@stafford.example")
    assert len(rows(engine, Message)) == 2
    assert {m.contact_id for m in rows(engine, Message)} == {contact.id}


def test_stranger_using_the_reference_tag_starts_a_new_linked_contact(
    feeder: Feeder, engine: Engine
) -> None:
    """A subject tag from someone outside the case never attaches their mail to it."""
    feeder.feed(corpus("001-missed-bins-third-time.eml"))
    ack = rows(engine, Outbox)[0]
    msg = EmailMessage()
    msg["From"] = "someone.else@elsewhere.example"
    msg["To"] = "complaints@stafford.example"
    msg["Subject"] = "[SBC-2026-00001] what is happening with this?"
    msg["Message-ID"] = "<stranger-1@elsewhere.example>"
    msg.set_content("Please tell me the details of this complaint.")
    feeder.feed(bytes(msg))
    first, second = rows(engine, Contact)
    assert second.reference == "SBC-2026-00002" and second.linked_contact_id == first.id
    assert ack.recipients == ["g.whitlock@homemail.example"]


def test_out_of_office_reply_is_filed_and_never_answered(feeder: Feeder, engine: Engine) -> None:
    """An out-of-office reply goes to Automatic with no contact and no mail queued."""
    raw = (DATA / "automatic" / "outlook-out-of-office-without-auto-submitted.eml").read_bytes()
    assert feeder.feed(raw) == "Automatic"
    assert rows(engine, Contact) == [] and rows(engine, Outbox) == []
    assert rows(engine, Message)[0].status.value == "automatic"


def test_bounce_of_an_acknowledgement_marks_the_address_and_tells_the_officer(
    feeder: Feeder, engine: Engine
) -> None:
    """A 5.1.1 bounce links to its case, flags the address, and the officer is told."""
    feeder.feed(corpus("001-missed-bins-third-time.eml"))
    ack = rows(engine, Outbox)[0]
    raw = (DATA / "automatic" / "postfix-bounce-5.1.1.eml").read_bytes()
    raw = raw.replace(
        b"<SBC-2026-00042.7f3a9c2e51b84d06@mailflow.council.example>", ack.message_id.encode()
    )
    assert feeder.feed(raw) == "Automatic"
    [contact] = rows(engine, Contact)
    assert "undeliverable" in contact.flags
    notices = [o for o in rows(engine, Outbox) if o.payload["purpose"] == "bounce_notice"]
    assert [n.recipients for n in notices] == [["waste@stafford.example"]]
    bounce = rows(engine, Message)[-1]
    assert (bounce.status.value, bounce.contact_id) == ("bounce", contact.id)


def test_undeliverable_address_gets_no_further_automatic_mail(
    feeder: Feeder, engine: Engine
) -> None:
    """After a hard bounce, a new contact from that address queues no customer mail."""
    feeder.feed(corpus("001-missed-bins-third-time.eml"))
    ack = rows(engine, Outbox)[0]
    raw = (DATA / "automatic" / "postfix-bounce-5.1.1.eml").read_bytes()
    feeder.feed(
        raw.replace(
            b"<SBC-2026-00042.7f3a9c2e51b84d06@mailflow.council.example>", ack.message_id.encode()
        )
    )
    again = corpus("001-missed-bins-third-time.eml").replace(b"Message-ID: <", b"Message-ID: <x")
    feeder.feed(again)
    newest = rows(engine, Contact)[-1]
    mails = [o for o in rows(engine, Outbox) if o.contact_id == newest.id]
    assert newest.id != rows(engine, Contact)[0].id
    assert [o.kind for o in mails] == ["staff_mail"]


def test_oversized_message_is_quarantined_and_customer_services_told(
    feeder: Feeder, engine: Engine
) -> None:
    """A message over the size limit is kept raw, filed in Quarantine, and reported."""
    raw = corpus("001-missed-bins-third-time.eml") + b"\n" + b"x" * (3 * 1024 * 1024)
    assert feeder.feed(raw) == "Quarantine"
    [message] = rows(engine, Message)
    assert message.status.value == "quarantined"
    assert "over the 2097152 limit" in (message.quarantine_reason or "")
    [notice] = rows(engine, Outbox)
    assert (notice.payload["purpose"], notice.recipients) == (
        "quarantine_notice",
        ["customer.services@stafford.example"],
    )


def test_every_malformed_sample_is_recorded_or_quarantined(feeder: Feeder, engine: Engine) -> None:
    """No malformed MIME sample crashes the pipeline or goes unrecorded."""
    files = sorted((DATA / "malformed").glob("*.eml"))
    folders = [feeder.feed(f.read_bytes()) for f in files]
    assert all(f in ("Processed", "Automatic", "Quarantine") for f in folders)
    assert len(rows(engine, Message)) == len(files)


def close_first_contact(engine: Engine) -> None:
    with session_scope(engine) as s:
        contact = s.exec(select(Contact)).one()
        contact.status = ContactStatus.CLOSED
        s.add(contact)


def test_reply_to_a_closed_contact_starts_a_linked_contact(feeder: Feeder, engine: Engine) -> None:
    """Rules `replies.after_close: link`: a plain reply after closure opens a linked contact."""
    feeder.feed(corpus("001-missed-bins-third-time.eml"))
    ack = rows(engine, Outbox)[0]
    close_first_contact(engine)
    feeder.feed(reply(ack, "g.whitlock@homemail.example", "The bin was missed again today."))
    first, second = rows(engine, Contact)
    assert (first.status.value, second.linked_contact_id) == ("closed", first.id)


def test_reply_to_a_closed_contact_reopens_it_when_the_rules_say_so(
    feeder: Feeder, engine: Engine
) -> None:
    """Rules `replies.after_close: reopen`: the same reply reopens the closed contact."""
    rules = feeder.inbound.policy.rules
    policy = replace(
        feeder.inbound.policy,
        rules=rules.model_copy(update={"replies": Replies(after_close="reopen")}),
    )
    feeder.inbound = replace(feeder.inbound, policy=policy)
    feeder.feed(corpus("001-missed-bins-third-time.eml"))
    ack = rows(engine, Outbox)[0]
    close_first_contact(engine)
    feeder.feed(reply(ack, "g.whitlock@homemail.example", "The bin was missed again today."))
    [contact] = rows(engine, Contact)
    assert contact.status.value == "open"
    assert "reopened" in [a.event for a in rows(engine, Audit)]
