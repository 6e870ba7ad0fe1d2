"""APScheduler wakes the daemon when the next notice falls due, and at once on a change."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from mailflow.app import Daemon
from mailflow.config import Config
from mailflow.policy.council import CouncilPolicy
from mailflow.schedule import plans
from mailflow.schedule.notifier import Notifier, Tick
from mailflow.schedule.scheduler import JOB_ID, NoticeScheduler
from mailflow.schedule.wake import Wake
from mailflow.store.db import session_scope
from mailflow.store.models import Notification
from tests.schedule.sim import SimClock, World, local


async def test_the_one_job_wakes_at_the_due_instant_then_moves_on(
    sqlite_engine: Engine, stafford: CouncilPolicy
) -> None:
    """A clock running 0.3 s before a reminder's 09:00: the job fires on time (not before),
    queues the reminder, and is moved to the next instant, no further than the resync."""
    w = World(sqlite_engine, stafford, SimClock(local(2026, 12, 7, 10)))
    w.receive("a")
    await w.settle()
    due = local(2026, 12, 17, 9)
    offset = due - (datetime.now(UTC) + timedelta(seconds=0.3))
    queued = asyncio.Event()
    scheduler = NoticeScheduler(
        Notifier(sqlite_engine, stafford, holder="aps"),
        clock=lambda: datetime.now(UTC) + offset,
        on_queued=queued.set,
        resync=timedelta(minutes=5),
    )
    stop = asyncio.Event()
    task = asyncio.create_task(scheduler.run(stop))
    try:
        await asyncio.wait_for(queued.wait(), timeout=5)
        with session_scope(sqlite_engine) as session:
            sent = [r for r in session.exec(select(Notification)).all() if r.status == "sent"]
        assert [r.kind for r in sent] == ["reminder"]
        assert due <= sent[0].sent_at < due + timedelta(seconds=2)  # type: ignore[operator]
        await asyncio.sleep(0.05)
        following = scheduler.next_run
        assert following is not None and scheduler._aps.get_jobs()[0].id == JOB_ID
        ahead = following - datetime.now(UTC)
        assert timedelta(minutes=4) < ahead <= timedelta(minutes=5)  # days away: resync cap
        assert len(scheduler._aps.get_jobs()) == 1
    finally:
        stop.set()
        await task


async def test_a_change_signalled_on_the_wake_event_is_planned_at_once(
    sqlite_engine: Engine, stafford: CouncilPolicy
) -> None:
    """The inbound pipeline sets the daemon's wake event after recording a message: the
    scheduler, listening on its own event, plans the new case's notices within the debounce."""
    clock = SimClock(local(2026, 12, 7, 10))
    w = World(sqlite_engine, stafford, clock)
    wake = Wake()
    heard = wake.listen()
    scheduler = NoticeScheduler(
        Notifier(sqlite_engine, stafford, holder="aps"),
        clock=clock,
        debounce=timedelta(seconds=0.2),  # the daemon waits 5 s, so a burst makes one round
    )
    stop = asyncio.Event()
    task = asyncio.create_task(scheduler.run(stop, heard))
    try:
        await asyncio.sleep(0.2)
        w.receive("a")
        assert plans.stale_count(sqlite_engine, "stafford") == 2
        wake.set()  # what Inbound.handle does
        for _ in range(100):
            await asyncio.sleep(0.02)
            if plans.stale_count(sqlite_engine, "stafford") == 0:
                break
        assert plans.stale_count(sqlite_engine, "stafford") == 0
        assert wake.is_set() and not heard.is_set()  # the worker's event is left for the worker
    finally:
        stop.set()
        await task


async def test_sighup_reload_recomputes_and_hands_the_new_rules_to_the_scheduler(
    sqlite_engine: Engine, stafford: CouncilPolicy, tmp_path: Path
) -> None:
    """What SIGHUP does: the daemon reads its rules file again, open deadlines move to the new
    closure day, and the scheduler plans with the new rules; a broken file changes nothing."""
    rules = tmp_path / "stafford.yaml"
    rules.write_text(stafford.source.read_text(encoding="utf-8"), encoding="utf-8")
    url = sqlite_engine.url.render_as_string(hide_password=False)
    clock = SimClock(local(2026, 12, 16, 14))
    w = World(sqlite_engine, stafford, clock)
    w.receive("b")  # due Mon 4 Jan 2027
    config = Config(rules=str(rules), database=url, data_dir=tmp_path, secret="s3")  # type: ignore[arg-type]
    daemon = Daemon(config=config, policy=stafford, engine=sqlite_engine, clock=clock)
    scheduler = daemon.notice_scheduler()
    rules.write_text(
        rules.read_text(encoding="utf-8").replace(
            "    closure_days: []", "    closure_days: [{date: 2026-12-31, reason: Stocktake}]", 1
        ),
        encoding="utf-8",
    )
    await daemon.reload_rules()
    assert daemon.policy is not stafford and scheduler.notifier.policy is daemon.policy
    respond = next(d for d in w.state("b").deadlines if d.purpose == "respond")
    assert respond.due_date == date(2027, 1, 5)
    rules.write_text("council: {key: broken}\n", encoding="utf-8")
    before = daemon.policy
    await daemon.reload_rules()
    assert daemon.policy is before


class _FailingOnce(Notifier):
    """A notifier whose first round fails as a round does when the database is unreachable."""

    failures = 1

    def tick(self, now: datetime) -> Tick:
        if self.failures:
            self.failures -= 1
            raise OperationalError("SELECT 1", {}, Exception("connection refused"))
        return super().tick(now)


async def test_a_failed_round_is_retried_after_the_retry_pause_not_the_resync(
    sqlite_engine: Engine, stafford: CouncilPolicy
) -> None:
    """The database refuses the first round: the reminder already due still goes out, after
    the short retry pause rather than the five-minute resync."""
    w = World(sqlite_engine, stafford, SimClock(local(2026, 12, 7, 10)))
    w.receive("a")
    await w.settle()
    queued = asyncio.Event()
    scheduler = NoticeScheduler(
        _FailingOnce(sqlite_engine, stafford, holder="aps"),
        clock=lambda: local(2026, 12, 17, 10),
        on_queued=queued.set,
        resync=timedelta(minutes=5),
        retry=timedelta(seconds=0.3),
    )
    stop = asyncio.Event()
    task = asyncio.create_task(scheduler.run(stop))
    try:
        await asyncio.wait_for(queued.wait(), timeout=5)
        with session_scope(sqlite_engine) as session:
            sent = [r.kind for r in session.exec(select(Notification)) if r.status == "sent"]
        assert sent == ["reminder"]
        assert scheduler.notifier.failures == 0  # type: ignore[attr-defined]
    finally:
        stop.set()
        await task
