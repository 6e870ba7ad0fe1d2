"""The watcher against a real Dovecot: catch-up, IDLE push, polling, restarts, bad logins."""

from __future__ import annotations

import asyncio
import mailbox
import os
import pwd
import random
import time
from pathlib import Path

import pytest
from pydantic import SecretStr

from mailflow.config import MailboxConfig
from mailflow.ingest import ImapSource, MemoryCheckpoints, Phase, Watcher
from tests.ingest.helpers import (
    Recorder,
    Running,
    SleepRecorder,
    append_all,
    eventually,
    folder_contents,
    imap_config,
    message,
)
from tests.servers.dovecot import Dovecot, Mailbox

pytestmark = pytest.mark.dovecot


def imap_watcher(
    cfg: MailboxConfig, handler: Recorder, checkpoints: MemoryCheckpoints, **options: object
) -> Watcher:
    return Watcher(lambda: ImapSource(cfg, timeout=5), handler, checkpoints, **options)  # type: ignore[arg-type]


async def test_catch_up_hands_over_each_waiting_message_once_in_uid_order(mailbox: Mailbox) -> None:
    """20 messages waiting before start: each reaches the handler once, in UID order, filed."""
    raws = [message(f"waiting {n:02d}") for n in range(20)]
    await asyncio.to_thread(append_all, mailbox, raws)
    handler, checkpoints = Recorder(), MemoryCheckpoints()
    watcher = imap_watcher(imap_config(mailbox), handler, checkpoints)
    async with Running(watcher):
        await eventually(lambda: watcher.state.phase is Phase.IDLE, timeout=10)
    assert handler.uids == list(range(1, 21))
    assert [f.raw for f in handler.seen] == raws
    assert await asyncio.to_thread(folder_contents, mailbox, "INBOX") == []
    assert await asyncio.to_thread(folder_contents, mailbox, "Processed") == raws
    uidvalidity, last_uid = checkpoints.get("complaints") or (0, 0)
    assert last_uid == 20
    assert uidvalidity == handler.seen[0].uidvalidity


async def test_idle_push_reaches_the_handler_within_seconds(mailbox: Mailbox) -> None:
    """A message appended while the watcher idles is handed over within about 2 s (IDLE)."""
    handler = Recorder()
    watcher = imap_watcher(imap_config(mailbox), handler, MemoryCheckpoints())
    async with Running(watcher):
        await eventually(lambda: watcher.state.phase is Phase.IDLE)
        await asyncio.sleep(0.2)  # well inside IDLE
        await asyncio.to_thread(mailbox.append, message("pushed"))
        appended_at = time.monotonic()
        await eventually(lambda: len(handler.seen) == 1, timeout=10)
    latency = handler.arrived_at[0] - appended_at
    print(f"IDLE latency: {latency:.3f} s from APPEND to handler")
    assert latency < 5


async def test_polling_finds_new_mail_when_idle_is_off(mailbox: Mailbox) -> None:
    """With idle=false and poll_seconds=1, a new message is handed over within a poll or two."""
    handler = Recorder()
    cfg = imap_config(mailbox, idle=False, poll_seconds=1)
    watcher = imap_watcher(cfg, handler, MemoryCheckpoints())
    async with Running(watcher):
        await eventually(lambda: watcher.state.phase is Phase.IDLE)
        await asyncio.to_thread(mailbox.append, message("polled"))
        took = await eventually(lambda: len(handler.seen) == 1, timeout=5)
    print(f"polling latency: {took:.3f} s")
    assert handler.subjects == ["polled"]
    assert took < 3


def deliver_to_disk(server: Dovecot, address: str, raw: bytes) -> None:
    """Put a message straight into the user's Maildir, as a delivery agent would while the
    IMAP service is down (the layout is the test config's maildir:MAIL/%d/%n/Maildir)."""
    local, domain = address.split("@")
    root = server.mail_dir / domain / local / "Maildir"
    mailbox.Maildir(root, create=False).add(raw)
    if os.geteuid() == 0:
        mail = pwd.getpwnam("mail")
        for path in [root, *root.rglob("*")]:
            os.chown(path, mail.pw_uid, mail.pw_gid)


