"""The daemon's daily retention run: once a local day, at or after the rules' ``run_at``.

A small loop rather than a scheduler job, because it only needs to notice that the day has
changed: it looks at the injected clock every ``poll`` seconds, so it follows a simulated clock
in tests and survives the machine sleeping or the clock being set. Several daemons sharing a
PostgreSQL database may each run it; the second finds nothing left (``retention`` re-checks
each contact under a row lock). A failed run is logged and tried again at the next poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from mailflow.policy.council import CouncilPolicy
from mailflow.privacy.retention import RetentionRun, run_retention
from mailflow.store.blobs import BlobStore

log = logging.getLogger("mailflow.retention")


@dataclass
class DailyRetention:
    """Runs the retention schedule once a local day; ``policy`` may be replaced on reload."""

    engine: Engine
    policy: CouncilPolicy
    blobs: BlobStore
    clock: Callable[[], datetime]
    poll: float = 300.0
    last_day: date | None = field(default=None)

    def due(self, now: datetime) -> bool:
        """Whether today's run is due: not yet run today and the local time is past ``run_at``."""
        local = now.astimezone(ZoneInfo(self.policy.rules.council.timezone))
        return local.date() != self.last_day and local.time() >= self.policy.rules.retention.run_at

    def run_once(self) -> RetentionRun | None:
        """Run the schedule now if it is due today; returns the run, or None if not due."""
        now = self.clock()
        if not self.due(now):
            return None
        run = run_retention(self.engine, self.policy, self.blobs, now=now)
        self.last_day = now.astimezone(ZoneInfo(self.policy.rules.council.timezone)).date()
        log.info(
            "retention run",
            extra={
                "event": "retention.run",
                "contacts": len(run.contacts),
                "messages": len(run.mail),
                "blobs": run.blobs_deleted,
            },
        )
        return run

    async def run(self, stop: asyncio.Event) -> None:
        """Poll the clock until ``stop`` is set, running the schedule when due."""
        while not stop.is_set():
            try:
                await asyncio.to_thread(self.run_once)
            except Exception as exc:  # a failed run must not stop the daemon: try again later
                log.error("retention run failed: %s", exc, extra={"event": "retention.failed"})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.poll)
