"""What only the Maildir source does: its UID map, delivery order, folder names; the demo path."""

from __future__ import annotations

import json
import mailbox
from pathlib import Path

import pytest

from mailflow.ingest import MaildirSource, MemoryCheckpoints, Phase, SourceError, SourceRefused
from mailflow.ingest.maildir import UIDS_FILE
from mailflow.ingest.watcher import Watcher
from tests.ingest.helpers import Recorder, Running, eventually, message


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """Where the test's Maildir lives (not yet created)."""
    return tmp_path / "Maildir"


async def test_uids_follow_delivery_order_within_one_second(root: Path) -> None:
    """Names from the same second are numbered by their microseconds, compared as numbers."""
    source = MaildirSource(root, "demo")
    await source.connect()
    for name in ("1700000000.M100P1.host", "1700000000.M99P1.host", "1699999999.M5P1.host"):
        (root / "new" / name).write_bytes(message(name))
    fetched = [f async for f in source.fetch_after(0)]
    assert [f.raw for f in fetched] == [
        message("1699999999.M5P1.host"),
        message("1700000000.M99P1.host"),
        message("1700000000.M100P1.host"),
    ]
    assert [f.uid for f in fetched] == [1, 2, 3]


async def test_the_uid_map_survives_filing_and_never_reuses_a_uid(root: Path) -> None:
    """After filing, the map forgets the key but the next message still gets a fresh UID."""
    box = mailbox.Maildir(root, create=True)
    box.add(message("first"))
    source = MaildirSource(root, "demo")
    await source.connect()
    [first] = [f async for f in source.fetch_after(0)]
    await source.file(first.uid, "Processed")
    box.add(message("second"))
    reopened = MaildirSource(root, "demo")
    await reopened.connect()
    [second] = [f async for f in reopened.fetch_after(0)]
    assert second.uid == first.uid + 1
    state = json.loads((root / UIDS_FILE).read_text())
    assert state["uids"] == {key: second.uid for key in box.iterkeys()}


async def test_an_unreadable_uid_map_is_a_one_line_source_error(root: Path) -> None:
    """A damaged map is reported on one line, saying how to renumber, rather than guessed at."""
    mailbox.Maildir(root, create=True)
    (root / UIDS_FILE).write_text("{not json")
    with pytest.raises(SourceError, match="remove it to renumber") as caught:
        await MaildirSource(root, "demo").connect()
    assert "\n" not in str(caught.value)


async def test_a_folder_name_leaving_the_maildir_is_refused(root: Path) -> None:
    """Folder names that would escape the Maildir (``../x``, ``.hidden``) raise SourceRefused."""
    mailbox.Maildir(root, create=True).add(message("escape"))
    source = MaildirSource(root, "demo")
    await source.connect()
    [fetched] = [f async for f in source.fetch_after(0)]
    for name in ("../outside", ".hidden", ""):
        with pytest.raises(SourceRefused):
            await source.file(fetched.uid, name)
    assert not (root.parent / "outside").exists()


async def test_a_watcher_over_a_maildir_files_what_is_delivered(root: Path) -> None:
    """The demo path: mail dropped into the Maildir is handed over and filed into .Processed."""
    box = mailbox.Maildir(root, create=True)
    box.add(message("already there"))
    handler, checkpoints = Recorder(), MemoryCheckpoints()
    watcher = Watcher(lambda: MaildirSource(root, "demo", poll_seconds=0.05), handler, checkpoints)
    async with Running(watcher):
        await eventually(lambda: watcher.state.phase is Phase.IDLE)
        box.add(message("dropped in later"))
        await eventually(lambda: len(handler.seen) == 2)
    assert handler.subjects == ["already there", "dropped in later"]
    assert len(box.get_folder("Processed")) == 2
    assert len(box) == 0
    assert checkpoints.get("demo") == (handler.seen[0].uidvalidity, 2)
