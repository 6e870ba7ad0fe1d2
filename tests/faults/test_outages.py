"""Servers failing under the running daemon: IMAP gone, SMTP refusing then down, PostgreSQL
connections cut mid-transaction. Nothing is lost and everything goes out once they are back.

The issue asks for a 60 s Dovecot outage and 5 minutes of SMTP refusals; CI uses shorter ones
(the code paths are the same), and these run the full lengths by hand:

    MAILFLOW_FAULT_IMAP_OUTAGE=60 MAILFLOW_FAULT_SMTP_REFUSAL=300 .venv/bin/pytest tests/faults

The health check (``/healthz``, ``mailflow health``) reports each fault while it lasts, within a
bounded time, and is healthy again once the fault is over.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from mailflow.ingest.watcher import Phase
from tests.faults.harness import (
    PASSWORD_ENV,
    POSTGRES_ADMIN_URL,
    Store,
    append_all,
    folder_count,
    sqlite_url,
    terminate_backends,
    throwaway_postgres,
    write_config,
)
from tests.faults.inprocess import eventually, failing_checks, quick_timings, running
from tests.faults.mails import message_id, variants
from tests.servers.dovecot import Dovecot, Mailbox
from tests.servers.smtp import SmtpSink

IMAP_OUTAGE = float(os.environ.get("MAILFLOW_FAULT_IMAP_OUTAGE", "10"))
PG_OUTAGE = float(os.environ.get("MAILFLOW_FAULT_PG_OUTAGE", "5"))
SMTP_REFUSAL = float(os.environ.get("MAILFLOW_FAULT_SMTP_REFUSAL", "4"))
USER = "complaints@council.test"


def smtp_down(failing: dict[str, str]) -> bool:
    """The health check reports mail waiting to retry, no longer because of a 451."""
    detail = failing.get("delivery", "")
    return "waiting to retry" in detail and "451" not in detail


def every_mail_delivered(store: Store, sink: SmtpSink, mailbox: Mailbox) -> None:
    """Every mail row done, each at the sink, each copied to Sent; nothing quarantined."""
    rows = store.mail_rows()
    assert rows and {r.status.value for r in rows} == {"done"}
    assert {message_id(m.data) for m in sink.messages} == {r.message_id for r in rows}
    assert {message_id(raw) for raw in mailbox.fetch_all("Sent")} == {r.message_id for r in rows}
    assert store.quarantined() == []
    assert folder_count(mailbox, "INBOX") == 0


@pytest.mark.dovecot
async def test_dovecot_stopped_under_idle_loses_nothing_and_catches_up_after(
    tmp_path: Path,
    private_dovecot: Dovecot,
    smtp_sink: SmtpSink,
    monkeypatch: pytest.MonkeyPatch,
    fault_report: Callable[[str], None],
) -> None:
    """Fault: Dovecot stopped while the watcher idles and Sent copies are due; once it is back
    every message is recorded once and every sent mail is in the Sent folder."""
    quick_timings(monkeypatch)
    mailbox = private_dovecot.mailbox(USER)
    before, during = variants(12, run="outage-a"), variants(12, run="outage-b")
    config = write_config(tmp_path, mailbox, smtp_sink)
    store = Store(sqlite_url(tmp_path))
    async with running(config, PASSWORD_ENV, mailbox.password) as daemon:
        await asyncio.to_thread(append_all, mailbox, before)
        await eventually(lambda: store.recorded()[0] == len(before), 60, "first batch")
        watcher = daemon.watchers["complaints"]
        await eventually(lambda: watcher.state.phase is Phase.IDLE, 30, "watcher idle")
        await asyncio.to_thread(private_dovecot.stop)
        down_at = time.monotonic()
        await eventually(lambda: watcher.state.phase is Phase.RECONNECTING, 30, "noticed")
        assert watcher.state.last_error
        reported = await eventually(
            lambda: "mailbox complaints" in failing_checks(daemon), 30, "health reports IMAP"
        )
        await asyncio.sleep(max(0.0, IMAP_OUTAGE - (time.monotonic() - down_at)))
        copies_waiting = store.outbox().copies_unsettled
        await asyncio.to_thread(private_dovecot.start)
        await asyncio.to_thread(append_all, mailbox, during)
        took = await eventually(
            lambda: store.recorded()[0] == len(before) + len(during), 60, "second batch"
        )
        await eventually(store.drained, 90, "outbox drained")
        assert watcher.state.phase in (Phase.IDLE, Phase.CONNECTED)
        await eventually(lambda: failing_checks(daemon) == {}, 30, "healthy again")
    assert store.recorded() == (24, 24)
    every_mail_delivered(store, smtp_sink, mailbox)
    fault_report(
        f"IMAP down {IMAP_OUTAGE:.0f} s under IDLE; {copies_waiting} Sent copies waited; "
        f"new mail recorded {took:.1f} s after the restart; health reported it {reported:.1f} s"
        " after the watcher noticed"
    )


@pytest.mark.dovecot
async def test_smtp_refusing_then_down_delays_mail_but_sends_each_once_it_accepts(
    tmp_path: Path,
    mailbox: Mailbox,
    monkeypatch: pytest.MonkeyPatch,
    fault_report: Callable[[str], None],
) -> None:
    """Fault: the SMTP server answers 451, then is down; the outbox retries and, once it
    accepts, every mail arrives exactly once."""
    quick_timings(monkeypatch)
    sink = SmtpSink()
    sink.start()
    try:
        sink.refuse_temporarily()
        mails = variants(8, run="smtp-refusal")
        config = write_config(tmp_path, mailbox, sink)
        store = Store(sqlite_url(tmp_path))
        async with running(config, PASSWORD_ENV, mailbox.password) as daemon:
            await asyncio.to_thread(append_all, mailbox, mails)
            await eventually(lambda: store.recorded()[0] == len(mails), 60, "recorded")
            await eventually(
                lambda: "451" in failing_checks(daemon).get("delivery", ""), 30, "health: 451"
            )
            await asyncio.sleep(SMTP_REFUSAL)
            refused = store.mail_rows()
            assert sink.messages == []
            assert all(r.status.value in ("pending", "claimed") for r in refused)
            assert any("451" in (r.last_error or "") for r in refused)
            sink.stop()  # now down: connections refused
            await eventually(lambda: smtp_down(failing_checks(daemon)), 30, "health: SMTP down")
            sink = SmtpSink(port=sink.port)  # back, accepting
            sink.start()
            await eventually(store.drained, 90, "outbox drained")
            await eventually(lambda: failing_checks(daemon) == {}, 30, "healthy again")
        attempts = max(r.attempts for r in refused)
        every_mail_delivered(store, sink, mailbox)
        arrivals = Counter(message_id(m.data) for m in sink.messages)
        assert max(arrivals.values()) == 1
        fault_report(
            f"SMTP 451 for {SMTP_REFUSAL:.0f} s then down 2 s: {len(refused)} mails, up to "
            f"{attempts} attempts each, every one delivered once"
        )
    finally:
        sink.stop()


CUT_ROUNDS = 60


def cut_connections(database: str, done: Callable[[], bool], cuts: list[int]) -> None:
    """Terminate the daemon's PostgreSQL sessions every 0.1 s until ``done()`` (at most
    CUT_ROUNDS times), so transactions in flight are cut again and again."""
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        while len(cuts) < CUT_ROUNDS and not done():
            with admin.connect() as connection:
                cuts.append(terminate_backends(connection, database))
            time.sleep(0.1)
    finally:
        admin.dispose()


@pytest.mark.dovecot
@pytest.mark.postgres
async def test_postgres_sessions_terminated_mid_batch_lose_and_quarantine_nothing(
    tmp_path: Path,
    mailbox: Mailbox,
    smtp_sink: SmtpSink,
    monkeypatch: pytest.MonkeyPatch,
    postgres_admin: object,
    fault_report: Callable[[str], None],
) -> None:
    """Fault: PostgreSQL ends the daemon's sessions mid-transaction again and again (as in a
    restart); every message is still recorded once, none quarantined, every mail delivered
    once."""
    quick_timings(monkeypatch)
    mails = variants(24, run="pg-cut")
    with throwaway_postgres() as url:
        config = write_config(tmp_path, mailbox, smtp_sink, database=url)
        store = Store(url)
        async with running(config, PASSWORD_ENV, mailbox.password):
            cuts: list[int] = []
            database = str(make_url(url).database)
            recorded = lambda: store.recorded()[0] >= len(mails)  # noqa: E731
            cutter = threading.Thread(target=cut_connections, args=(database, recorded, cuts))
            await asyncio.to_thread(append_all, mailbox, mails)
            cutter.start()
            await asyncio.to_thread(cutter.join, 60)
            await eventually(lambda: store.recorded()[0] >= len(mails), 90, "all recorded")
            await eventually(store.drained, 90, "outbox drained")
        assert store.recorded() == (len(mails), len(mails))
        rows = store.mail_rows()
        assert {r.status.value for r in rows} == {"done"}
        assert store.quarantined() == []
        sent = Counter(message_id(m.data) for m in smtp_sink.messages)
        assert set(sent) == {r.message_id for r in rows}
        doubled = sum(n - 1 for n in sent.values())
        ended = sum(cuts)
        # A round sent but cut while recording is recorded again once the database answers
        # (the worker holds its outcomes): the cuts last seconds, the retries about a minute.
        assert doubled == 0
        store.dispose()
    fault_report(
        f"{len(cuts)} rounds of pg_terminate_backend ended {ended} sessions mid-batch; "
        f"{len(rows)} mails, {doubled} sent twice"
    )


@pytest.mark.dovecot
@pytest.mark.postgres
async def test_postgres_refusing_connections_is_reported_and_everything_recorded_after(
    tmp_path: Path,
    mailbox: Mailbox,
    smtp_sink: SmtpSink,
    monkeypatch: pytest.MonkeyPatch,
    postgres_admin: object,
    fault_report: Callable[[str], None],
) -> None:
    """Fault: the database refuses connections for a while, as PostgreSQL does while it
    restarts; the health check reports it while it lasts, and afterwards every message that
    arrived meanwhile is recorded once and every mail delivered."""
    quick_timings(monkeypatch)
    before, during = variants(6, run="pg-down-a"), variants(6, run="pg-down-b")
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with throwaway_postgres() as url:
        config = write_config(tmp_path, mailbox, smtp_sink, database=url)
        store = Store(url)
        database = str(make_url(url).database)
        async with running(config, PASSWORD_ENV, mailbox.password) as daemon:
            await asyncio.to_thread(append_all, mailbox, before)
            await eventually(lambda: store.recorded()[0] == len(before), 60, "first batch")
            await eventually(store.drained, 90, "first mail sent")
            with admin.connect() as connection:
                connection.execute(text(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false'))
                terminate_backends(connection, database, spare_reader=False)
            store.dispose()
            reported = await eventually(
                lambda: "database" in failing_checks(daemon), 30, "health reports the database"
            )
            await asyncio.to_thread(append_all, mailbox, during)
            await asyncio.sleep(PG_OUTAGE)
            with admin.connect() as connection:
                connection.execute(text(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true'))
            total = len(before) + len(during)
            await eventually(lambda: store.recorded()[0] == total, 90, "second batch")
            await eventually(store.drained, 90, "outbox drained")
            await eventually(lambda: failing_checks(daemon) == {}, 30, "healthy again")
        assert store.recorded() == (total, total)
        every_mail_delivered(store, smtp_sink, mailbox)
        store.dispose()
    admin.dispose()
    fault_report(
        f"PostgreSQL refused connections for {PG_OUTAGE:.0f} s; health reported it within "
        f"{reported:.1f} s; {total} messages recorded once, every mail delivered"
    )
