"""The contract kit: one way to make, feed and inspect each `MailSource` implementation.

Like Django's mail backends, one contract suite (test_source_contract.py) runs against every
implementation: the IMAP source on the session's Dovecot (a fresh user per test), and the
Maildir source in the test's temp dir.
"""

from __future__ import annotations

import asyncio
import mailbox
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from mailflow.ingest import ImapSource, MaildirSource, MailSource
from tests.ingest.helpers import folder_contents, imap_config
from tests.servers.dovecot import Dovecot


@dataclass
class Kit:
    """How a contract test makes a source, delivers mail to it, and reads a folder."""

    kind: str
    make: Callable[[], MailSource]
    deliver: Callable[[bytes], Awaitable[None]]  # as another party would: into the watched folder
    contents: Callable[[str], Awaitable[list[bytes]]]  # a folder's messages (compare sorted)


def imap_kit(server: Dovecot) -> Kit:
    box = server.fresh_mailbox()
    cfg = imap_config(box)

    async def deliver(raw: bytes) -> None:
        await asyncio.to_thread(box.append, raw)

    async def contents(folder: str) -> list[bytes]:
        return await asyncio.to_thread(folder_contents, box, folder)

    return Kit("imap", lambda: ImapSource(cfg, timeout=5), deliver, contents)


def maildir_kit(root: Path) -> Kit:
    async def deliver(raw: bytes) -> None:
        mailbox.Maildir(root, create=True).add(raw)

    async def contents(folder: str) -> list[bytes]:
        path = root if folder == "INBOX" else root / f".{folder.replace('/', '.')}"
        files = [
            f for sub in ("new", "cur") if (path / sub).is_dir() for f in (path / sub).iterdir()
        ]
        return sorted(f.read_bytes() for f in files)

    def make() -> MailSource:
        return MaildirSource(root, "complaints", poll_seconds=0.05)

    return Kit("maildir", make, deliver, contents)


@pytest.fixture(params=[pytest.param("imap", marks=pytest.mark.dovecot), "maildir"])
def kit(request: pytest.FixtureRequest, tmp_path: Path) -> Kit:
    """Each contract test runs once per MailSource implementation."""
    if request.param == "imap":
        return imap_kit(request.getfixturevalue("dovecot"))
    return maildir_kit(tmp_path / "Maildir")
