"""Waking the daemon when the next notice falls due: one APScheduler job, moved as plans change.

APScheduler 3 (``AsyncIOScheduler``) holds a single date job. Each run does one ``Notifier``
round in a thread and moves the job to the next instant that round names (never further away
than ``resync``, so deadlines changed by another daemon or the command line are planned soon).
A change signalled on the daemon's wake-up event runs the job within ``debounce`` (a burst of
incoming mail makes one round, not one each). Nothing lives only in the scheduler: the database
holds every notice, so a restart loses nothing and sends what fell due while the daemon was
down, once.

APScheduler counts in real time; the notifier counts in the injected clock. The delay between
the two is what is carried across, so a shifted clock (a demo, a test) wakes on time too.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from mailflow.schedule.notifier import Notifier, Tick

log = logging.getLogger("mailflow.schedule")
JOB_ID = "mailflow-notices"
Clock = Callable[[], datetime]


class NoticeScheduler:
    """Runs the notifier at the next due instant, and at once when deadlines change."""

    def __init__(
        self,
        notifier: Notifier,
        *,
        clock: Clock,
        on_queued: Callable[[], None] | None = None,
        resync: timedelta = timedelta(minutes=5),
        pause: timedelta = timedelta(seconds=1),
        debounce: timedelta = timedelta(seconds=5),
        retry: timedelta = timedelta(seconds=30),
    ) -> None:
        self.notifier, self._clock, self._on_queued = notifier, clock, on_queued
        self._resync, self._pause, self._debounce = resync, pause, debounce
        self._retry = retry
        # APScheduler logs every job added, run and removed at INFO: one line per wake-up.
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
        self._aps = AsyncIOScheduler(timezone=UTC)
        self._lock = asyncio.Lock()
        self._again = False
        self.last: Tick | None = None

    @property
    def next_run(self) -> datetime | None:
        """When APScheduler will next wake the notifier (real time), if it is planned."""
        job = self._aps.get_job(JOB_ID)
        return job.next_run_time if job is not None else None

    async def run(self, stop: asyncio.Event, changed: asyncio.Event | None = None) -> None:
        """Wake the notifier until ``stop``; ``changed`` says deadlines may have changed."""
        self._aps.start()
        self._plan(timedelta(0))  # at once: send what fell due while the daemon was down
        try:
            while not stop.is_set():
                waits = [asyncio.ensure_future(stop.wait())]
                if changed is not None:
                    waits.append(asyncio.ensure_future(changed.wait()))
                try:
                    await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    for task in waits:
                        task.cancel()
                if changed is not None and changed.is_set() and not stop.is_set():
                    changed.clear()
                    self.poke()
        finally:
            self._aps.shutdown(wait=False)

    def poke(self) -> None:
        """Run the notifier soon: after ``debounce``, so a burst of mail makes one round."""
        if self._lock.locked():
            self._again = True
            return
        planned = self.next_run
        if planned is None or planned > datetime.now(UTC) + self._debounce:
            self._plan(self._debounce)

    def _plan(self, delay: timedelta) -> None:
        run_date = datetime.now(UTC) + delay
        self._aps.add_job(
            self._wake,
            trigger="date",
            run_date=run_date,
            id=JOB_ID,
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
            max_instances=2,
        )

    async def _wake(self) -> None:
        """One job run: a notifier round, then the next wake-up (soon, if poked meanwhile)."""
        async with self._lock:
            self._again = False
            try:
                tick = await asyncio.to_thread(self.notifier.tick, self._clock())
            except asyncio.CancelledError:
                # The daemon is stopping: the round's transaction commits or rolls back in its
                # thread on its own, and nothing is planned after it.
                log.info("notice round cancelled", extra={"event": "schedule.cancelled"})
                return
            except Exception:  # the database is down, say: try again after a pause
                log.exception("notice round failed", extra={"event": "schedule.failed"})
                # Not a full resync later: what fell due meanwhile goes out soon after recovery.
                self._plan(min(self._retry, self._resync))
                return
            self.last = tick
            if tick.queued and self._on_queued is not None:
                self._on_queued()
            delay = self._delay(tick)
            self._plan(min(delay, self._debounce) if self._again else delay)

    def _delay(self, tick: Tick | None) -> timedelta:
        """Real time until the next round: the notifier's next wake, within [pause, resync]."""
        if tick is None or tick.next_wake is None:
            return self._resync
        wait = tick.next_wake - self._clock()
        return min(self._resync, wait) if wait > timedelta(0) else self._pause
