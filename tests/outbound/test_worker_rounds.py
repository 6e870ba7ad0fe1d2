"""The worker's rounds: a batch over one SMTP login and one recording transaction, waking at the
next retry, and rules reloaded by SIGHUP reaching the worker; real database and SMTP sink."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from pathlib import Path
from typing import Any

import aiosmtplib
import pytest
from sqlalchemy import Engine, event
from sqlalchemy.exc import OperationalError

from mailflow.app import Daemon
from mailflow.config import Config, SmtpConfig
from mailflow.outbound import OutboxWorker, SmtpBackend, claims
from mailflow.outbound import worker as worker_module
from mailflow.outbound.retry import RetryPolicy
from mailflow.policy.council import CouncilPolicy
from mailflow.store.vocab import OutboxStatus
from tests.outbound.conftest import FrozenClock, mail_sent_recorder, outbox, seed, sink_worker
from tests.servers.smtp import SmtpSink


class CountingLogins(SmtpBackend):
    """The real SMTP backend, counting the connections it opens."""

    logins = 0

    async def _connect(self) -> aiosmtplib.SMTP:
        self.logins += 1
        return await super()._connect()


def sink_backend(sink: SmtpSink) -> CountingLogins:
    return CountingLogins(SmtpConfig(host=sink.host, port=sink.port, security="none"))


def counted_worker(
    engine: Engine, policy: CouncilPolicy, backend: CountingLogins, clock: FrozenClock
) -> OutboxWorker:
    """A worker as ``sink_worker`` builds it, on a backend that counts its logins."""
    return OutboxWorker(
        engine, policy, backend, holder="w", clock=clock, after_send=mail_sent_recorder(policy)
    )


async def test_a_round_sends_its_mails_over_one_login_and_records_them_in_one_transaction(
    engine: Engine, stafford: CouncilPolicy, smtp_sink: SmtpSink, clock: FrozenClock
) -> None:
    """Five cases' ten mails go out in one round: one SMTP connection, and three commits
    (claim, read, record) however many mails the round holds."""
    for n in range(5):
        seed(engine, stafford, sender=f"customer{n}@customer.example")
    backend = sink_backend(smtp_sink)
    worker = counted_worker(engine, stafford, backend, clock)
    commits: list[object] = []

    def count(connection: object) -> None:
        commits.append(connection)

    event.listen(engine, "commit", count)
    try:
        assert await worker.run_once() == 10
    finally:
        event.remove(engine, "commit", count)

    assert len(smtp_sink.messages) == 10
    assert {r.status for r in outbox(engine)} == {OutboxStatus.DONE}
    assert backend.logins == 1
    assert len(commits) == 3


async def test_a_refused_mail_drops_the_connection_and_the_next_round_logs_in_again(
    engine: Engine, stafford: CouncilPolicy, smtp_sink: SmtpSink, clock: FrozenClock
) -> None:
    """After a 451 the connection is not reused; the retry goes out on a fresh login."""
    seed(engine, stafford, kind="comment")
    backend = sink_backend(smtp_sink)
    worker = counted_worker(engine, stafford, backend, clock)
    smtp_sink.refuse_temporarily()
    await worker.run_once()
    assert backend.logins == 2  # each refused mail left the connection to be dropped

    smtp_sink.accept()
    clock.advance(minutes=2)
    assert await worker.run_once() == 2
    assert backend.logins == 3 and len(smtp_sink.messages) == 2


async def test_after_a_temporary_refusal_the_worker_wakes_at_the_retry_instant(
    engine: Engine, stafford: CouncilPolicy, smtp_sink: SmtpSink
) -> None:
    """With an hour's poll, a mail deferred for under a second is still sent within seconds:
    the worker sleeps until the retry is due, not for its poll interval."""
    seed(engine, stafford, kind="comment")
    smtp_sink.refuse_temporarily()
    worker = sink_worker(
        engine,
        stafford,
        smtp_sink,
        lambda: datetime.now(UTC),  # type: ignore[arg-type]
        retry=RetryPolicy(base=timedelta(seconds=1)),
        poll=timedelta(hours=1),
    )
    stop, wake = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(worker.run(stop, wake))
    try:
        for _ in range(200):  # the first attempt is refused and recorded
            if all(r.attempts == 1 for r in outbox(engine)):
                break
            await asyncio.sleep(0.05)
        smtp_sink.accept()
        received = await asyncio.to_thread(smtp_sink.wait_for, 2, 30.0)
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
    assert len(received) == 2
    assert all(r.status == OutboxStatus.DONE and r.attempts == 1 for r in outbox(engine))


async def test_rules_reloaded_by_sighup_reach_the_outbox_worker(
    engine: Engine,
    stafford: CouncilPolicy,
    smtp_sink: SmtpSink,
    clock: FrozenClock,
    tmp_path: Path,
) -> None:
    """Lowering the per-address cap in the rules file and reloading caps the next mail."""
    rules = tmp_path / "stafford.yaml"
    rules.write_text(stafford.source.read_text(encoding="utf-8"), encoding="utf-8")
    url = engine.url.render_as_string(hide_password=False)
    config = Config(rules=str(rules), database=url, data_dir=tmp_path, secret="s3")
    daemon = Daemon(
        config=config,
        policy=stafford,
        engine=engine,
        clock=clock,
        backend_factory=lambda _config: sink_backend(smtp_sink),
    )
    worker = daemon.outbox_worker()
    seed(engine, stafford, kind="comment")
    await worker.run_once()
    assert len(smtp_sink.messages) == 2  # thanks to the customer, notice to the officer

    rules.write_text(
        rules.read_text(encoding="utf-8").replace(
            "acknowledgements_per_address_per_day: 10", "acknowledgements_per_address_per_day: 1"
        ),
        encoding="utf-8",
    )
    await daemon.reload_rules()
    assert daemon.outbox_worker() is worker
    seed(engine, stafford, kind="comment")
    await worker.run_once()

    customer = [r for r in outbox(engine) if r.kind == "customer_mail"]
    assert [r.status for r in customer] == [OutboxStatus.DONE, OutboxStatus.CANCELLED]
    assert customer[1].last_error == "1 customer mails already went to this address in 24 hours"


async def test_mail_sent_while_the_database_blinks_is_recorded_once_it_answers_not_resent(
    engine: Engine,
    stafford: CouncilPolicy,
    smtp_sink: SmtpSink,
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The round's mail went out, then recording it failed twice (a PostgreSQL restart, a cut
    connection): the worker records it again and succeeds, so when the claims would have
    lapsed nothing is left to send again; each mail reached the server once."""
    seed(engine, stafford)
    failures = [2]
    real = claims.record_round

    def blinking(*args: Any, **kwargs: Any) -> Any:
        if failures[0]:
            failures[0] -= 1
            raise OperationalError("COMMIT", {}, Exception("server closed the connection"))
        return real(*args, **kwargs)

    monkeypatch.setattr(claims, "record_round", blinking)
    monkeypatch.setattr(worker_module, "RECORD_RETRIES", (0.01, 0.01, 0.01))
    worker = counted_worker(engine, stafford, sink_backend(smtp_sink), clock)
    assert await worker.run_once() == 2
    assert failures == [0] and {r.status for r in outbox(engine)} == {OutboxStatus.DONE}
    clock.advance(minutes=30)  # long past the claims' lease
    await worker.run_once()
    sent = [message_from_bytes(m.data)["Message-ID"] for m in smtp_sink.messages]
    assert len(sent) == 2 and len(set(sent)) == 2
