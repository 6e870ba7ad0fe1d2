"""The MailSource contract, run against every implementation (IMAP on Dovecot, Maildir)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from mailflow.ingest import Fetched, MailSource, SourceError
from tests.ingest.conftest import Kit
from tests.ingest.helpers import message


@asynccontextmanager
async def connected(kit: Kit) -> AsyncIterator[tuple[MailSource, int]]:
    """A connected source and its UIDVALIDITY, closed afterwards."""
    source = kit.make()
    uidvalidity = await source.connect()
    try:
        yield source, uidvalidity
    finally:
        await source.close()


async def fetch_all(source: MailSource, after: int = 0) -> list[Fetched]:
    return [fetched async for fetched in source.fetch_after(after)]


async def test_connect_returns_the_same_uidvalidity_every_time(kit: Kit) -> None:
    """UIDVALIDITY is a positive number that stays the same from one connection to the next."""
    async with connected(kit) as (_, first):
        pass
    async with connected(kit) as (_, second):
        pass
    assert first > 0
    assert second == first


async def test_every_message_is_fetched_in_uid_order_byte_for_byte(kit: Kit) -> None:
    """fetch_after(0) yields each message once, ascending UIDs, bytes and names unchanged."""
    raws = [message(f"order {n}") for n in range(5)]
    for raw in raws:
        await kit.deliver(raw)
    async with connected(kit) as (source, uidvalidity):
        fetched = await fetch_all(source)
    uids = [f.uid for f in fetched]
    assert uids == sorted(set(uids))
    assert [f.raw for f in fetched] == raws
    assert {(f.mailbox, f.uidvalidity) for f in fetched} == {("complaints", uidvalidity)}


async def test_only_uids_above_the_given_one_are_fetched(kit: Kit) -> None:
    """fetch_after(n) skips UIDs up to n, and yields nothing after the highest UID."""
    for n in range(3):
        await kit.deliver(message(f"above {n}"))
    async with connected(kit) as (source, _):
        uids = [f.uid for f in await fetch_all(source)]
        assert [f.uid for f in await fetch_all(source, uids[0])] == uids[1:]
        # IMAP's "n:*" matches the highest UID even when it is below n.
        assert await fetch_all(source, uids[-1]) == []
        assert await fetch_all(source, uids[-1] + 100) == []


async def test_a_message_keeps_its_uid_across_connections(kit: Kit) -> None:
    """The same message has the same UID on a later connection; new mail gets a higher one."""
    await kit.deliver(message("stable"))
    async with connected(kit) as (source, _):
        [first] = await fetch_all(source)
    await kit.deliver(message("later"))
    async with connected(kit) as (source, _):
        again, later = await fetch_all(source)
    assert again.uid == first.uid
    assert later.uid > first.uid


async def test_filing_moves_the_message_into_a_folder_made_on_demand(kit: Kit) -> None:
    """file() creates a missing folder, moves the message there unchanged, and it is gone here."""
    raws = [message("file one"), message("file two"), message("stays")]
    for raw in raws:
        await kit.deliver(raw)
    async with connected(kit) as (source, _):
        one, two, _stays = await fetch_all(source)
        await source.file(one.uid, "Processed")
        await source.file(two.uid, "Processed")  # the folder exists by now
        remaining = await fetch_all(source)
    assert [f.raw for f in remaining] == [raws[2]]
    assert sorted(await kit.contents("Processed")) == sorted(raws[:2])
    assert await kit.contents("INBOX") == [raws[2]]


async def test_filing_into_a_nested_folder_with_spaces_and_accents(kit: Kit) -> None:
    """Folder names may hold spaces, accents, '&' and the hierarchy separator '/'."""
    await kit.deliver(message("nested"))
    async with connected(kit) as (source, _):
        [fetched] = await fetch_all(source)
        await source.file(fetched.uid, "Dealt with/Résolu & done")
    assert await kit.contents("Dealt with/Résolu & done") == [fetched.raw]


async def test_filing_a_message_that_is_already_gone_is_not_an_error(kit: Kit) -> None:
    """Filing a UID that someone else has moved away does nothing and raises nothing."""
    await kit.deliver(message("gone"))
    async with connected(kit) as (source, _):
        [fetched] = await fetch_all(source)
        await source.file(fetched.uid, "Processed")
        await source.file(fetched.uid, "Processed")
    assert await kit.contents("Processed") == [fetched.raw]


async def test_append_stores_the_message_in_the_named_folder(kit: Kit) -> None:
    """append() puts the bytes in the folder (Sent exists; Outbox is made) and not in INBOX."""
    sent, kept = message("our reply"), message("a draft")
    async with connected(kit) as (source, _):
        await source.append("Sent", sent)
        await source.append("Outbox", kept, seen=False)
        assert await fetch_all(source) == []
    assert await kit.contents("Sent") == [sent]
    assert await kit.contents("Outbox") == [kept]


async def test_wait_returns_true_soon_after_mail_arrives(kit: Kit) -> None:
    """A message delivered during wait() ends the wait early with True."""
    async with connected(kit) as (source, _):
        waiting = asyncio.create_task(source.wait(10))
        await asyncio.sleep(0.2)
        started = time.monotonic()
        await kit.deliver(message("wake up"))
        assert await asyncio.wait_for(waiting, 5) is True
        assert time.monotonic() - started < 3
        assert len(await fetch_all(source)) == 1


async def test_wait_returns_false_when_nothing_arrives(kit: Kit) -> None:
    """With no new mail, wait() returns False once the timeout has passed, and not long after."""
    async with connected(kit) as (source, _):
        started = time.monotonic()
        assert await source.wait(0.5) is False
        assert 0.4 < time.monotonic() - started < 2
        assert await fetch_all(source) == []  # the connection is still usable


async def test_a_cancelled_wait_leaves_a_source_that_closes_cleanly(kit: Kit) -> None:
    """Cancelling wait() (a watcher stopping) returns at once, and close() then succeeds."""
    source = kit.make()
    await source.connect()
    waiting = asyncio.create_task(source.wait(30))
    await asyncio.sleep(0.2)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    started = time.monotonic()
    await source.close()
    assert time.monotonic() - started < 2


async def test_close_is_safe_before_connect_and_twice(kit: Kit) -> None:
    """close() never raises: not before connect(), not a second time."""
    source = kit.make()
    await source.close()
    await source.connect()
    await source.close()
    await source.close()


async def test_using_a_source_before_connect_raises_source_error(kit: Kit) -> None:
    """Every operation before connect() raises SourceError naming the mailbox."""
    source = kit.make()
    with pytest.raises(SourceError, match="mailbox complaints"):
        await fetch_all(source)
    with pytest.raises(SourceError):
        await source.file(1, "Processed")
    with pytest.raises(SourceError):
        await source.append("Sent", message("early"))
    with pytest.raises(SourceError):
        await source.wait(0.1)
