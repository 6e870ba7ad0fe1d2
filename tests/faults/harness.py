"""The real daemon against real servers, for the fault tests and the benchmarks.

    config = write_config(folder, mailbox, sink, database=url)
    with DaemonProcess(config, mailbox.password, log) as daemon:   # `mailflow run`
        append_all(mailbox, mails)
        store.wait(lambda: store.recorded()[0] == len(mails), 120)
        daemon.kill()                                             # SIGKILL
        daemon.start()

``Store`` reads what the daemon wrote: messages recorded, outbox rows by state.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from imapclient import IMAPClient
from sqlalchemy import Connection, Engine, create_engine, func, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from sqlmodel import col, select

from mailflow.store.db import make_engine, session_scope
from mailflow.store.models import Message, Outbox
from mailflow.store.vocab import Direction, MessageStatus, OutboxStatus
from tests.faults.mails import chunks
from tests.servers.dovecot import Mailbox
from tests.servers.smtp import SmtpSink

MAILFLOW = str(Path(sys.executable).with_name("mailflow"))
PASSWORD_ENV = "MAILFLOW_TEST_PASSWORD"
MAIL_KINDS = ("customer_mail", "staff_mail")
SETTLED = (OutboxStatus.DONE, OutboxStatus.FAILED, OutboxStatus.CANCELLED)
READER = "mailflow-test-reader"


def write_config(
    folder: Path,
    mailbox: Mailbox,
    sink: SmtpSink,
    *,
    database: str = "",
    lease_seconds: int = 3,
    idle_seconds: int = 30,
    rules: str = "stafford",
) -> Path:
    """A ``mailflow.toml`` for the test's Dovecot user and SMTP sink (SQLite unless given)."""
    config = folder / "mailflow.toml"
    db_line = f'database = "{database}"' if database else ""
    config.write_text(
        f"""
rules = "{rules}"
{db_line}
data_dir = "{folder / "data"}"
secret = "test-secret"
lease_seconds = {lease_seconds}

[log]
format = "json"

[[mailbox]]
name = "complaints"
address = "{mailbox.address}"
host = "{mailbox.host}"
port = {mailbox.imap_port}
security = "none"
user = "{mailbox.address}"
password_env = "{PASSWORD_ENV}"
idle_seconds = {idle_seconds}

[smtp]
host = "{sink.host}"
port = {sink.port}
security = "none"
timeout_seconds = 10
""",
        encoding="utf-8",
    )
    return config


def sqlite_url(folder: Path) -> str:
    """The database the daemon makes under ``folder/data`` when the config names none."""
    return f"sqlite:///{folder / 'data' / 'mailflow.db'}"


class DaemonProcess:
    """``mailflow run --config CONFIG`` as a child process, output appended to ``log``."""

    def __init__(self, config: Path, password: str, log: Path) -> None:
        self.config, self.password, self.log = config, password, log
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0

    def start(self) -> None:
        env = {**os.environ, PASSWORD_ENV: self.password}
        with self.log.open("ab") as out:
            self.started_at = time.monotonic()
            self.process = subprocess.Popen(
                [MAILFLOW, "run", "--config", str(self.config)], env=env, stdout=out, stderr=out
            )

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def kill(self) -> float:
        """SIGKILL, as a crash or the OOM killer would; returns the instant (time.time())."""
        assert self.process is not None
        at = time.time()
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        return at

    def stop(self, timeout: float = 20) -> int:
        """SIGTERM and wait: the daemon finishes the message in hand; returns the exit code."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return 0 if process is None else int(process.returncode)
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
            raise

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def __enter__(self) -> DaemonProcess:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


def append_all(mailbox: Mailbox, mails: Iterable[bytes], folder: str = "INBOX") -> None:
    """APPEND every mail over one connection (MULTIAPPEND in batches: fast for thousands)."""
    client = imap_client(mailbox)
    try:
        for batch in chunks(list(mails), 100):
            client.multiappend(folder, batch)
    finally:
        client.logout()


def imap_client(mailbox: Mailbox) -> IMAPClient:
    """A logged-in IMAPClient on the mailbox's Dovecot."""
    client = IMAPClient(mailbox.host, port=mailbox.imap_port, ssl=False, timeout=30)
    client.login(mailbox.address, mailbox.password)
    return client


