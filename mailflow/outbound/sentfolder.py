"""Copies of sent mail in each shared mailbox's Sent folder, over one kept-open connection.

Officers read the Sent folder to see what the council told a customer, so every mail the
outbox sends is appended there (``sent_copy`` rows, see ``worker``). A login per copy cost more
than the APPEND itself, so each mailbox keeps one connection open between copies; a failed
APPEND drops it (the next copy logs in again) and the worker retries that copy later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from mailflow.config import MailboxConfig
from mailflow.ingest.source import MailSource

log = logging.getLogger(__name__)


class SentFolders:
    """``append(mailbox_name, raw)``: the outbox worker's ``sent_folder_appender``."""

    def __init__(
        self,
        mailboxes: Iterable[MailboxConfig],
        source_factory: Callable[[MailboxConfig], MailSource],
    ) -> None:
        self._boxes = {m.name: m for m in mailboxes}
        self._factory = source_factory
        self._open: dict[str, MailSource] = {}

    async def append(self, mailbox_name: str, raw: bytes) -> None:
        """Append ``raw`` to the Sent folder of mailbox ``mailbox_name`` (unknown: no copy)."""
        box = self._boxes.get(mailbox_name)
        if box is None:
            return
        source = self._open.pop(mailbox_name, None)
        if source is not None and not getattr(source, "connected", True):
            await source.close()  # the server hung up since the last copy: log in again
            source = None
        if source is None:
            source = self._factory(box)
            try:
                await source.connect()
            except BaseException:
                await source.close()
                raise
        try:
            await source.append(box.folders.sent, raw)
        except BaseException:
            await source.close()
            raise
        self._open[mailbox_name] = source

    async def close(self) -> None:
        """Log out of every kept connection."""
        sources, self._open = list(self._open.values()), {}
        for source in sources:
            await source.close()
