"""The one place that wires mailflow's parts into the running daemon (``mailflow run``).

Per mailbox: a lease (one watcher per mailbox across daemons sharing PostgreSQL), a watcher
handing each message to the inbound pipeline; beside them, the outbox worker sending what was
decided. Stopping (SIGTERM) sets one event: the message in hand is finished, then all return.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import signal
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry
from sqlalchemy import Engine

from mailflow.config import Config, MailboxConfig
from mailflow.ingest.imap import ImapSource
from mailflow.ingest.source import MailSource
from mailflow.ingest.watcher import Watcher
from mailflow.mail.limits import Limits
from mailflow.monitor.health import Check, database_checks, watcher_checks
from mailflow.monitor.metrics import MailflowCollector
from mailflow.monitor.server import serve as serve_monitor
from mailflow.outbound.backends import MailBackend
from mailflow.outbound.sentfolder import SentFolders
from mailflow.outbound.smtp import SmtpBackend
from mailflow.outbound.worker import OutboxWorker
from mailflow.pipeline.feedback import after_send
from mailflow.pipeline.inbound import Inbound
from mailflow.pipeline.officers import OfficerReplies
from mailflow.policy.council import CouncilPolicy, load_policy
from mailflow.privacy.daily import DailyRetention
from mailflow.schedule.notifier import Notifier
from mailflow.schedule.reload import recompute_open_deadlines
from mailflow.schedule.reports import ReportDeliveries
from mailflow.schedule.scheduler import NoticeScheduler
from mailflow.schedule.wake import Wake
from mailflow.store import migrate
from mailflow.store.db import make_engine, session_scope
from mailflow.store.leases import acquire_lease, release_lease
from mailflow.store.repo import get_checkpoint, set_checkpoint

log = logging.getLogger("mailflow.app")


def utcnow() -> datetime:
    """The real clock; tests and the demo pass their own."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class DbCheckpoints:
    """The watcher's checkpoints, kept in the database beside the messages."""

    engine: Engine
    clock: Callable[[], datetime]

    def get(self, mailbox: str) -> tuple[int, int] | None:
        with session_scope(self.engine) as session:
            row = get_checkpoint(session, mailbox)
            return (row.uidvalidity, row.last_uid) if row else None

    def set(self, mailbox: str, uidvalidity: int, last_uid: int) -> None:
        with session_scope(self.engine) as session:
            set_checkpoint(
                session, mailbox, uidvalidity=uidvalidity, last_uid=last_uid, at=self.clock()
            )


def own_addresses(policy: CouncilPolicy, config: Config) -> frozenset[str]:
    """Addresses mailflow sends from: mail from them is never a new contact (loop guard)."""
    addresses = set(policy.rules.council.mailboxes.values())
    addresses |= {m.address for m in config.mailbox}
    return frozenset(a.lower() for a in addresses)


