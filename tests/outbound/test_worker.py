"""The outbox worker end to end: real workflow rows, a real database, a real SMTP sink."""

from __future__ import annotations

import asyncio
import io
from datetime import timedelta

import pytest
from docx import Document
from sqlalchemy import Engine
from sqlmodel import col, select

from mailflow.outbound import MemoryBackend, OutboxWorker
from mailflow.policy.council import CouncilPolicy
from mailflow.store.blobs import BlobStore
from mailflow.store.cases import load_case
from mailflow.store.db import make_engine, session_scope
from mailflow.store.models import Contact, Letter, Outbox
from mailflow.store.vocab import LetterVariant, OutboxStatus
from tests.outbound.conftest import (
    CUSTOMER,
    CUSTOMER_TEXT,
    FrozenClock,
    outbox,
    parsed,
    received,
    seed,
    sink_worker,
    text_of,
)
from tests.servers.smtp import SmtpSink


async def test_acknowledgement_reaches_the_customer_threaded_with_the_letter_and_meets_its_deadline(
    engine: Engine, stafford: CouncilPolicy, smtp_sink: SmtpSink, clock: FrozenClock
) -> None:
    """The acknowledgement names the officer and due date, threads, attaches the letter, and
    sending it meets the acknowledgement deadline."""
    case = seed(engine, stafford)
    ack = case.row("acknowledgement")
    worker = sink_worker(engine, stafford, smtp_sink, clock)

    assert await worker.run_once() == 2

    [data] = received(smtp_sink, ack.message_id)
    [envelope] = [m for m in smtp_sink.messages if m.data == data]
    assert envelope.rcpt_tos == (CUSTOMER,) and envelope.mail_from == "complaints@stafford.example"
    mail = parsed(data)
    assert mail["From"].addresses[0].addr_spec == "complaints@stafford.example"
    assert mail["From"].addresses[0].display_name == "Stafford Borough Council"
    assert mail["Reply-To"] == f"complaints+{case.reference.lower()}@stafford.example"
    assert mail["Subject"].startswith(f"[{case.reference}] ")
    assert mail["In-Reply-To"] == case.message_id and mail["References"] == case.message_id
    assert mail["Auto-Submitted"] == "auto-replied" and mail["X-Auto-Response-Suppress"] == "All"
    body = text_of(mail)
    assert "Waste Services Officer" in body and "16 November 2026" in body
    [letter] = list(mail.iter_attachments())
    document = Document(io.BytesIO(letter.get_content()))
    assert any(case.reference in p.text for p in document.paragraphs)
    with session_scope(engine) as session:
        contact = session.get(Contact, case.contact_id)
        assert contact is not None
        state = load_case(session, contact)
        assert session.get(Outbox, ack.id).status == OutboxStatus.DONE  # type: ignore[union-attr]
    [acknowledge] = [d for d in state.deadlines if d.purpose == "acknowledge"]
    assert (acknowledge.status, acknowledge.met_at) == ("met", clock.now)


async def test_officer_notification_quotes_the_customer_and_explains_the_classification_and_dates(
    engine: Engine, stafford: CouncilPolicy, smtp_sink: SmtpSink, clock: FrozenClock
) -> None:
    """The officer gets the customer's own words, why it was classified so, and how each date
    was computed, marked as an automatic notice."""
    case = seed(engine, stafford)
    await sink_worker(engine, stafford, smtp_sink, clock).run_once()

    [data] = received(smtp_sink, case.row("officer_notification").message_id)
    mail = parsed(data)
    assert mail["To"].addresses[0].addr_spec == "waste@stafford.example"
    assert mail["Auto-Submitted"] == "auto-generated" and mail["X-Auto-Response-Suppress"] is None
    body = text_of(mail)
    assert "> " + CUSTOMER_TEXT.splitlines()[0] in body
    assert "complaint → stage 1 owner service_officer" in body
    assert "Sat 07 Nov 2026: Saturday" in body and "How to reply" in body


