"""A bounce of mail to staff never starts a loop, nor marks the customer's address."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import col, select

from mailflow.ingest.source import Fetched
from mailflow.store.db import session_scope
from mailflow.store.models import Audit, Contact, Outbox
from tests.faults.mails import bounce_for, corpus_samples, variant
from tests.faults.test_store_blips import pipeline


def outbox(engine: Engine) -> list[Outbox]:
    with session_scope(engine) as s:
        return list(s.exec(select(Outbox).order_by(col(Outbox.id))))


def feed(engine: Engine, tmp_path: Path, raw: bytes, uid: int) -> str | None:
    fetched = Fetched(mailbox="complaints", uidvalidity=1, uid=uid, raw=raw)
    return pipeline(engine, tmp_path).process(fetched)


def sent_bytes(row: Outbox) -> bytes:
    """Headers as the composed mail would carry them: enough for a bounce to quote."""
    return (
        f"From: complaints@council.test\r\nTo: {row.recipients[0]}\r\n"
        f"Message-ID: {row.message_id}\r\nSubject: notice\r\n\r\nbody\r\n"
    ).encode()


def test_bounce_of_a_staff_notice_queues_no_notice_and_leaves_the_customer_deliverable(
    engine: Engine, tmp_path: Path
) -> None:
    """Fault: the officer's notification bounces; nothing is sent about it (a notice would
    bounce again, for ever) and the customer's address is not marked undeliverable."""
    feed(engine, tmp_path, variant(corpus_samples()[0], 0, run="staff-bounce"), uid=1)
    notice = next(r for r in outbox(engine) if r.kind == "staff_mail")
    bounce = bounce_for(
        sent_bytes(notice), notice.recipients[0], to="complaints@council.test", index=1
    )
    assert feed(engine, tmp_path, bounce, uid=2) == "Automatic"
    assert len(outbox(engine)) == 2  # the acknowledgement and the officer notification only
    with session_scope(engine) as s:
        [contact] = s.exec(select(Contact)).all()
        events = [a.event for a in s.exec(select(Audit))]
    assert "undeliverable" not in contact.flags
    assert "address_undeliverable" not in events


def test_bounce_of_the_acknowledgement_still_marks_the_customer_and_tells_the_officer(
    engine: Engine, tmp_path: Path
) -> None:
    """The customer's own bounce is handled as before: address marked, officer told once."""
    feed(engine, tmp_path, variant(corpus_samples()[0], 0, run="cust-bounce"), uid=1)
    ack = next(r for r in outbox(engine) if r.kind == "customer_mail")
    bounce = bounce_for(sent_bytes(ack), ack.recipients[0], to="complaints@council.test", index=1)
    feed(engine, tmp_path, bounce, uid=2)
    purposes = [r.payload["purpose"] for r in outbox(engine)]
    assert purposes.count("bounce_notice") == 1
    with session_scope(engine) as s:
        [contact] = s.exec(select(Contact)).all()
    assert "undeliverable" in contact.flags
