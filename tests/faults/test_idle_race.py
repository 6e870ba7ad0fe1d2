"""Mail that lands while the watcher is catching up is taken at once, not at the next IDLE timeout.

Found by bench/latency.py: a message appended after the catch-up's UID SEARCH is announced by
an untagged EXISTS on the reply to another command (the MOVE filing the message before it); the
IDLE that follows hears nothing more, so the message waited for the IDLE timeout (600 s by
default).
"""

from __future__ import annotations

import asyncio
import time

import pytest

from mailflow.config import MailboxConfig
from mailflow.ingest import Fetched, ImapSource, MemoryCheckpoints, Watcher
from tests.ingest.helpers import Running, append_all, eventually, imap_config, message
from tests.servers.dovecot import Mailbox


class AppendsWhileHandling:
    """A handler that, while handling the first message, has another one appended."""

    def __init__(self, box: Mailbox) -> None:
        self.box = box
        self.arrived: dict[int, float] = {}
        self.appended_at = 0.0

    async def __call__(self, fetched: Fetched) -> str:
        self.arrived[fetched.uid] = time.monotonic()
        if fetched.uid == 1:
            await asyncio.to_thread(append_all, self.box, [message("arrived mid catch-up")])
            self.appended_at = time.monotonic()
        return "Processed"


@pytest.mark.dovecot
async def test_message_arriving_during_catch_up_is_taken_without_waiting_for_idle_timeout(
    mailbox: Mailbox,
) -> None:
    """Fault: a message lands between the catch-up's SEARCH and IDLE; it is still handed over
    within seconds, not after the 30 s IDLE timeout."""
    cfg: MailboxConfig = imap_config(mailbox, idle_seconds=30)
    handler = AppendsWhileHandling(mailbox)
    watcher = Watcher(lambda: ImapSource(cfg, timeout=5), handler, MemoryCheckpoints())
    await asyncio.to_thread(append_all, mailbox, [message("waiting before start")])
    async with Running(watcher):
        await eventually(lambda: 2 in handler.arrived, timeout=40)
    assert handler.arrived[2] - handler.appended_at < 5.0
