"""Mailing each finished period's monitoring report, once, when the rules say it is due.

The rules file's ``reports`` section names each delivery's frequency, recipients, formats and
``delay``: the report of a period is due at the start of working hours ``delay`` working days
after the period ends on the council's calendar (``delay: 0`` is the first working morning
after it, as ``after: 0`` is for reminders). A round looks at the last two finished periods of
each delivery, so a daemon that was down across a due instant sends the report when it comes
back, and sends nothing for periods that ended before the database holds its first contact (a
new installation does not mail empty reports of months it never saw).

Sending is ``reports.delivery.send_report``: rendered, stored and queued to the outbox in one
transaction whose ``report_sent`` audit event makes it once per council and period however many
daemons run the round (PostgreSQL advisory lock; SQLite's single writer). Between rounds the
loop sleeps until the next due instant, counted on the injected clock, at most ``resync``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func
from sqlmodel import col, select

from mailflow.policy.council import CouncilPolicy
from mailflow.policy.report_rules import ReportDelivery
from mailflow.reports.delivery import Sent, due_reports, recipients, send_report
from mailflow.reports.periods import Period, last_finished, parse_period
from mailflow.store.blobs import BlobStore
from mailflow.store.db import session_scope
from mailflow.store.models import Contact

log = logging.getLogger("mailflow.schedule.reports")
CATCH_UP = 2
"""Finished periods looked at in each round (this many back from the latest)."""


def due_at(policy: CouncilPolicy, delivery: ReportDelivery, period: Period) -> datetime:
    """When ``period``'s report is due: working hours' start, ``delay`` working days after it."""
    calendar = policy.calendar()
    day = calendar.add_working_days(period.last, delivery.delay + 1)
    opens = policy.rules.working_hours.opens
    zone = ZoneInfo(policy.rules.council.timezone)
    return datetime.combine(day, opens, tzinfo=zone).astimezone(UTC)


def _current(delivery: ReportDelivery, now: datetime, timezone: str) -> Period:
    """The period of ``delivery``'s frequency that ``now`` falls in."""
    latest = last_finished(delivery.period_kind, now, timezone)
    after = latest.last + timedelta(days=1)
    if latest.kind == "month":
        return parse_period(f"{after.year}-{after.month:02d}")
    if latest.kind == "quarter":
        return parse_period(f"{after.year}-Q{(after.month + 2) // 3}")
    return parse_period(str(after.year))


@dataclass(frozen=True, kw_only=True)
class Round:
    """What one round did: the reports it queued, and when the next one falls due."""

    queued: tuple[Sent, ...]
    next_due: datetime | None


@dataclass
class ReportDeliveries:
    """The rules' report deliveries for one council, run round by round."""

    engine: Engine
    policy: CouncilPolicy
    blobs: BlobStore
    clock: Callable[[], datetime]
    on_queued: Callable[[], None] | None = None
    resync: timedelta = timedelta(hours=1)
    pause: timedelta = timedelta(minutes=1)
    last: Round | None = field(default=None, init=False)

    def round(self, now: datetime) -> Round:
        """Send every report due at ``now`` and not yet sent; name the next due instant."""
        tz = self.policy.rules.council.timezone
        first = self._first_contact()
        queued: list[Sent] = []
        upcoming: list[datetime] = []
        for delivery in self.policy.rules.reports.deliveries:
            kind = delivery.period_kind
            for period in due_reports(
                self.engine, self.policy, frequency=kind, now=now, catch_up=CATCH_UP
            ):
                if first is None or period.end(tz) <= first:
                    continue  # nothing was recorded yet: no report of a period mailflow missed
                when = due_at(self.policy, delivery, period)
                if when > now:
                    upcoming.append(when)
                    continue
                sent = self._send(delivery, period, now)
                if sent.queued:
                    queued.append(sent)
            upcoming.append(due_at(self.policy, delivery, _current(delivery, now, tz)))
        done = Round(queued=tuple(queued), next_due=min(upcoming, default=None))
        self.last = done
        return done

    def _send(self, delivery: ReportDelivery, period: Period, now: datetime) -> Sent:
        sent = send_report(
            self.engine,
            self.policy,
            period,
            recipients=recipients(self.policy, delivery),
            blobs=self.blobs,
            now=now,
            mailbox=delivery.mailbox,
            formats=delivery.formats,
            frequency=delivery.frequency,
        )
        if sent.queued:
            log.info(
                "report queued",
                extra={
                    "event": "reports.queued",
                    "council": self.policy.key,
                    "period": period.key,
                    "delivery": delivery.name,
                    "message_id": sent.message_id,
                },
            )
        return sent

    def _first_contact(self) -> datetime | None:
        """When the database's first contact was received (None: no contact yet)."""
        with session_scope(self.engine) as session:
            first = session.exec(select(func.min(col(Contact.received_at)))).one()
        if first is not None and first.tzinfo is None:
            first = first.replace(tzinfo=UTC)  # SQLite keeps UTC without the offset
        return first

    async def run(self, stop: asyncio.Event) -> None:
        """Run rounds until ``stop``: at once, then at each due instant (at most ``resync``)."""
        if not self.policy.rules.reports.deliveries:
            return
        while not stop.is_set():
            wait = self.pause
            try:
                done = await asyncio.to_thread(self.round, self.clock())
            except asyncio.CancelledError:
                return
            except Exception:  # the database is down, say: try again after a pause
                log.exception("report round failed", extra={"event": "reports.failed"})
            else:
                if done.queued and self.on_queued is not None:
                    self.on_queued()
                wait = self._wait(done)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), wait.total_seconds())

    def _wait(self, done: Round) -> timedelta:
        """Real time until the next round: to the next due instant, within [pause, resync]."""
        if done.next_due is None:
            return self.resync
        return max(self.pause, min(self.resync, done.next_due - self.clock()))
