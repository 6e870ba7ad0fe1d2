"""When sending goes wrong: retries, bounces, caps, crashes, bugs; real database and sink."""

from __future__ import annotations

import asyncio
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from mailflow.outbound import MemoryBackend, OutboxWorker, OutgoingMail
from mailflow.policy.council import CouncilPolicy
from mailflow.store.db import session_scope
from mailflow.store.repo import audit_trail
from mailflow.store.vocab import OutboxStatus
from tests.outbound.conftest import (
    CUSTOMER,
    MAIL_TEMPLATES,
    FrozenClock,
    outbox,
    parsed,
    received,
    seed,
    sink_worker,
    text_of,
)
from tests.servers.smtp import SmtpSink


async def test_temporary_refusal_is_retried_later_and_delivered_once(
    engine: Engine, stafford: CouncilPolicy, smtp_sink: SmtpSink, clock: FrozenClock
) -> None:
    """A 451 puts the row back with a backoff; after accept() it goes out exactly once."""
    case = seed(engine, stafford)
    worker = sink_worker(engine, stafford, smtp_sink, clock)
    smtp_sink.refuse_temporarily()

    await worker.run_once()
    row = next(r for r in outbox(engine) if r.id == case.row("acknowledgement").id)
    assert row.status == OutboxStatus.PENDING and row.attempts == 1
    assert row.last_error and "451" in row.last_error and "\n" not in row.last_error
    assert clock.now + timedelta(seconds=30) <= row.not_before <= clock.now + timedelta(minutes=1)
    assert await worker.run_once() == 0  # not due yet

    smtp_sink.accept()
    clock.advance(minutes=2)
    assert await worker.run_once() == 2
    assert len(received(smtp_sink, row.message_id)) == 1
    assert all(r.status == OutboxStatus.DONE for r in outbox(engine))


async def test_permanent_refusal_fails_the_row_audits_it_and_tells_the_officer(
    engine: Engine, stafford: CouncilPolicy, smtp_sink: SmtpSink, clock: FrozenClock
) -> None:
    """A 550 fails the customer mail, audits it, and queues a bounce notice to the officer."""
    case = seed(engine, stafford, kind="comment")  # one customer mail, one officer notice
    worker = sink_worker(engine, stafford, smtp_sink, clock)
    smtp_sink.refuse_permanently()

    await worker.run_once()

    rows = {r.payload["purpose"]: r for r in outbox(engine)}
    assert rows["comment_thanks"].status == OutboxStatus.FAILED
    assert "550" in (rows["comment_thanks"].last_error or "")
    bounce = rows["bounce_notice"]
    assert bounce.kind == "staff_mail" and bounce.recipients == ["waste@stafford.example"]
    assert bounce.status == OutboxStatus.PENDING
    with session_scope(engine) as session:
        events = [a.event for a in audit_trail(session, case.contact_id)]
    assert events.count("mail_failed") == 2  # the customer mail and the officer notice
    assert sum(r.payload["purpose"] == "bounce_notice" for r in rows.values()) == 1

    smtp_sink.accept()
    await worker.run_once()
    [data] = received(smtp_sink, bounce.message_id)
    assert "could not deliver the comment thanks mail" in " ".join(text_of(parsed(data)).split())


async def test_failed_staff_mail_queues_no_bounce_notice(
    engine: Engine, stafford: CouncilPolicy, smtp_sink: SmtpSink, clock: FrozenClock
) -> None:
    """A staff mail that bounces is failed and audited but never answered with a notice."""
    seed(engine, stafford, kind="abusive", service=None)  # only a flag notice to a manager
    smtp_sink.refuse_permanently()

    await sink_worker(engine, stafford, smtp_sink, clock).run_once()

    [row] = outbox(engine)
    assert (row.payload["template"], row.status) == ("flag_notice", OutboxStatus.FAILED)


async def test_crash_after_the_server_accepted_resends_with_the_same_message_id(
    engine: Engine, stafford: CouncilPolicy, smtp_sink: SmtpSink, clock: FrozenClock
) -> None:
    """At least once: a worker dying before it records the send leaves the claim to lapse, and
    the resend carries the same Message-ID."""
    case = seed(engine, stafford, kind="comment")

    def die(*_: object) -> None:
        raise asyncio.CancelledError  # the process ends here, after SMTP said 250

    crashing = sink_worker(engine, stafford, smtp_sink, clock, after_send=die, batch=1)
    with pytest.raises(asyncio.CancelledError):
        await crashing.run_once()
    first = case.rows[0]
    assert len(received(smtp_sink, first.message_id)) == 1
    assert await sink_worker(engine, stafford, smtp_sink, clock, holder="b").run_once() == 1

    clock.advance(minutes=6)  # the crashed worker's five-minute claim has lapsed
    await sink_worker(engine, stafford, smtp_sink, clock, holder="b").run_once()
    assert len(received(smtp_sink, first.message_id)) == 2
    assert all(r.status == OutboxStatus.DONE for r in outbox(engine))


