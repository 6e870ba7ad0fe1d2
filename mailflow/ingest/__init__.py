"""Inbound mail: a `MailSource` per mailbox (IMAP, or Maildir as the double) and its `Watcher`.

source = ImapSource(cfg)                                  # or MaildirSource(path, "demo")
watcher = Watcher(lambda: ImapSource(cfg), handler, checkpoints)
await watcher.run(stop)                                   # until stop is set
"""

from mailflow.ingest.errors import LoginRefused, SourceError, SourceRefused
from mailflow.ingest.imap import ImapSource
from mailflow.ingest.maildir import MaildirSource
from mailflow.ingest.source import Fetched, MailSource
from mailflow.ingest.watcher import (
    Checkpoints,
    Handler,
    MemoryCheckpoints,
    Phase,
    Watcher,
    WatcherState,
)

__all__ = [
    "Checkpoints",
    "Fetched",
    "Handler",
    "ImapSource",
    "LoginRefused",
    "MailSource",
    "MaildirSource",
    "MemoryCheckpoints",
    "Phase",
    "SourceError",
    "SourceRefused",
    "Watcher",
    "WatcherState",
]
