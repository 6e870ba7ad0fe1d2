"""`ImapSource`: one watched folder on an IMAP server, through aioimaplib.

aioimaplib answers NO and BAD without raising and leaves commands waiting forever when the
socket drops, so every command here goes through `_step`: it races the answer against the
connection's loss and a timeout, and turns every failure into a one-line `SourceError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial
from typing import Any

import aioimaplib

from mailflow.auth import OAuth2Config, TokenError
from mailflow.auth.sasl import imap_authenticate
from mailflow.config import MailboxConfig
from mailflow.errors import ConfigError
from mailflow.ingest.errors import LoginRefused, SourceError, SourceRefused
from mailflow.ingest.imapwire import (
    describe,
    encode_mailbox,
    has_untagged,
    parse_body,
    parse_search,
    parse_uidvalidity,
    quote,
    response_text,
)
from mailflow.ingest.source import Fetched

CLOSE_TIMEOUT = 2.0


class ImapSource:
    """A `MailSource` over IMAP4rev1 with IDLE (RFC 2177), MOVE (RFC 6851) and UIDPLUS.

    ``ignore_capabilities`` hides extensions a server advertises but gets wrong (and lets tests
    take the fallback paths); ``ssl_context`` replaces the system's trust store, e.g. for a
    council's private CA.
    """

    def __init__(
        self,
        cfg: MailboxConfig,
        *,
        timeout: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
        ignore_capabilities: frozenset[str] = frozenset(),
    ) -> None:
        self.name = cfg.name
        self._cfg = cfg
        self._timeout = timeout
        self._ssl_context = ssl_context
        self._ignored = frozenset(c.upper() for c in ignore_capabilities)
        self._client: Any = None
        self._lost = asyncio.Event()
        self._caps: frozenset[str] = frozenset()
        self._secret = ""
        self._uidvalidity = 0
        self._idle_task: asyncio.Future[Any] | None = None
        self._done_sent_for: object = None
        self._announced = False  # an EXISTS came with another reply: mail may be waiting

    # -- connection --------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        """Logged in and the connection not known to be lost (a kept connection is reusable)."""
        return self._client is not None and not self._lost.is_set()

    async def connect(self) -> int:
        """Connect, secure, log in and SELECT the watched folder; return its UIDVALIDITY."""
        await self.close()
        cfg = self._cfg
        lost = self._lost = asyncio.Event()
        tls = self._tls_context() if cfg.security == "tls" else None
        self._client = client = aioimaplib.IMAP4(
            host=cfg.host,
            port=cfg.port,
            timeout=self._timeout,
            conn_lost_cb=lambda _exc: lost.set(),
            ssl_context=tls,
        )
        await self._step("connect", client.wait_hello_from_server, check=False)
        if cfg.security == "starttls":
            await self._starttls()
        try:
            self._secret = cfg.secret()
        except ConfigError as exc:
            raise SourceError(self.name, "login", str(exc)) from None
        if cfg.auth == "oauth2" and cfg.oauth2 is not None:
            await self._token_login(client, cfg.oauth2)
        else:
            login = partial(client.login, quote(cfg.user), self._secret)
            await self._step("login", login, refused=LoginRefused)
        # Capabilities change once logged in (RFC 3501 section 7.2.1): ask again.
        await self._step("capability", client.protocol.capability, check=False)
        self._caps = frozenset(c.upper() for c in client.protocol.capabilities) - self._ignored
        selected = await self._step("select", partial(client.select, encode_mailbox(cfg.folder)))
        uidvalidity = parse_uidvalidity(selected.lines)
        if uidvalidity is None:
            raise SourceError(self.name, "select", f"{cfg.folder} has no UIDVALIDITY")
        self._uidvalidity = uidvalidity
        return uidvalidity

    async def _starttls(self) -> None:
        """Upgrade the plain connection (RFC 3501 section 6.2.1), then forget capabilities."""
        protocol = self._client.protocol
        if "STARTTLS" not in protocol.capabilities:
            raise SourceError(self.name, "starttls", "the server does not offer STARTTLS")
        command = aioimaplib.Command("STARTTLS", protocol.new_tag(), loop=protocol.loop)
        await self._step("starttls", partial(protocol.execute, command))
        loop = asyncio.get_running_loop()
        upgrade = partial(
            loop.start_tls,
            protocol.transport,
            protocol,
            self._tls_context(),
            server_hostname=self._cfg.host,
        )
        protocol.transport = await self._step("starttls", upgrade, check=False)
        await self._step("capability", protocol.capability, check=False)

    async def _token_login(self, client: Any, settings: OAuth2Config) -> None:
        """AUTHENTICATE with an OAuth2 token (XOAUTH2, or OAUTHBEARER of RFC 7628); a refused
        token is forgotten, so that the next connection fetches a new one."""
        mechanism = settings.mechanism.upper()
        if f"AUTH={mechanism}" not in {c.upper() for c in client.protocol.capabilities}:
            raise SourceError(self.name, "login", f"the server does not offer {mechanism}")
        tokens = settings.token_provider()
        try:
            self._secret = await tokens.token()
        except TokenError as exc:
            raise SourceError(self.name, "login", str(exc)) from None
        login = partial(imap_authenticate, client, settings.mechanism, self._cfg.user, self._secret)
        try:
            await self._step("login", login, refused=LoginRefused)
        except LoginRefused:
            tokens.forget()
            raise

    def _tls_context(self) -> ssl.SSLContext:
        return self._ssl_context or ssl.create_default_context()

    async def close(self) -> None:
        """Leave IDLE, LOG OUT and drop the socket; never raises."""
        client, self._client = self._client, None
        idle, self._idle_task = self._idle_task, None
        if client is None:
            return
        try:
            # Best effort: whatever fails here, the socket is closed below.
            with contextlib.suppress(Exception):
                if not self._lost.is_set():
                    self._leave_idle(client)
                    if idle is not None:
                        await asyncio.wait_for(idle, CLOSE_TIMEOUT)
                    await asyncio.wait_for(client.logout(), CLOSE_TIMEOUT)
        finally:
            transport = client.protocol.transport
            if transport is not None:
                transport.close()
            pending = [client._client_task, idle, *client.tasks, *client.protocol.tasks]
            for task in pending:
                if task is not None and not task.done():
                    task.cancel()

    # -- messages ----------------------------------------------------------------------------

    async def fetch_after(self, last_uid: int) -> AsyncIterator[Fetched]:
        """UID SEARCH for UIDs above ``last_uid``, then one UID FETCH BODY.PEEK[] each."""
        client = self._connected("fetch")
        self._announced = False
        found = await self._step(
            "search", partial(client.uid_search, "UID", f"{last_uid + 1}:*", charset=None)
        )
        # Mail landing as the SEARCH runs is announced on its reply, not to the IDLE after it.
        self._announced = has_untagged(found.lines, b"EXISTS")
        # "n:*" always matches the highest UID, even below n (RFC 3501 section 6.4.8).
        for uid in sorted(u for u in set(parse_search(found.lines)) if u > last_uid):
            # No overall limit: aioimaplib times out a FETCH only when the data stops coming.
            fetch = partial(client.uid, "fetch", str(uid), "(UID BODY.PEEK[])")
            answer = await self._step("fetch", fetch, limit=None)
            raw = parse_body(answer.lines)
            if raw is not None:  # None: expunged since the SEARCH
                yield Fetched(mailbox=self.name, uidvalidity=self._uidvalidity, uid=uid, raw=raw)

    async def file(self, uid: int, folder: str) -> None:
        """UID MOVE, or UID COPY + STORE \\Deleted + (UID) EXPUNGE, into ``folder``."""
        mailbox = encode_mailbox(folder)
        await self._creating(mailbox, partial(self._move, uid, mailbox))

    async def append(self, folder: str, raw: bytes, *, seen: bool = True) -> None:
        """APPEND ``raw`` to ``folder``, flagged \\Seen unless told otherwise."""
        client = self._connected("append")
        mailbox = encode_mailbox(folder)
        store = partial(client.append, raw, mailbox=mailbox, flags=r"(\Seen)" if seen else None)
        await self._creating(mailbox, partial(self._step, "append", store, refused=SourceRefused))

    async def _creating(self, mailbox: str, attempt: Callable[[], Awaitable[object]]) -> None:
        """Run ``attempt``; if the server says TRYCREATE (RFC 3501 section 6.4.7), create the
        folder (subscribed, so officers' mail programs show it) and try once more."""
        try:
            await attempt()
        except SourceRefused as exc:
            if "TRYCREATE" not in exc.problem.upper():
                raise
            client = self._connected("create")
            try:
                await self._step("create", partial(client.create, mailbox), refused=SourceRefused)
            except SourceRefused as exists:
                if "ALREADYEXISTS" not in exists.problem.upper():
                    raise
            await self._step("subscribe", partial(client.subscribe, mailbox), check=False)
            await attempt()

    async def _move(self, uid: int, mailbox: str) -> None:
        client = self._connected("file")
        if "MOVE" in self._caps:
            move = partial(client.uid, "move", str(uid), mailbox)
            await self._step("move", move, refused=SourceRefused)
            return
        copy = partial(client.uid, "copy", str(uid), mailbox)
        await self._step("copy", copy, refused=SourceRefused)
        flag = partial(client.uid, "store", str(uid), "+FLAGS.SILENT", r"(\Deleted)")
        await self._step("store", flag, refused=SourceRefused)
        # Without UIDPLUS only a plain EXPUNGE exists; it also removes other \Deleted mail.
        expunge = client.expunge
        if "UIDPLUS" in self._caps:
            expunge = partial(client.uid, "expunge", str(uid))
        await self._step("expunge", expunge, refused=SourceRefused)

    # -- waiting -----------------------------------------------------------------------------

    async def wait(self, timeout: float) -> bool:
        """IDLE up to ``min(timeout, idle_seconds)``; or sleep ``poll_seconds`` then NOOP."""
        client = self._connected("wait")
        if not (self._cfg.idle and "IDLE" in self._caps):
            pause = min(timeout, self._cfg.poll_seconds)
            await self._step("poll", partial(asyncio.sleep, pause), check=False, limit=pause)
            await self._step("noop", client.noop)
            return True
        return await self._idle(client, min(timeout, self._cfg.idle_seconds))

    async def _idle(self, client: Any, seconds: float) -> bool:
        """One IDLE command (RFC 2177): wait for EXISTS, BYE, or the end of ``seconds``."""
        queue: asyncio.Queue[Any] = client.protocol.idle_queue
        while not queue.empty():  # pushes left over: an EXISTS among them is news
            if has_untagged(queue.get_nowait(), b"EXISTS"):
                self._announced = True
        if self._announced:  # already told of new mail: look for it rather than IDLE
            self._announced = False
            return True
        self._idle_task = await self._step(
            "idle", partial(client.idle_start, seconds + 60), check=False
        )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        arrived = False
        try:
            while not arrived and (left := deadline - loop.time()) > 0:
                wait = partial(self._pushed, client, left)
                pushed = await self._step("idle", wait, check=False, limit=left)
                if has_untagged(pushed, b"BYE"):
                    raise SourceError(self.name, "idle", "the server closed the connection")
                arrived = has_untagged(pushed, b"EXISTS")
        finally:
            self._leave_idle(client)
        idle, self._idle_task = self._idle_task, None
        if idle is not None:
            await self._step("idle", lambda: idle)
        return arrived

    def _leave_idle(self, client: Any) -> None:
        """Send DONE (RFC 2177) once per IDLE: a second one is a BAD command to the server."""
        pending = client.protocol.pending_sync_command
        if client.has_pending_idle() and pending is not self._done_sent_for:
            client.idle_done()
            self._done_sent_for = pending

    @staticmethod
    async def _pushed(client: Any, timeout: float) -> list[Any]:
        try:
            pushed: list[Any] = await client.wait_server_push(timeout=timeout)
        except TimeoutError:
            return []
        return pushed

    # -- every command -----------------------------------------------------------------------

    def _connected(self, action: str) -> Any:
        if self._client is None:
            raise SourceError(self.name, action, "not connected")
        return self._client

    async def _step(
        self,
        action: str,
        call: Callable[[], Awaitable[Any]],
        *,
        check: bool = True,
        refused: type[SourceError] = SourceError,
        limit: float | None = 0.0,
    ) -> Any:
        """Run one command; raise a one-line SourceError on loss, timeout, error or NO/BAD.

        aioimaplib times most commands out itself; ``limit`` plus the command timeout bounds
        the whole step (``None``: no bound beyond aioimaplib's own).
        """
        if self._lost.is_set():
            raise SourceError(self.name, action, "the connection was lost")
        task = asyncio.ensure_future(call())
        lost = asyncio.ensure_future(self._lost.wait())
        try:
            done, _ = await asyncio.wait(
                {task, lost},
                timeout=None if limit is None else limit + self._timeout,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            lost.cancel()
            if not task.done():
                task.cancel()
        if task not in done:
            problem = "the connection was lost" if lost in done else "no answer in time"
            raise SourceError(self.name, action, problem)
        error = task.exception()
        if error is not None:
            raise SourceError(self.name, action, describe(error), secret=self._secret)
        response = task.result()
        if check and response.result != "OK":
            problem = f"{response.result} {response_text(response.lines)}"
            raise refused(self.name, action, problem, secret=self._secret)
        return response
