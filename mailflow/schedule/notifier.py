"""One round of the scheduler's work at an instant: plan, send what is due, say when next.

``Notifier.tick(now)`` is synchronous and takes "now" as an argument, so a test walks a case
through weeks of simulated time by calling it at each instant ``next_wake`` names; the daemon
calls it from APScheduler (``scheduler.py``) in a thread. Each step is its own transaction:

1. plan: notices of every deadline that changed (``plans.sync``);
2. in working hours only: claim the due notices and digests and queue their mails;
3. make sure every digest recipient has a next instant planned;
4. the next wake: the earliest pending notice, moved on to the council's next working time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from mailflow.policy.council import CouncilPolicy
from mailflow.schedule import digests, dispatch, plans
from mailflow.workflow.reminders import next_working_time, working_time


@dataclass(frozen=True, kw_only=True)
class Tick:
    """What one round did: deadlines planned, mails queued, and when to wake next."""

    planned: int
    queued: int
    next_wake: datetime | None


class Notifier:
    """The scheduler's work against the database, for one council; safe to run in several
    daemons at once (every step claims its rows)."""

    def __init__(
        self,
        engine: Engine,
        policy: CouncilPolicy,
        *,
        holder: str,
        mailboxes: Mapping[str, str] | None = None,
    ) -> None:
        self.engine, self.policy, self.holder = engine, policy, holder
        self._mailboxes = dict(mailboxes or {})

    @property
    def mailboxes(self) -> dict[str, str]:
        """Mailbox names to addresses: the rules' mailboxes, then the daemon's configured ones."""
        return {**self.policy.rules.council.mailboxes, **self._mailboxes}

    def tick(self, now: datetime) -> Tick:
        """Plan, send what is due at ``now`` (in working hours), and say when to wake next."""
        planned = plans.sync(self.engine, self.policy, now=now)
        queued = 0
        if working_time(self.policy, now):
            boxes = self.mailboxes
            queued += dispatch.send_due_notices(
                self.engine, self.policy, holder=self.holder, now=now, mailboxes=boxes
            )
            queued += digests.send_due_digests(
                self.engine, self.policy, holder=self.holder, now=now, mailboxes=boxes
            )
        digests.ensure_planned(self.engine, self.policy, now=now)
        return Tick(planned=planned, queued=queued, next_wake=self.next_wake(now))

    def next_wake(self, now: datetime) -> datetime | None:
        """When there is next something to do: now if a deadline awaits planning, else the
        earliest pending notice, never outside working hours."""
        if plans.stale_count(self.engine, self.policy.key):
            return now
        due = plans.next_due(self.engine, self.policy.key)
        if due is None:
            return None
        return next_working_time(self.policy, max(due, now))
