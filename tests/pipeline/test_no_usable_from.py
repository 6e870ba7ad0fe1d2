"""Mail whose From names nobody: answer Reply-To or Sender if they can, else quarantine, saying why.

A complaint still deserves an answer when its From header is missing or broken, if another
header names one person to answer; when none does, the message is kept raw and customer
services are told exactly what is wrong, rather than failing by accident.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from mailflow.mail.parse import parse_message
from mailflow.mail.sender import answerable
from mailflow.store.db import session_scope
from mailflow.store.models import Contact, Message, Outbox
from tests.pipeline.conftest import DATA, Feeder

SAMPLES = DATA / "sender"


def rows(engine: Engine, model: type) -> list:  # type: ignore[type-arg]
    with session_scope(engine) as s:
        return list(s.exec(select(model).order_by(col(model.id))))


@pytest.mark.parametrize(
    ("sample", "problem"),
    [
        ("no-from.eml", "it has no From header"),
        ("group-from.eml", "its From header is a group of addresses, not a person"),
        ("no-from-reply-to-is-our-mailbox.eml", "it has no From header"),
    ],
)
def test_mail_with_nobody_to_answer_is_quarantined_with_the_reason(
    feeder: Feeder, engine: Engine, sample: str, problem: str
) -> None:
    """Kept raw in Quarantine, no contact opened, and customer services told the reason (a
    Reply-To naming the council's own mailbox is no answer: it would loop)."""
    assert feeder.feed((SAMPLES / sample).read_bytes()) == "Quarantine"
    [message] = rows(engine, Message)
    assert message.status.value == "quarantined"
    assert message.quarantine_reason == (
        f"no address to answer: {problem}, and no Reply-To or Sender header gives one"
        " (check the raw message and contact the customer another way)"
    )
    assert rows(engine, Contact) == []
    [notice] = rows(engine, Outbox)
    assert (notice.payload["purpose"], notice.recipients) == (
        "quarantine_notice",
        ["customer.services@stafford.example"],
    )
    assert notice.payload["context"]["reason"] == message.quarantine_reason


@pytest.mark.parametrize(
    ("sample", "customer", "header"),
    [
        ("unparseable-from-with-reply-to.eml", "jane.smith@customer.example", "Reply-To"),
        ("group-from-with-sender.eml", "tom.baker@customer.example", "Sender"),
    ],
)
def test_a_broken_from_is_answered_at_the_reply_to_or_sender_address(
    feeder: Feeder, engine: Engine, sample: str, customer: str, header: str
) -> None:
    """The complaint is recorded and acknowledged at the one address another header gives."""
    assert feeder.feed((SAMPLES / sample).read_bytes()) == "Processed"
    [contact] = rows(engine, Contact)
    assert (contact.kind.value, contact.customer_address) == ("complaint", customer)
    ack = next(o for o in rows(engine, Outbox) if o.payload["purpose"] == "acknowledgement")
    assert ack.recipients == [customer]
    [message] = rows(engine, Message)
    assert message.from_address == customer
    parsed = parse_message((SAMPLES / sample).read_bytes())
    assert f"From unusable: answering the {header} address" in answerable(parsed).parsed.defects


def test_the_cve_2023_27043_confusion_is_not_answered_at_either_address(feeder: Feeder) -> None:
    """``alice@example.org)<bob@example.org>`` in From and Reply-To: nobody is guessed at."""
    raw = (DATA / "malformed" / "from-parseaddr-confusion.eml").read_bytes()
    assert answerable(parse_message(raw)).reason is not None
    assert feeder.feed(raw) == "Quarantine"