async def test_per_address_cap_cancels_customer_mail_beyond_the_daily_limit(
    engine: Engine, stafford: CouncilPolicy, smtp_sink: SmtpSink, clock: FrozenClock
) -> None:
    """Once the day's cap of customer mails to an address is reached, more are cancelled."""
    cap = stafford.rules.caps.acknowledgements_per_address_per_day
    for _ in range(cap + 1):
        seed(engine, stafford, kind="comment")
    worker = sink_worker(engine, stafford, smtp_sink, clock, batch=100)

    await worker.run_once()

    customer = [r for r in outbox(engine) if r.kind == "customer_mail"]
    assert [r.status for r in customer].count(OutboxStatus.DONE) == cap
    [capped] = [r for r in customer if r.status == OutboxStatus.CANCELLED]
    assert sum(CUSTOMER in m.rcpt_tos for m in smtp_sink.messages) == cap
    with session_scope(engine) as session:
        events = [a.event for a in audit_trail(session, capped.contact_id or 0)]
    assert "mail_capped" in events


async def test_failing_after_send_still_records_the_send_and_never_resends(
    engine: Engine, stafford: CouncilPolicy, smtp_sink: SmtpSink, clock: FrozenClock
) -> None:
    """If the MailSent hook fails, the row is still done (audited), so no duplicate follows."""
    case = seed(engine, stafford, kind="comment")

    def broken(*_: object) -> None:
        raise ValueError("workflow bug")

    worker = sink_worker(engine, stafford, smtp_sink, clock, after_send=broken)
    await worker.run_once()
    clock.advance(minutes=10)
    assert await worker.run_once() == 0

    assert len(smtp_sink.messages) == 2
    assert all(r.status == OutboxStatus.DONE for r in outbox(engine))
    with session_scope(engine) as session:
        trail = audit_trail(session, case.contact_id)
    assert [a.detail["reason"] for a in trail if a.event == "after_send_failed"] == [
        "workflow bug",
        "workflow bug",
    ]


async def test_mail_that_cannot_be_composed_fails_and_the_officer_is_told(
    engine: Engine,
    stafford: CouncilPolicy,
    smtp_sink: SmtpSink,
    clock: FrozenClock,
    tmp_path: Path,
) -> None:
    """A broken template is a permanent failure naming the file; the officer hears of it."""
    templates = tmp_path / "mail"
    shutil.copytree(MAIL_TEMPLATES, templates)
    (templates / "comment_thanks.txt.j2").write_text("{% set subject = 'x' %}{{ nonsense }}")
    seed(engine, stafford, kind="comment")

    await sink_worker(engine, stafford, smtp_sink, clock, templates_dir=templates).run_once()

    rows = {r.payload["purpose"]: r for r in outbox(engine)}
    failed = rows["comment_thanks"]
    assert failed.status == OutboxStatus.FAILED
    assert "could not compose" in (failed.last_error or "")
    assert "comment_thanks.txt.j2" in (failed.last_error or "")
    assert rows["bounce_notice"].recipients == ["waste@stafford.example"]


async def test_an_unexpected_error_puts_the_row_back_and_the_round_goes_on(
    engine: Engine, stafford: CouncilPolicy, clock: FrozenClock
) -> None:
    """A bug in one send is logged and retried later; the other rows of the round still go."""

    class Flaky(MemoryBackend):
        async def deliver(self, mail: OutgoingMail) -> None:
            if "waste@" in mail.recipients[0]:
                raise RuntimeError("boom")
            await super().deliver(mail)

    backend = Flaky()
    seed(engine, stafford, kind="comment")
    worker = OutboxWorker(engine, stafford, backend, holder="w", clock=clock)

    assert await worker.run_once() == 2

    rows = {r.payload["purpose"]: r for r in outbox(engine)}
    assert rows["comment_thanks"].status == OutboxStatus.DONE and len(backend.sent) == 1
    notice = rows["officer_notification"]
    assert (notice.status, notice.attempts) == (OutboxStatus.PENDING, 1)
    assert notice.last_error == "internal error: boom"