async def test_large_print_customer_gets_a_large_print_letter_recorded_with_the_case(
    engine: Engine,
    stafford: CouncilPolicy,
    smtp_sink: SmtpSink,
    clock: FrozenClock,
    blobs: BlobStore,
) -> None:
    """A customer who asked for large print gets the letter with every run at 16 pt or more,
    and the letter sent is kept as a Letter row and blob."""
    from tests.letters.readback import effective_size_pt, runs_with_paragraphs

    case = seed(engine, stafford, needs=("large_print",))
    await sink_worker(engine, stafford, smtp_sink, clock, blobs=blobs).run_once()

    [data] = received(smtp_sink, case.row("acknowledgement").message_id)
    [attachment] = list(parsed(data).iter_attachments())
    assert attachment.get_filename() == f"{case.reference}-acknowledgement-large-print.docx"
    document = Document(io.BytesIO(attachment.get_content()))
    sizes = [effective_size_pt(document, p, r) for p, r in runs_with_paragraphs(document)]
    assert sizes and min(sizes) >= 16
    with session_scope(engine) as session:
        [letter] = session.exec(select(Letter).where(col(Letter.contact_id) == case.contact_id))
    assert (letter.template, letter.variant) == ("acknowledgement", LetterVariant.LARGE_PRINT)
    assert blobs.get(letter.blob) == attachment.get_content()


async def test_header_injection_through_subject_and_name_reaches_nobody_else(
    engine: Engine, stafford: CouncilPolicy, smtp_sink: SmtpSink, clock: FrozenClock
) -> None:
    """An encoded newline in the subject or name adds no header and no recipient on the wire."""
    seed(
        engine,
        stafford,
        kind="comment",
        subject="=?UTF-8?Q?=0A?=Bcc: x@evil.example",
        name="=?UTF-8?Q?Jane=0D=0ABcc:_y@evil.example?=",
    )
    await sink_worker(engine, stafford, smtp_sink, clock).run_once()

    for message in smtp_sink.messages:
        assert not any("evil" in rcpt for rcpt in message.rcpt_tos)
        mail = parsed(message.data)
        assert mail["Bcc"] is None and mail.get_all("Subject") == [mail["Subject"]]
        assert b"\nBcc:" not in message.data and b"\rBcc:" not in message.data


@pytest.mark.parametrize(
    "db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
async def test_two_workers_on_one_postgres_database_send_every_row_exactly_once(
    engine: Engine, db_url: str, stafford: CouncilPolicy, smtp_sink: SmtpSink, clock: FrozenClock
) -> None:
    """Two daemons claiming together (FOR UPDATE SKIP LOCKED) send each row once."""
    for _ in range(8):
        seed(engine, stafford, kind="comment", sender="resident@customer.example")
    second = make_engine(db_url)
    try:
        a = sink_worker(engine, stafford, smtp_sink, clock, holder="a", batch=3)
        b = sink_worker(second, stafford, smtp_sink, clock, holder="b", batch=3)
        while sum(await asyncio.gather(a.run_once(), b.run_once())):
            pass
    finally:
        second.dispose()

    ids = [parsed(m.data)["Message-ID"] for m in smtp_sink.messages]
    rows = outbox(engine)
    assert sorted(ids) == sorted(r.message_id for r in rows) and len(rows) == 16
    assert all(r.status == OutboxStatus.DONE for r in rows)


async def test_run_sends_when_woken_and_stops_when_told(
    engine: Engine, stafford: CouncilPolicy, smtp_sink: SmtpSink, clock: FrozenClock
) -> None:
    """The loop sleeps until woken, sends what is due, and returns promptly on stop."""
    worker = sink_worker(engine, stafford, smtp_sink, clock, poll=timedelta(seconds=30))
    stop, wake = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(worker.run(stop, wake))
    await asyncio.sleep(0.2)
    seed(engine, stafford, kind="comment")
    wake.set()
    for _ in range(100):
        if len(smtp_sink.messages) == 2:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(task, timeout=2)
    assert len(smtp_sink.messages) == 2


async def test_mail_goes_out_from_the_configured_mailbox_address(
    engine: Engine, stafford: CouncilPolicy, clock: FrozenClock
) -> None:
    """The config's address for the row's mailbox is the sender and the reply address's base."""
    case = seed(engine, stafford, kind="comment")
    backend = MemoryBackend()
    worker = OutboxWorker(
        engine,
        stafford,
        backend,
        holder="w",
        clock=clock,
        mailboxes={"complaints": "complaints@council.test"},
    )

    await worker.run_once()

    assert {m.mail_from for m in backend.sent} == {"complaints@council.test"}
    reply_to = {str(m["Reply-To"]) for m in backend.messages()}
    assert reply_to == {f"complaints+{case.reference.lower()}@council.test"}
