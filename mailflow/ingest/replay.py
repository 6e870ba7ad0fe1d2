"""``mailflow replay``: read a mailbox's mail since a date again, recording what is missing.

For when the database lost mail the mailbox still holds (restored from an older backup, a
message quarantined by a bug since fixed, a watcher pointed at the wrong folder): the watched
folder and every folder mailflow files processed mail into (Processed, Automatic, Quarantine)
are read from the start, and each message received on or after the date goes through
``backfill`` — skipped if already recorded, else recorded as the watcher would have, its
deadlines counted from its Date. Nothing is moved: the watcher files what is in the watched
folder on its next pass. Mail decided for newly recorded messages waits in the outbox for the
running daemon to send. A folder that does not exist is reported and skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from mailflow.config import MailboxConfig
from mailflow.ingest.backfill import Backfill, Counts, received_at
from mailflow.ingest.errors import SourceError
from mailflow.ingest.source import MailSource


def replay_folders(cfg: MailboxConfig) -> list[str]:
    """The watched folder, then the folders processed mail is filed into, each once."""
    folders = cfg.folders
    found: list[str] = []
    for name in (cfg.folder, folders.processed, folders.automatic, folders.quarantine):
        if name not in found:
            found.append(name)
    return found


async def replay(
    backfill: Backfill,
    cfg: MailboxConfig,
    source_for: Callable[[MailboxConfig], MailSource],
    *,
    since: datetime,
    now: Callable[[], datetime],
    on_skip: Callable[[str, str], None] = lambda _folder, _why: None,
) -> dict[str, Counts]:
    """Replay each folder of ``cfg`` from ``since``; the counts per folder (all of them are in
    ``backfill.counts`` too). ``on_skip(folder, reason)`` hears of a folder that cannot be read."""
    per_folder: dict[str, Counts] = {}
    total = backfill.counts
    for folder in replay_folders(cfg):
        counts = per_folder[folder] = Counts()
        source = source_for(cfg.model_copy(update={"folder": folder}))
        try:
            await source.connect()
            async for fetched in source.fetch_after(0):
                received = received_at(fetched.raw, now())
                if received < since:
                    counts.before_since += 1
                    total.before_since += 1
                    continue
                before = total.as_json()
                await backfill.take(fetched, received)
                for name, value in total.as_json().items():
                    setattr(counts, name, getattr(counts, name) + value - before[name])
        except SourceError as exc:
            on_skip(folder, str(exc))
        finally:
            await source.close()
    return per_folder