async def test_watcher_reconnects_after_a_dovecot_restart_and_takes_mail_from_the_outage(
    private_dovecot: Dovecot,
) -> None:
    """Dovecot stopped for 2 s under an idling watcher: state says reconnecting with a one-line
    error meanwhile; once it is back, mail that arrived during the outage is handed over."""
    box = private_dovecot.mailbox("complaints@council.test")
    await asyncio.to_thread(box.append, message("before"))
    handler = Recorder()
    watcher = imap_watcher(
        imap_config(box), handler, MemoryCheckpoints(), backoff_initial=0.2, backoff_max=0.5
    )
    async with Running(watcher):
        await eventually(lambda: len(handler.seen) == 1 and watcher.state.phase is Phase.IDLE)
        await asyncio.to_thread(private_dovecot.stop)
        await eventually(lambda: watcher.state.phase is Phase.RECONNECTING, timeout=3)
        deliver_to_disk(private_dovecot, box.address, message("during outage"))
        await asyncio.sleep(2)
        assert watcher.state.phase is Phase.RECONNECTING
        error = watcher.state.last_error or ""
        assert error.startswith("mailbox complaints: ") and "\n" not in error
        print(f"during the outage: {error}")
        await asyncio.to_thread(private_dovecot.start)
        await eventually(lambda: len(handler.seen) == 2, timeout=5)
        await asyncio.to_thread(box.append, message("after restart"))
        await eventually(lambda: len(handler.seen) == 3, timeout=5)
    assert handler.subjects == ["before", "during outage", "after restart"]
    assert watcher.state.consecutive_failures == 0
    assert await asyncio.to_thread(folder_contents, box, "INBOX") == []


async def test_recreating_the_folder_changes_uidvalidity_and_rescans_from_zero(
    mailbox: Mailbox,
) -> None:
    """After the watched folder is deleted and recreated, its new UIDs are all handed over,
    although they are below the old checkpoint."""
    cfg = imap_config(mailbox, folder="Intake")
    await asyncio.to_thread(append_all, mailbox, [message(f"old {n}") for n in range(3)], "Sent")
    client = await asyncio.to_thread(mailbox.server.imap_client, mailbox.address, mailbox.password)
    await asyncio.to_thread(client.create_folder, "Intake")
    await asyncio.to_thread(append_all, mailbox, [message(f"old {n}") for n in range(3)], "Intake")
    checkpoints, first = MemoryCheckpoints(), Recorder(folder=None)
    async with Running(imap_watcher(cfg, first, checkpoints)):
        await eventually(lambda: len(first.seen) == 3)
    old_uidvalidity, _ = checkpoints.get("complaints") or (0, 0)

    await asyncio.to_thread(client.delete_folder, "Intake")
    await asyncio.to_thread(client.create_folder, "Intake")
    await asyncio.to_thread(client.logout)
    await asyncio.to_thread(append_all, mailbox, [message(f"new {n}") for n in range(2)], "Intake")
    second = Recorder(folder=None)
    async with Running(imap_watcher(cfg, second, checkpoints)):
        await eventually(lambda: len(second.seen) == 2)
    assert second.subjects == ["new 0", "new 1"]
    assert second.uids == [1, 2]
    new_uidvalidity, last_uid = checkpoints.get("complaints") or (0, 0)
    assert new_uidvalidity != old_uidvalidity
    assert last_uid == 2


