"""Two daemons (and two bare schedulers) on one database send each notice exactly once.

Claims are transactions: ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, SQLite's single writer; run
on both engines. The daemons are the real ``Daemon`` (scheduler and outbox worker beside each
other), started together on a database where a week of notices has fallen due.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import col, func, select

from mailflow.app import Daemon
from mailflow.config import Config
from mailflow.outbound.memory import MemoryBackend
from mailflow.policy.council import CouncilPolicy, load_policy
from mailflow.schedule.notifier import Notifier
from mailflow.store.db import session_scope
from mailflow.store.models import Notification, Outbox
from mailflow.store.vocab import NoticeStatus, OutboxStatus
from tests.schedule.sim import SimClock, World, local

SERVICES = ("waste", "council_tax", "benefits", "housing", "planning", "parking", "leisure")


async def seeded(engine: Engine, policy: CouncilPolicy, cases: int) -> World:
    """Complaints received on Mon 7 Dec 2026, acknowledged, their notices planned."""
    w = World(engine, policy, SimClock(local(2026, 12, 7, 10)))
    for i in range(cases):
        w.receive(f"c{i}", service=SERVICES[i % len(SERVICES)], customer=f"c{i}@customer.example")
    await w.settle()
    return w


def delivered_once(engine: Engine, backends: list[MemoryBackend]) -> Counter[str]:
    """Check every sent notice's mail was delivered exactly once; count notices by kind."""
    ids = Counter(m.message_id for b in backends for m in b.sent)
    assert ids and set(ids.values()) == {1}, "a mail was delivered twice"
    with session_scope(engine) as session:
        rows = session.exec(select(Notification)).all()
        sent = [r for r in rows if r.status == NoticeStatus.SENT]
        assert {r.outbox_message_id for r in sent} <= set(ids)
        assert len({r.dedupe_key for r in rows}) == len(rows)
        return Counter(r.kind.value for r in sent)


async def test_two_daemons_on_one_database_send_each_notice_once(
    engine: Engine, tmp_path: Path
) -> None:
    """Started together on Tue 22 Dec 2026 at 10:00 over 8 complaints: every reminder,
    escalation, breach warning and digest that fell due is sent once, by one of the two."""
    policy = load_policy("stafford")
    await seeded(engine, policy, 8)
    url = engine.url.render_as_string(hide_password=False)
    now = local(2026, 12, 22, 10)
    backends = [MemoryBackend(), MemoryBackend()]
    daemons = [
        Daemon(
            config=Config(rules="stafford", database=url, data_dir=tmp_path / name, secret="s3"),
            policy=policy,
            engine=engine,
            clock=lambda: now,
            backend_factory=lambda _config, b=backend: b,
            holder=name,
        )
        for name, backend in zip(("one", "two"), backends, strict=True)
    ]
    stop = asyncio.Event()
    runs = [asyncio.create_task(d.run(stop)) for d in daemons]
    try:
        await asyncio.wait_for(_all_sent(engine, now), timeout=30)
        # Each daemon's first round starts at once; on SQLite the slower one may still be
        # waiting for the write lock when the faster one has sent everything: let it finish.
        await asyncio.wait_for(_each_finished_a_round(daemons), timeout=30)
    finally:
        stop.set()
        await asyncio.gather(*runs)
    kinds = delivered_once(engine, backends)
    assert kinds == Counter({"reminder": 8, "escalation": 8, "breach_warning": 16, "digest": 1})


async def _each_finished_a_round(daemons: list[Daemon]) -> None:
    """Wait until every daemon's notice scheduler has finished a round without failing."""
    while not all(d.notices is not None and d.notices.last is not None for d in daemons):
        await asyncio.sleep(0.05)


async def _all_sent(engine: Engine, now: datetime) -> None:
    """Wait until no notice is due and unsent and the outbox is empty."""
    while True:
        with session_scope(engine) as session:
            due = session.exec(
                select(func.count())
                .select_from(Notification)
                .where(
                    col(Notification.status) == NoticeStatus.PENDING,
                    col(Notification.due_at) <= now,
                )
            ).one()
            queued = session.exec(
                select(func.count())
                .select_from(Outbox)
                .where(col(Outbox.status).in_([OutboxStatus.PENDING, OutboxStatus.CLAIMED]))
            ).one()
        if not due and not queued:
            return
        await asyncio.sleep(0.05)


async def test_two_schedulers_racing_round_after_round_claim_disjoint_notices(
    engine: Engine,
) -> None:
    """Two notifiers in two threads tick at the same instants, released together each round:
    no notice is claimed by both, none is left behind."""
    policy = load_policy("stafford")
    w = await seeded(engine, policy, 6)
    notifiers = [Notifier(engine, policy, holder=h) for h in ("left", "right")]
    for at in (local(2026, 12, 17, 9), local(2026, 12, 21, 9), local(2026, 12, 22, 9)):
        assert race([lambda n=n, at=at: n.tick(at) for n in notifiers]) == []
    w.clock.now = local(2026, 12, 22, 9)
    await w.drain()
    kinds = delivered_once(engine, [w.backend])
    assert kinds == Counter({"reminder": 6, "escalation": 6, "breach_warning": 12})
    with session_scope(engine) as session:
        rows = session.exec(select(Notification)).all()
        holders = Counter(r.claimed_by for r in rows if r.kind != "digest" and r.claimed_by)
    assert set(holders) <= {"left", "right"} and sum(holders.values()) == 24


def race(jobs: list[Callable[[], object]]) -> list[BaseException]:
    """Run the jobs in threads released together by a barrier; the errors they raised."""
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(job: Callable[[], object]) -> None:
        try:
            barrier.wait()
            job()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors
