"""`Watcher`: one supervised loop per mailbox that never dies and never skips a message.

    connect -> (UIDVALIDITY changed? rescan from 0) -> catch up -> wait (IDLE) -> catch up ...

Each message: the handler records it (idempotently) and names a folder, then the message is
filed, then the checkpoint is set. A crash anywhere repeats work the handler makes idempotent
and never skips a message. A source failure closes the connection and retries after an
exponential backoff with full jitter; a handler failure sets that one message aside for the
rest of the connection (left in the mailbox, checkpoint held below it) and the loop goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from mailflow.ingest.errors import SourceError, SourceRefused, one_line
from mailflow.ingest.source import Fetched, MailSource

log = logging.getLogger(__name__)

Handler = Callable[[Fetched], Awaitable[str | None]]
"""Records a message (idempotently) and returns the folder to file it into, or None."""


class Checkpoints(Protocol):
    """Where each mailbox's progress is kept: the last UID fully done, under its UIDVALIDITY."""

    def get(self, mailbox: str) -> tuple[int, int] | None: ...

    def set(self, mailbox: str, uidvalidity: int, last_uid: int) -> None: ...


class MemoryCheckpoints:
    """Checkpoints in a dict: for tests and the demo (the daemon keeps them in the database)."""

    def __init__(self) -> None:
        self.saved: dict[str, tuple[int, int]] = {}

    def get(self, mailbox: str) -> tuple[int, int] | None:
        return self.saved.get(mailbox)

    def set(self, mailbox: str, uidvalidity: int, last_uid: int) -> None:
        self.saved[mailbox] = (uidvalidity, last_uid)


class Phase(StrEnum):
    """What a watcher is doing now."""

    STARTING = "starting"
    CONNECTING = "connecting"
    CONNECTED = "connected"  # catching up
    IDLE = "idle"
    RECONNECTING = "reconnecting"  # backing off after a failure
    STOPPED = "stopped"


@dataclass
class WatcherState:
    """A watcher's health: read by health checks, written only by the watcher."""

    mailbox: str = ""
    phase: Phase = Phase.STARTING
    last_error: str | None = None  # the latest failure, one line (kept after recovery)
    last_ok: float | None = None  # clock() at the end of the latest successful catch-up
    consecutive_failures: int = 0


@dataclass
class _Connection:
    """Per-connection progress: where fetching resumes, and whether a message was set aside."""

    source: MailSource
    uidvalidity: int
    cursor: int
    held: bool = False  # a message failed: the checkpoint stays below it


class Watcher:
    """Supervises one `MailSource`, made afresh by ``source_factory`` for every connection."""

    def __init__(
        self,
        source_factory: Callable[[], MailSource],
        handler: Handler,
        checkpoints: Checkpoints,
        *,
        backoff_initial: float = 1.0,
        backoff_max: float = 300.0,
        rng: random.Random | None = None,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        wait_seconds: float = 1500.0,
    ) -> None:
        self._factory = source_factory
        self._handler = handler
        self._checkpoints = checkpoints
        self._initial = backoff_initial
        self._max = backoff_max
        self._rng = rng or random.Random()
        self._sleep = sleep
        self._clock = clock
        self._wait_seconds = wait_seconds  # sources also cut a wait at idle/poll seconds
        self.state = WatcherState()

    async def run(self, stop: asyncio.Event) -> None:
        """Watch until ``stop`` is set: finish the message in hand, close, return."""
        try:
            while not stop.is_set():
                source: MailSource | None = None
                try:
                    source = self._factory()
                    self.state.mailbox = source.name
                    await self._session(source, stop)
                except SourceError as exc:
                    self._failed(str(exc))
                except Exception as exc:  # a bug below us: keep going, keep the traceback
                    self._failed(one_line(f"{type(exc).__name__}: {exc}"), trace=True)
                finally:
                    if source is not None:
                        with contextlib.suppress(Exception):
                            await source.close()
                if not stop.is_set():
                    await self._pause(stop)
        finally:
            self.state.phase = Phase.STOPPED
            log.info("watcher stopped", extra={"event": "watcher.stopped", **self._where()})

    # -- one connection ----------------------------------------------------------------------

    async def _session(self, source: MailSource, stop: asyncio.Event) -> None:
        """Connect, then catch up and wait in turn; returns only once ``stop`` is set."""
        self.state.phase = Phase.CONNECTING
        uidvalidity = await source.connect()
        conn = _Connection(source, uidvalidity, self._resume_from(source.name, uidvalidity))
        self.state.phase = Phase.CONNECTED
        log.info(
            "connected, resuming after UID %d",
            conn.cursor,
            extra={"event": "watcher.connected", **self._where(), "uidvalidity": uidvalidity},
        )
        while not stop.is_set():
            await self._catch_up(conn, stop)
            self.state.consecutive_failures = 0
            self.state.last_ok = self._clock()
            if stop.is_set():
                return
            self.state.phase = Phase.IDLE
            await self._wait(source, stop)
            self.state.phase = Phase.CONNECTED

    def _resume_from(self, mailbox: str, uidvalidity: int) -> int:
        """The last UID done, or 0 when there is no checkpoint or UIDVALIDITY has changed."""
        stored = self._checkpoints.get(mailbox)
        if stored is not None and stored[0] == uidvalidity:
            return stored[1]
        if stored is not None:
            # RFC 3501 section 2.3.1.1: old UIDs mean nothing now. Rescan everything; the
            # handler recognises what it has seen by Message-ID and content hash.
            log.warning(
                "UIDVALIDITY changed from %d to %d: rescanning from UID 0",
                stored[0],
                uidvalidity,
                extra={"event": "watcher.uidvalidity_changed", **self._where()},
            )
        self._checkpoints.set(mailbox, uidvalidity, 0)
        return 0

    async def _catch_up(self, conn: _Connection, stop: asyncio.Event) -> None:
        """Take every message above the cursor, in UID order, until done or stopped.

        Passes repeat until one finds nothing: mail that lands during a pass is announced by an
        untagged EXISTS on the reply to another command (RFC 3501 section 7.3.1), and the IDLE
        that follows would not hear of it again until the next mail or its timeout.
        """
        while not stop.is_set() and await self._catch_up_pass(conn, stop):
            pass

    async def _catch_up_pass(self, conn: _Connection, stop: asyncio.Event) -> int:
        """One SEARCH and the messages it found; returns how many were taken."""
        taken = 0
        messages = conn.source.fetch_after(conn.cursor)
        try:
            async for fetched in messages:
                await self._take(conn, fetched)
                taken += 1
                if stop.is_set():
                    break
        finally:
            if isinstance(messages, AsyncGenerator):
                await messages.aclose()
        return taken

    async def _take(self, conn: _Connection, fetched: Fetched) -> None:
        """Handler first, filing second, checkpoint last."""
        conn.cursor = fetched.uid  # never offered twice on this connection
        uid = fetched.uid
        log.info(
            "fetched UID %d (%d bytes)",
            uid,
            len(fetched.raw),
            extra={"event": "watcher.fetched", **self._where(), "uid": uid},
        )
        try:
            folder = await self._handler(fetched)
        except Exception as exc:
            self._set_aside(conn, uid, "handler", exc)
            return
        if folder is not None:
            try:
                await conn.source.file(uid, folder)
            except SourceRefused as exc:
                self._set_aside(conn, uid, "filing", exc)
                return
            extra = {"event": "watcher.filed", **self._where(), "uid": uid, "folder": folder}
            log.info("filed UID %d into %s", uid, folder, extra=extra)
        if not conn.held:
            self._checkpoints.set(conn.source.name, conn.uidvalidity, uid)

    def _set_aside(self, conn: _Connection, uid: int, step: str, exc: Exception) -> None:
        """Leave a failed message where it is, and hold the checkpoint below it."""
        conn.held = True
        error = one_line(f"{type(exc).__name__}: {exc}")
        extra = {"event": f"watcher.{step}_failed", **self._where(), "uid": uid, "error": error}
        log.warning("%s failed for UID %d, left in place: %s", step, uid, error, extra=extra)
        log.debug("traceback of that failure", exc_info=exc, extra=extra)

    async def _wait(self, source: MailSource, stop: asyncio.Event) -> None:
        """Wait for new mail or ``stop``, whichever comes first; source errors propagate."""
        waiter = asyncio.ensure_future(source.wait(self._wait_seconds))
        if await self._first(waiter, stop) and not waiter.cancelled():
            woke = waiter.result()
            log.debug("woke (%s)", "mail" if woke else "timeout", extra={"event": "watcher.woke"})

    # -- failures ----------------------------------------------------------------------------

    def _failed(self, error: str, *, trace: bool = False) -> None:
        self.state.phase = Phase.RECONNECTING
        self.state.last_error = error
        self.state.consecutive_failures += 1
        extra = {
            "event": "watcher.source_failed",
            **self._where(),
            "error": error,
            "failures": self.state.consecutive_failures,
        }
        log.warning("source failed: %s", error, extra=extra, exc_info=trace)

    def backoff(self, failures: int) -> float:
        """Full jitter: uniform in [0, min(max, initial * 2^(failures-1))]."""
        ceiling = min(self._max, self._initial * 2.0 ** min(failures - 1, 64))
        return self._rng.uniform(0.0, ceiling)

    async def _pause(self, stop: asyncio.Event) -> None:
        delay = self.backoff(self.state.consecutive_failures)
        extra = {"event": "watcher.backoff", **self._where(), "delay": round(delay, 3)}
        log.info("reconnecting in %.1f s", delay, extra=extra)
        await self._first(asyncio.ensure_future(self._sleep(delay)), stop)

    # -- helpers -----------------------------------------------------------------------------

    @staticmethod
    async def _first(task: asyncio.Future[Any], stop: asyncio.Event) -> bool:
        """Await ``task`` unless ``stop`` comes first (then cancel it); True if it finished."""
        stopper = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait((task, stopper), return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopper.cancel()
            if not task.done():
                task.cancel()
                await asyncio.wait({task})
        if task.cancelled():
            return False
        if task.exception() is not None and stop.is_set():
            return False  # stopping anyway: the failure does not matter now
        task.result()  # raises the task's error
        return True

    def _where(self) -> dict[str, object]:
        return {"mailbox": self.state.mailbox}
