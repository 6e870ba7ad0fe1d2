"""Sent mail appended to the shared mailbox's Sent folder on a real Dovecot."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import Engine

from mailflow.policy.council import CouncilPolicy
from mailflow.store.vocab import OutboxStatus
from tests.outbound.conftest import FrozenClock, outbox, parsed, seed, sent_appender, sink_worker
from tests.servers.dovecot import Dovecot, Mailbox
from tests.servers.smtp import SmtpSink

pytestmark = [pytest.mark.dovecot, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]


async def test_sent_folder_holds_exactly_the_mail_that_was_sent(
    engine: Engine,
    stafford: CouncilPolicy,
    smtp_sink: SmtpSink,
    clock: FrozenClock,
    mailbox: Mailbox,
) -> None:
    """Each sent mail lands in Sent byte for byte, and its copy row is done without the bytes."""
    seed(engine, stafford, kind="comment")
    worker = sink_worker(
        engine, stafford, smtp_sink, clock, sent_folder_appender=sent_appender(mailbox)
    )

    await worker.run_once()

    in_sent = await asyncio.to_thread(mailbox.fetch_all, "Sent")
    sent = [m.data for m in smtp_sink.messages]
    assert sorted(in_sent) == sorted(sent) and len(sent) == 2
    copies = [r for r in outbox(engine) if r.kind == "sent_copy"]
    assert [c.status for c in copies] == [OutboxStatus.DONE] * 2
    assert all("raw" not in c.payload for c in copies)


async def test_failed_append_is_retried_later_and_never_resends_the_mail(
    engine: Engine,
    stafford: CouncilPolicy,
    smtp_sink: SmtpSink,
    clock: FrozenClock,
    private_dovecot: Dovecot,
) -> None:
    """With the IMAP server down the mail still goes once; the copy follows when it is back."""
    box = private_dovecot.fresh_mailbox()
    seed(engine, stafford, kind="comment")
    worker = sink_worker(
        engine, stafford, smtp_sink, clock, sent_folder_appender=sent_appender(box)
    )
    private_dovecot.stop()

    await worker.run_once()
    copies = [r for r in outbox(engine) if r.kind == "sent_copy"]
    assert [(c.status, c.attempts) for c in copies] == [(OutboxStatus.PENDING, 1)] * 2
    assert all(c.last_error for c in copies)

    private_dovecot.start()
    clock.advance(minutes=2)
    assert await worker.run_once() == 2
    sent_ids = sorted(parsed(m.data)["Message-ID"] for m in smtp_sink.messages)
    in_sent = await asyncio.to_thread(box.fetch_all, "Sent")
    assert sorted(parsed(raw)["Message-ID"] for raw in in_sent) == sent_ids
    assert len(smtp_sink.messages) == 2  # appending again sent nothing again
    copies = [r for r in outbox(engine) if r.kind == "sent_copy"]
    assert [(c.status, c.done_at) for c in copies] == [(OutboxStatus.DONE, clock.now)] * 2