@dataclass
class Daemon:
    """The running daemon's parts; ``run`` until ``stop`` is set."""

    config: Config
    policy: CouncilPolicy
    engine: Engine
    clock: Callable[[], datetime] = utcnow
    source_factory: Callable[[MailboxConfig], MailSource] = ImapSource
    backend_factory: Callable[[Config], MailBackend] = lambda config: SmtpBackend(config.smtp)
    wake: asyncio.Event = field(default_factory=Wake)  # heard by the worker and the scheduler
    holder: str = field(default_factory=lambda: f"{os.uname().nodename}:{os.getpid()}")
    watchers: dict[str, Watcher] = field(default_factory=dict)
    notices: NoticeScheduler | None = None
    reports: ReportDeliveries | None = None
    retention: DailyRetention | None = None
    worker: OutboxWorker | None = None
    sent_folders: SentFolders | None = None

    @classmethod
    def from_config(cls, config: Config, **kwargs: object) -> Daemon:
        """Load rules, read the reply key, open (and migrate) the database: fail fast on each."""
        policy = load_policy(config.rules)
        config.hmac_key()  # officers' reply addresses are signed with it: fail now, not later
        url = config.database_url()
        config.data_dir.mkdir(parents=True, exist_ok=True)
        migrate.upgrade(url)
        return cls(config=config, policy=policy, engine=make_engine(url), **kwargs)  # type: ignore[arg-type]

    @property
    def lease_ttl(self) -> timedelta:
        """How long a claim on a mailbox lasts without renewal."""
        return timedelta(seconds=self.config.lease_seconds)

    def inbound(self, mailbox: MailboxConfig) -> Inbound:
        """The pipeline for one mailbox."""
        lim = self.config.limits
        return Inbound(
            policy=self.policy,
            engine=self.engine,
            blobs=self.config.blob_store(),
            mailbox=mailbox,
            own_addresses=own_addresses(self.policy, self.config),
            limits=Limits(
                max_bytes=lim.max_message_bytes,
                max_parts=lim.max_parts,
                max_depth=lim.max_depth,
                attachment_cap=lim.attachment_cap_bytes,
            ),
            clock=self.clock,
            wake=self.wake,
            officers=OfficerReplies(
                policy=self.policy, key=self.config.hmac_key(), mailbox_address=mailbox.address
            ),
        )

    async def watch(self, mailbox: MailboxConfig, stop: asyncio.Event) -> None:
        """Hold the mailbox's lease and run its watcher while we hold it."""
        name = f"watcher:{mailbox.name}"
        while not stop.is_set():
            if not await asyncio.to_thread(self._lease, name):
                log.info(
                    "mailbox watched elsewhere",
                    extra={"event": "app.lease_busy", "mailbox": mailbox.name},
                )
                await _sleep_or_stop(stop, self.lease_ttl.total_seconds() / 3)
                continue
            watcher = Watcher(
                lambda: self.source_factory(mailbox),
                self.inbound(mailbox).handle,
                DbCheckpoints(self.engine, self.clock),
            )
            self.watchers[mailbox.name] = watcher
            lost = asyncio.Event()
            renew = asyncio.create_task(self._renew(name, stop, lost))
            both = asyncio.Event()
            relay = asyncio.create_task(_either(stop, lost, both))
            try:
                await watcher.run(both)
            finally:
                renew.cancel()
                relay.cancel()
                await asyncio.to_thread(self._release, name)

    def _lease(self, name: str) -> bool:
        with session_scope(self.engine) as session:
            return acquire_lease(session, name, self.holder, self.clock(), self.lease_ttl)

    def _release(self, name: str) -> None:
        with session_scope(self.engine) as session:
            release_lease(session, name, self.holder)

    async def _renew(self, name: str, stop: asyncio.Event, lost: asyncio.Event) -> None:
        while not stop.is_set():
            await _sleep_or_stop(stop, self.lease_ttl.total_seconds() / 3)
            if not stop.is_set() and not await asyncio.to_thread(self._lease, name):
                log.warning("lease lost", extra={"event": "app.lease_lost", "lease": name})
                lost.set()
                return

    async def run(self, stop: asyncio.Event) -> None:
        """Run every watcher until ``stop`` is set."""
        monitor = self.start_monitor()
        tasks = [asyncio.create_task(self.watch(m, stop)) for m in self.config.mailbox]
        tasks.extend(asyncio.create_task(c) for c in self.extra_tasks(stop))
        try:
            await asyncio.gather(*tasks)
        finally:
            if monitor is not None:
                monitor.shutdown()
            if self.sent_folders is not None:
                await self.sent_folders.close()

    def health_checks(self) -> list[Check]:
        """The database, the schema, the outbox and every mailbox connection."""
        url = self.config.database_url()
        names = [m.name for m in self.config.mailbox]
        return database_checks(self.engine, url, self.clock()) + watcher_checks(
            names, self.watchers
        )

    def start_monitor(self) -> WSGIServer | None:
        """Serve /healthz and /metrics when the config asks for a listener."""
        listen = self.config.monitor.listen
        if not listen:
            return None
        registry = CollectorRegistry()
        registry.register(MailflowCollector(self.engine, self.watchers, self.clock))
        log.info("monitor listening", extra={"event": "app.monitor", "listen": listen})
        return serve_monitor(listen, registry, self.health_checks)

    def extra_tasks(self, stop: asyncio.Event) -> list[Coroutine[Any, Any, None]]:
        """Further loops beside the watchers: outbox worker, notice scheduler, report mailing."""
        changed = self.wake.listen() if isinstance(self.wake, Wake) else None
        notices = self.notice_scheduler()
        return [
            self.outbox_worker().run(stop, self.wake),
            notices.run(stop, changed),
            self.report_deliveries().run(stop),
            self.daily_retention().run(stop),
        ]

    def daily_retention(self) -> DailyRetention:
        """The retention schedule (``retention`` section), applied once a day."""
        if self.retention is None:
            self.retention = DailyRetention(
                engine=self.engine,
                policy=self.policy,
                blobs=self.config.blob_store(),
                clock=self.clock,
            )
        return self.retention

    def report_deliveries(self) -> ReportDeliveries:
        """The monitoring reports the rules mail after each period (``reports`` section)."""
        if self.reports is None:
            wake_worker = functools.partial(asyncio.Event.set, self.wake)
            self.reports = ReportDeliveries(
                engine=self.engine,
                policy=self.policy,
                blobs=self.config.blob_store(),
                clock=self.clock,
                on_queued=wake_worker,
            )
        return self.reports

    def notice_scheduler(self) -> NoticeScheduler:
        """Reminders, escalations, breach warnings and digests, woken when next due."""
        if self.notices is None:
            notifier = Notifier(
                self.engine,
                self.policy,
                holder=self.holder,
                mailboxes={m.name: m.address for m in self.config.mailbox},
            )
            # Mail queued: wake the outbox worker (the plain event, not the scheduler's own).
            wake_worker = functools.partial(asyncio.Event.set, self.wake)
            self.notices = NoticeScheduler(notifier, clock=self.clock, on_queued=wake_worker)
        return self.notices

    async def reload_rules(self) -> None:
        """SIGHUP: load the rules file again, recompute open deadlines, log which moved."""
        try:
            policy = await asyncio.to_thread(load_policy, self.config.rules)
            moved = await asyncio.to_thread(
                recompute_open_deadlines, self.engine, policy, now=self.clock()
            )
        except Exception as exc:  # a broken file keeps the rules in force
            log.error("rules not reloaded: %s", exc, extra={"event": "app.reload_failed"})
            return
        self.policy = policy
        for m in moved:
            log.info("deadline moved", extra={"event": "app.deadline_moved", **m.as_json()})
        if self.notices is not None:
            self.notices.notifier.policy = policy
            self.notices.poke()
        if self.reports is not None:
            self.reports.policy = policy
        if self.retention is not None:
            self.retention.policy = policy
        if self.worker is not None:
            self.worker.use_policy(policy, after_send=after_send(policy))

    def outbox_worker(self) -> OutboxWorker:
        """The worker sending what the workflow decided, through the configured backend."""
        if self.worker is not None:
            return self.worker
        self.worker = OutboxWorker(
            self.engine,
            self.policy,
            self.backend_factory(self.config),
            holder=self.holder,
            clock=self.clock,
            sent_folder_appender=self.append_sent,
            after_send=after_send(self.policy),
            blobs=self.config.blob_store(),
            mailboxes={m.name: m.address for m in self.config.mailbox},
            lease=self.lease_ttl,
            reply_key=self.config.hmac_key(),
        )
        return self.worker

    async def append_sent(self, mailbox_name: str, raw: bytes) -> None:
        """Append a sent mail to the shared mailbox's Sent folder, so officers see it."""
        if self.sent_folders is None:  # one kept-open connection per mailbox
            self.sent_folders = SentFolders(self.config.mailbox, self.source_factory)
        await self.sent_folders.append(mailbox_name, raw)


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def _either(a: asyncio.Event, b: asyncio.Event, out: asyncio.Event) -> None:
    waits = [asyncio.create_task(a.wait()), asyncio.create_task(b.wait())]
    await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    for w in waits:
        w.cancel()
    out.set()


def serve(config: Config) -> None:
    """``mailflow run``: run until SIGTERM or SIGINT, then stop cleanly."""
    daemon = Daemon.from_config(config)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        reloads: list[asyncio.Task[None]] = []  # SIGHUP: reload the rules (kept until done)
        loop.add_signal_handler(
            signal.SIGHUP, lambda: reloads.append(loop.create_task(daemon.reload_rules()))
        )
        log.info("started", extra={"event": "app.started", "mailboxes": len(config.mailbox)})
        await daemon.run(stop)
        log.info("stopped", extra={"event": "app.stopped"})

    asyncio.run(main())