def folder_count(mailbox: Mailbox, folder: str) -> int:
    """How many messages ``folder`` holds (0 when it does not exist yet)."""
    client = imap_client(mailbox)
    try:
        if not client.folder_exists(folder):
            return 0
        return int(client.folder_status(folder, [b"MESSAGES"])[b"MESSAGES"])
    finally:
        client.logout()


@dataclass(frozen=True)
class OutboxCounts:
    """Outbox rows by kind and state."""

    mail_pending: int
    mail_done: int
    mail_unsettled: int
    copies_unsettled: int
    failed: int


class Store:
    """Read-only views of the daemon's database."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            url = make_url(self.url)
            if url.get_backend_name() == "postgresql":  # spared by terminate_backends
                url = url.update_query_dict({"application_name": READER})
            self._engine = make_engine(url.render_as_string(hide_password=False))
        return self._engine

    def ready(self) -> bool:
        """Whether the daemon has created and migrated its database."""
        try:
            self.recorded()
        except Exception:
            self.dispose()
            return False
        return True

    def recorded(self) -> tuple[int, int]:
        """(inbound messages, distinct Message-IDs among them)."""
        with session_scope(self.engine) as s:
            inbound = select(func.count(), func.count(func.distinct(Message.message_id))).where(
                col(Message.direction) == Direction.IN
            )
            count, distinct = s.exec(inbound).one()
            return int(count), int(distinct)

    def quarantined(self) -> list[tuple[str, str]]:
        """(Message-ID, reason) of every quarantined message."""
        with session_scope(self.engine) as s:
            rows = s.exec(
                select(Message.message_id, Message.quarantine_reason).where(
                    col(Message.status) == MessageStatus.QUARANTINED
                )
            ).all()
            return [(m, r or "") for m, r in rows]

    def outbox(self) -> OutboxCounts:
        with session_scope(self.engine) as s:
            by_state = select(Outbox.kind, Outbox.status, func.count()).group_by(
                Outbox.kind, Outbox.status
            )
            rows = s.exec(by_state).all()
        mail: Counter[str] = Counter()
        copies: Counter[str] = Counter()
        for kind, status, n in rows:
            (mail if kind in MAIL_KINDS else copies)[status] += n
        return OutboxCounts(
            mail_pending=sum(n for st, n in mail.items() if st == OutboxStatus.PENDING),
            mail_done=mail.get(OutboxStatus.DONE, 0),
            mail_unsettled=sum(n for st, n in mail.items() if st not in SETTLED),
            copies_unsettled=sum(n for st, n in copies.items() if st not in SETTLED),
            failed=sum(n for _k, st, n in rows if st == OutboxStatus.FAILED),
        )

    def drained(self) -> bool:
        """Every mail and every Sent copy settled (done, failed or cancelled)."""
        counts = self.outbox()
        return counts.mail_unsettled == 0 and counts.copies_unsettled == 0

    def mail_rows(self) -> list[Outbox]:
        """Every customer and staff mail row."""
        with session_scope(self.engine) as s:
            query = select(Outbox).where(col(Outbox.kind).in_(MAIL_KINDS)).order_by(col(Outbox.id))
            return list(s.exec(query))

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def wait_until(predicate: Callable[[], bool], timeout: float, what: str = "") -> float:
    """Poll ``predicate`` every 0.1 s; return the seconds it took or raise AssertionError."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{what or 'condition'} not reached within {timeout} s")
        time.sleep(0.1)
    return time.monotonic() - started


POSTGRES_ADMIN_URL = os.environ.get(
    "MAILFLOW_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@contextlib.contextmanager
def throwaway_postgres(prefix: str = "mailflow_fault") -> Iterator[str]:
    """A new, empty PostgreSQL database on the test server; dropped (connections ended) after."""
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    name = f"{prefix}_{secrets.token_hex(5)}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(POSTGRES_ADMIN_URL).set(database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            terminate_backends(connection, name, spare_reader=False)
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def terminate_backends(connection: Connection, database: str, *, spare_reader: bool = True) -> int:
    """End every other session on ``database`` (pg_terminate_backend), except the test's own
    ``Store`` unless told; returns how many."""
    ended = connection.execute(
        text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = :name AND pid <> pg_backend_pid()"
            " AND (application_name <> :reader OR NOT :spare)"
        ),
        {"name": database, "reader": READER, "spare": spare_reader},
    ).scalar_one()
    return int(ended)
