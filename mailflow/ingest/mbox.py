"""``mailflow import``: backfill a mailbox's history from an mbox file.

Each message goes through the same pipeline as live mail (``backfill``), received at its own
Date, so its deadlines, stages and reports are what they would have been. An mbox has no IMAP
position, so a message is placed at UIDVALIDITY 0 (which IMAP never uses) and a UID taken from
its bytes: importing the same file twice, or two files holding the same message, records it
once. Each contact a message recorded is given an ``contact_imported`` audit entry naming the
file. Quiet (the default) records the mail mailflow would have sent as suppressed: nobody is
acknowledged, notified or reminded about old mail now; ``--notify`` queues it as live mail
would be. Deadlines that already lapsed get no notices (notices are never planned in the past).
"""

from __future__ import annotations

import hashlib
import mailbox
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

from mailflow.errors import MailflowError
from mailflow.ingest.backfill import Backfill, received_at
from mailflow.ingest.source import Fetched
from mailflow.store.db import session_scope
from mailflow.store.repo import add_audit

IMPORTED_UIDVALIDITY = 0
ACTOR = "import"


class MboxError(MailflowError):
    """The file given to ``mailflow import`` cannot be read as an mbox."""


def open_mbox(path: Path) -> mailbox.mbox:
    """The mbox at ``path``, refusing a missing or unreadable file with a one-line error."""
    if not path.is_file():
        raise MboxError(f"{path}: no such mbox file")
    try:
        with path.open("rb") as f:
            first = f.read(5)
    except OSError as exc:
        raise MboxError(f"{path}: cannot read ({exc.strerror})") from None
    if first and first != b"From ":
        raise MboxError(f"{path}: not an mbox file (it must start with a 'From ' line)")
    return mailbox.mbox(path, create=False)


def uid_of(raw: bytes) -> int:
    """A message's stand-in UID: 56 bits of its SHA-256, so it fits a signed BIGINT."""
    return int.from_bytes(hashlib.sha256(raw).digest()[:7], "big")


def messages(box: mailbox.mbox, mailbox_name: str) -> Iterator[Fetched]:
    """Each message of the file, in file order, as the pipeline takes it."""
    for key in box.iterkeys():
        raw = box.get_bytes(key)
        yield Fetched(
            mailbox=mailbox_name, uidvalidity=IMPORTED_UIDVALIDITY, uid=uid_of(raw), raw=raw
        )


async def import_mbox(
    backfill: Backfill,
    box: mailbox.mbox,
    *,
    name: str,
    now: Callable[[], datetime],
    advance: Callable[[int], None] = lambda _n: None,
) -> None:
    """Put every message of ``box`` (the file ``name``) through ``backfill``; ``advance(1)``
    after each (the progress bar)."""
    for fetched in messages(box, backfill.inbound.mailbox.name):
        received = received_at(fetched.raw, now())
        row = await backfill.take(fetched, received)
        if row is not None and row.contact_id is not None:
            with session_scope(backfill.inbound.engine) as session:
                add_audit(
                    session,
                    contact_id=row.contact_id,
                    actor=ACTOR,
                    event="contact_imported",
                    detail={
                        "file": name,
                        "message_id": row.message_id,
                        "received": received.isoformat(),
                        "quiet": backfill.inbound.quiet,
                    },
                    at=now(),
                )
        advance(1)
