"""An in-memory mail server and source for watcher tests that need failures on demand."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from mailflow.ingest import Fetched, SourceError, SourceRefused


@dataclass
class FakeServer:
    """Folders of messages by UID; knobs to fail connects, filing, or change UIDVALIDITY."""

    uidvalidity: int = 7
    inbox: dict[int, bytes] = field(default_factory=dict)
    folders: dict[str, list[bytes]] = field(default_factory=dict)
    next_uid: int = 1
    failing_connects: int = 0  # the next N connect() calls raise SourceError
    refuse_folder: str | None = None  # file() into this folder raises SourceRefused
    drop_in_wait: int = 0  # the next N wait() calls raise SourceError (a dropped connection)
    events: list[str] = field(default_factory=list)  # "connect", "file 3 Processed", "close"
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def deliver(self, raw: bytes) -> int:
        uid, self.next_uid = self.next_uid, self.next_uid + 1
        self.inbox[uid] = raw
        self.arrived.set()
        return uid

    def recreate_inbox(self) -> None:
        """Empty the folder and start a new UIDVALIDITY, as deleting and recreating it does."""
        self.inbox.clear()
        self.uidvalidity += 1
        self.next_uid = 1


class FakeSource:
    """A MailSource over a FakeServer."""

    def __init__(self, server: FakeServer, name: str = "complaints") -> None:
        self.name = name
        self.server = server
        self.connected = False

    async def connect(self) -> int:
        self.server.events.append("connect")
        if self.server.failing_connects > 0:
            self.server.failing_connects -= 1
            raise SourceError(self.name, "connect", "Connection refused")
        self.connected = True
        return self.server.uidvalidity

    async def fetch_after(self, last_uid: int) -> AsyncIterator[Fetched]:
        self._check()
        self.server.arrived.clear()  # what arrives from now on wakes the next wait()
        for uid in sorted(u for u in self.server.inbox if u > last_uid):
            raw = self.server.inbox.get(uid)
            if raw is not None:
                yield Fetched(
                    mailbox=self.name, uidvalidity=self.server.uidvalidity, uid=uid, raw=raw
                )

    async def file(self, uid: int, folder: str) -> None:
        self._check()
        if folder == self.server.refuse_folder:
            raise SourceRefused(self.name, "move", f"NO cannot create {folder}")
        self.server.events.append(f"file {uid} {folder}")
        raw = self.server.inbox.pop(uid, None)
        if raw is not None:
            self.server.folders.setdefault(folder, []).append(raw)

    async def append(self, folder: str, raw: bytes, *, seen: bool = True) -> None:
        self._check()
        self.server.folders.setdefault(folder, []).append(raw)

    async def wait(self, timeout: float) -> bool:
        self._check()
        if self.server.drop_in_wait > 0:
            self.server.drop_in_wait -= 1
            raise SourceError(self.name, "idle", "the connection was lost")
        try:
            await asyncio.wait_for(self.server.arrived.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def close(self) -> None:
        self.server.events.append("close")
        self.connected = False

    def _check(self) -> None:
        if not self.connected:
            raise SourceError(self.name, "use", "not connected")
