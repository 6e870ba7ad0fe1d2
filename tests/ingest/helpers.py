"""Small helpers for the ingest tests: messages, configs, a recording handler, polling."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from pydantic import SecretStr

from mailflow.config import MailboxConfig
from mailflow.ingest import Fetched, Watcher
from tests.servers.dovecot import Mailbox


def message(subject: str) -> bytes:
    """A small RFC 5322 message with CRLF line ends, as an IMAP server stores it."""
    return (
        "From: Resident <resident@example.org>\r\n"
        "To: complaints@council.test\r\n"
        f"Subject: {subject}\r\n"
        f"Message-ID: <{subject.replace(' ', '-')}@example.org>\r\n"
        "\r\n"
        f"About {subject}.\r\n"
    ).encode()


def subject_of(raw: bytes) -> str:
    """The Subject of a message made by `message`."""
    for line in raw.split(b"\r\n"):
        if line.startswith(b"Subject: "):
            return line[len(b"Subject: ") :].decode()
    raise AssertionError("no Subject")


def imap_config(box: Mailbox, **changes: object) -> MailboxConfig:
    """A MailboxConfig for a test mailbox: plain IMAP on loopback, IDLE re-issued every 10 s."""
    settings: dict[str, object] = {
        "name": "complaints",
        "address": box.address,
        "user": box.address,
        "password": SecretStr(box.password),
        "host": box.host,
        "port": box.imap_port,
        "security": "none",
        "idle_seconds": 10,
    }
    settings.update(changes)
    return MailboxConfig.model_validate(settings)


def append_all(box: Mailbox, raws: Iterable[bytes], folder: str = "INBOX") -> None:
    """APPEND several messages over one IMAPClient login (blocking)."""
    client = box.server.imap_client(box.address, box.password)
    try:
        for raw in raws:
            client.append(folder, raw)
    finally:
        client.logout()


def folder_contents(box: Mailbox, folder: str) -> list[bytes]:
    """The raw messages of a folder in UID order, or [] if the folder does not exist."""
    if folder not in box.folders():
        return []
    return box.fetch_all(folder)


@dataclass
class Recorder:
    """A handler that records each message with the time it arrived and files it by rule."""

    folder: str | None = "Processed"
    fail_on: Callable[[Fetched], bool] = lambda _fetched: False
    seen: list[Fetched] = field(default_factory=list)
    arrived_at: list[float] = field(default_factory=list)

    async def __call__(self, fetched: Fetched) -> str | None:
        self.seen.append(fetched)
        self.arrived_at.append(time.monotonic())
        if self.fail_on(fetched):
            raise RuntimeError(f"cannot record UID {fetched.uid}")
        return self.folder

    @property
    def uids(self) -> list[int]:
        return [fetched.uid for fetched in self.seen]

    @property
    def subjects(self) -> list[str]:
        return [subject_of(fetched.raw) for fetched in self.seen]


async def eventually(condition: Callable[[], bool], timeout: float = 5.0) -> float:
    """Poll ``condition`` until it holds; return the seconds it took, or fail after timeout."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(0.02)
    return time.monotonic() - started


class Running:
    """A watcher running in a task; leaving the block stops it and waits for it to return."""

    def __init__(self, watcher: Watcher) -> None:
        self.watcher = watcher
        self.stop = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Running:
        self.task = asyncio.create_task(self.watcher.run(self.stop))
        return self

    async def stopped(self, timeout: float = 5.0) -> float:
        """Set stop and wait for run() to return; the seconds it took."""
        assert self.task is not None
        started = time.monotonic()
        self.stop.set()
        await asyncio.wait_for(self.task, timeout)
        return time.monotonic() - started

    async def __aexit__(self, *exc_info: object) -> None:
        if self.task is not None and not self.task.done():
            await self.stopped()


class SleepRecorder:
    """A fake sleep that records each delay and returns at once; sets stop after ``limit``."""

    def __init__(self, stop: asyncio.Event | None = None, limit: int = 1000) -> None:
        self.delays: list[float] = []
        self.stop = stop
        self.limit = limit

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        if self.stop is not None and len(self.delays) >= self.limit:
            self.stop.set()
        await asyncio.sleep(0)
