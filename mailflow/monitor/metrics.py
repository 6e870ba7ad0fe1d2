"""Prometheus metrics, read from the database and the watchers at each scrape.

Counts come from the store rather than in-process counters, so they survive restarts and
agree across several daemons sharing one PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func
from sqlmodel import col, select

from mailflow.ingest.watcher import Watcher
from mailflow.monitor.health import HEALTHY_PHASES, MAIL_KINDS
from mailflow.store.db import session_scope
from mailflow.store.models import Deadline, Message, Outbox


class MailflowCollector(Collector):
    """Messages in, mails sent, outbox depth and age, deadlines due, watcher state."""

    def __init__(
        self, engine: Engine, watchers: Mapping[str, Watcher], clock: Callable[[], datetime]
    ) -> None:
        self.engine, self.watchers, self.clock = engine, watchers, clock

    def collect(self) -> Iterator[Metric]:
        now = self.clock()
        messages = CounterMetricFamily(
            "mailflow_messages",
            "Messages received, by mailbox and outcome",
            labels=["mailbox", "status"],
        )
        sent = CounterMetricFamily("mailflow_mails_sent", "Mails sent, by kind", labels=["kind"])
        depth = GaugeMetricFamily("mailflow_outbox_depth", "Mails waiting to be sent")
        oldest = GaugeMetricFamily(
            "mailflow_outbox_oldest_unsent_seconds",
            "Age of the oldest mail that is due and not yet sent",
        )
        due = GaugeMetricFamily(
            "mailflow_deadlines_due", "Open deadlines already lapsed", labels=["purpose"]
        )
        with session_scope(self.engine) as s:
            for mailbox, status, n in s.exec(
                select(Message.mailbox, Message.status, func.count())
                .where(Message.direction == "in")
                .group_by(Message.mailbox, Message.status)
            ):
                messages.add_metric([mailbox or "", str(status)], float(n))
            for kind, n in s.exec(
                select(Outbox.kind, func.count())
                .where(Outbox.status == "done")
                .where(col(Outbox.kind).in_(MAIL_KINDS))
                .group_by(Outbox.kind)
            ):
                sent.add_metric([kind], float(n))
            waiting = (
                select(func.count(), func.min(Outbox.not_before))
                .where(col(Outbox.status).in_(("pending", "claimed")))
                .where(col(Outbox.kind).in_(MAIL_KINDS))
            )
            count, first = s.exec(waiting).one()
            for purpose, n in s.exec(
                select(Deadline.purpose, func.count())
                .where(Deadline.status == "open")
                .where(col(Deadline.due_at) < now)
                .group_by(Deadline.purpose)
            ):
                due.add_metric([str(purpose)], float(n))
        depth.add_metric([], float(count))
        oldest.add_metric([], max(0.0, (now - first).total_seconds()) if first else 0.0)
        yield from (messages, sent, depth, oldest, due, *self._watchers())

    def _watchers(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily(
            "mailflow_watcher_up", "1 when the mailbox connection is up", labels=["mailbox"]
        )
        failures = GaugeMetricFamily(
            "mailflow_watcher_failures", "Consecutive connection failures", labels=["mailbox"]
        )
        for name, watcher in self.watchers.items():
            state = watcher.state
            healthy = state.phase.value in HEALTHY_PHASES and state.consecutive_failures == 0
            up.add_metric([name], 1.0 if healthy else 0.0)
            failures.add_metric([name], float(state.consecutive_failures))
        yield from (up, failures)
