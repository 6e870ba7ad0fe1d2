"""The narrow interface between a watcher and a mailbox: connect, fetch, file, append, wait.

Two implementations: `mailflow.ingest.imap.ImapSource` (a real IMAP server) and
`mailflow.ingest.maildir.MaildirSource` (a local Maildir, the test double `mailflow demo` uses).
Both pass the same contract tests (tests/ingest/test_source_contract.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, kw_only=True)
class Fetched:
    """One message as the source holds it: where it is, its UID, and its bytes unchanged."""

    mailbox: str  # MailboxConfig.name
    uidvalidity: int
    uid: int
    raw: bytes

    def __repr__(self) -> str:
        # Never the body: reprs end up in logs and tracebacks.
        return (
            f"Fetched(mailbox={self.mailbox!r}, uidvalidity={self.uidvalidity}, "
            f"uid={self.uid}, size={len(self.raw)})"
        )


class MailSource(Protocol):
    """One watched folder of one mailbox, over one connection.

    Every failure is raised as `mailflow.ingest.errors.SourceError` (never a library's own
    exception), with a one-line message that never contains the password. After any
    `SourceError` other than `SourceRefused`, the caller closes the source and makes a new one.
    """

    name: str

    async def connect(self) -> int:
        """Open the connection, select the watched folder, return its UIDVALIDITY (RFC 3501
        section 2.3.1.1: when it changes, earlier UIDs mean nothing)."""
        ...

    def fetch_after(self, last_uid: int) -> AsyncIterator[Fetched]:
        """Yield the messages whose UID is greater than ``last_uid``, ascending, one at a time
        (only one message's bytes are held in memory)."""
        ...

    async def file(self, uid: int, folder: str) -> None:
        """Move message ``uid`` into ``folder``, creating the folder if it is missing."""
        ...

    async def append(self, folder: str, raw: bytes, *, seen: bool = True) -> None:
        """Store ``raw`` in ``folder`` (e.g. Sent), flagged seen unless told otherwise."""
        ...

    async def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for new mail (IDLE, or a polling sleep where there is
        none); return True if something may have arrived. Safe to cancel."""
        ...

    async def close(self) -> None:
        """Close the connection; never raises, safe to call twice or before `connect`."""
        ...
