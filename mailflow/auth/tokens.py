"""`TokenProvider`: an OAuth2 access token per connection, reused until shortly before expiry.

A provider wraps one `TokenSource` (Microsoft Entra ID, a command) and keeps the last token
until ``margin`` (five minutes by default) before it expires, so a login never presents a token
that lapses mid-handshake. A server that refuses the token makes the caller ``forget`` it: the
next connection fetches a fresh one. Tokens are never logged and never put in an error message.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

log = logging.getLogger(__name__)

REFRESH_MARGIN = timedelta(minutes=5)


def utcnow() -> datetime:
    """The real clock; tests pass their own."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Token:
    """An access token and how long it is valid from the moment it was asked for."""

    value: str = field(repr=False)
    lifetime: timedelta


class TokenSource(Protocol):
    """Where tokens come from; ``describe`` names it in logs and errors (never the token)."""

    describe: str

    async def fetch(self) -> Token:
        """A new token, or `TokenError` saying why there is none."""
        ...


class TokenProvider:
    """Hands out the cached token while it is fresh, otherwise one new from the source."""

    def __init__(
        self,
        source: TokenSource,
        *,
        margin: timedelta = REFRESH_MARGIN,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.source = source
        self._margin = margin
        self._clock = clock
        self._token: Token | None = None
        self._expires = datetime.min.replace(tzinfo=UTC)
        # One lock per event loop: a provider outlives the loops of tests and of `asyncio.run`.
        self._lock: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None

    async def token(self) -> str:
        """The access token to log in with (one fetch at a time, however many connections)."""
        async with self._loop_lock():
            now = self._clock()
            if self._token is not None and now < self._expires - self._margin:
                return self._token.value
            token = await self.source.fetch()
            self._token, self._expires = token, now + token.lifetime
            log.info(
                "access token fetched",
                extra={
                    "event": "auth.token_fetched",
                    "source": self.source.describe,
                    "expires_in": int(token.lifetime.total_seconds()),
                },
            )
            return token.value

    def forget(self) -> None:
        """Drop the cached token (the server refused it); the next `token` fetches anew."""
        self._token = None

    def _loop_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock[0] is not loop:
            self._lock = (loop, asyncio.Lock())
        return self._lock[1]