async def test_a_handler_error_leaves_that_message_in_the_inbox(mailbox: Mailbox) -> None:
    """The handler raises on one message: the others are filed, that one stays in INBOX, and
    the checkpoint stops just below it."""
    raws = [message(f"mixed {n}") for n in range(5)]
    await asyncio.to_thread(append_all, mailbox, raws)
    handler, checkpoints = Recorder(fail_on=lambda f: b"mixed 2" in f.raw), MemoryCheckpoints()
    watcher = imap_watcher(imap_config(mailbox), handler, checkpoints)
    async with Running(watcher):
        await eventually(lambda: len(handler.seen) == 5 and watcher.state.phase is Phase.IDLE)
    assert await asyncio.to_thread(folder_contents, mailbox, "INBOX") == [raws[2]]
    assert await asyncio.to_thread(folder_contents, mailbox, "Processed") == raws[:2] + raws[3:]
    assert (checkpoints.get("complaints") or (0, 0))[1] == 2


async def test_the_handlers_answer_decides_the_folder(mailbox: Mailbox) -> None:
    """None leaves a message in INBOX; "Automatic" and "Quarantine" file it there, made on
    demand."""
    answers = {b"keep": None, b"auto": "Automatic", b"bad": "Quarantine"}
    raws = [message(name.decode()) for name in answers]
    await asyncio.to_thread(append_all, mailbox, raws)

    async def handler(fetched: object) -> str | None:
        raw = getattr(fetched, "raw", b"")
        return next(folder for key, folder in answers.items() if b"Subject: " + key in raw)

    watcher = Watcher(
        lambda: ImapSource(imap_config(mailbox), timeout=5), handler, MemoryCheckpoints()
    )
    async with Running(watcher):
        await eventually(lambda: watcher.state.last_ok is not None)
    assert await asyncio.to_thread(folder_contents, mailbox, "INBOX") == [raws[0]]
    assert await asyncio.to_thread(folder_contents, mailbox, "Automatic") == [raws[1]]
    assert await asyncio.to_thread(folder_contents, mailbox, "Quarantine") == [raws[2]]


async def test_a_wrong_password_backs_off_with_a_one_line_error_without_the_password(
    mailbox: Mailbox,
) -> None:
    """Refused logins: the error is one line without the password; jittered delays stay in
    [0, min(max, initial * 2^n)] and their ceiling grows."""
    password = 'Wr0ng "pass\\word" hunter2'
    cfg = imap_config(mailbox, password=SecretStr(password))
    stop = asyncio.Event()
    sleep = SleepRecorder(stop, limit=5)
    watcher = imap_watcher(
        cfg,
        Recorder(),
        MemoryCheckpoints(),
        backoff_initial=1.0,
        backoff_max=10.0,
        rng=random.Random(7),
        sleep=sleep,
    )
    await asyncio.wait_for(watcher.run(stop), 10)
    error = watcher.state.last_error or ""
    assert error.startswith("mailbox complaints: login: NO ")
    assert "\n" not in error and password not in error and "hunter2" not in error
    assert watcher.state.consecutive_failures == 5
    ceilings = [min(10.0, 2.0**n) for n in range(5)]
    assert all(0 <= d <= c for d, c in zip(sleep.delays, ceilings, strict=True))


async def test_stop_returns_promptly_from_idle(mailbox: Mailbox) -> None:
    """Setting stop while the watcher idles makes run() return in well under 2 s."""
    watcher = imap_watcher(imap_config(mailbox), Recorder(), MemoryCheckpoints())
    running = Running(watcher)
    async with running:
        await eventually(lambda: watcher.state.phase is Phase.IDLE)
        await asyncio.sleep(0.3)
        took = await running.stopped()
    print(f"stop from IDLE took {took:.3f} s")
    assert took < 2
    assert watcher.state.phase is Phase.STOPPED


def test_deliver_to_disk_layout_matches_the_server_config(private_dovecot: Dovecot) -> None:
    """The on-disk delivery helper writes where this Dovecot reads (guards the restart test)."""
    box = private_dovecot.mailbox("info@council.test")
    box.append(message("creates the maildir"))
    deliver_to_disk(private_dovecot, box.address, message("on disk"))
    assert [m.endswith(b"About on disk.\r\n") for m in box.fetch_all()] == [False, True]
    assert Path(private_dovecot.mail_dir).is_dir()
