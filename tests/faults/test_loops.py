"""Loops and floods against the real daemon: an auto-responder without automatic headers, a
bounce for every mail, and one sender flooding the mailbox. Outgoing mail stays within the rules
file's caps, every loop dies out by itself, and the flood is flagged to the customer services
manager.

The issue's flood is 1,000 mails in a minute; CI sends 120 (the caps bite after 10), and
``MAILFLOW_FLOOD_MESSAGES=1000`` runs the full size by hand.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mailflow.policy.council import load_policy
from mailflow.store.models import Outbox
from tests.faults.harness import (
    DaemonProcess,
    Store,
    append_all,
    imap_client,
    sqlite_url,
    wait_until,
    write_config,
)
from tests.faults.mails import bounce_for, corpus_samples, message_id, variant, variants
from tests.servers.dovecot import Mailbox
from tests.servers.smtp import ReceivedMessage, SmtpSink

FLOOD = int(os.environ.get("MAILFLOW_FLOOD_MESSAGES", "120"))
POLICY = load_policy("stafford")
CAP = POLICY.rules.caps.acknowledgements_per_address_per_day
MANAGER = POLICY.person(POLICY.rules.unacceptable_actions.flag_to, None)
COMPLAINT = corpus_samples()[0]  # a missed-bins complaint: always acknowledged
Answer = Callable[[ReceivedMessage, int], bytes | None]


class Robot(threading.Thread):
    """Answers mail the sink receives by appending ``answer(mail, n)`` to the mailbox (None: no
    answer), at most ``limit`` times: a runaway loop is cut there and the test fails."""

    def __init__(self, sink: SmtpSink, mailbox: Mailbox, answer: Answer, limit: int) -> None:
        super().__init__(daemon=True)
        self.sink, self.mailbox, self.answer, self.limit = sink, mailbox, answer, limit
        self.answered = 0
        self.stop = threading.Event()

    def run(self) -> None:
        client = imap_client(self.mailbox)
        seen = 0
        try:
            while not self.stop.wait(0.1) and self.answered < self.limit:
                arrived = self.sink.messages
                for mail in arrived[seen:]:
                    raw = self.answer(mail, self.answered)
                    if raw is not None and self.answered < self.limit:
                        client.append("INBOX", raw)
                        self.answered += 1
                seen = len(arrived)
        finally:
            client.logout()


def settled(store: Store, sink: SmtpSink, robot: Robot, quiet: float = 4.0) -> bool:
    """Nothing left to do: every answer recorded, the outbox drained, the sink quiet."""
    count = len(sink.messages)
    done = store.recorded()[0] >= robot.answered + 1 and store.drained()
    if not done:
        return False
    time.sleep(quiet)
    return len(sink.messages) == count and store.recorded()[0] >= robot.answered + 1


@pytest.fixture
def daemon(tmp_path: Path, mailbox: Mailbox, smtp_sink: SmtpSink) -> Iterator[DaemonProcess]:
    """``mailflow run`` on SQLite against the test's mailbox and sink."""
    config = write_config(tmp_path, mailbox, smtp_sink)
    with DaemonProcess(config, mailbox.password, tmp_path / "daemon.log") as running:
        wait_until(Store(sqlite_url(tmp_path)).ready, 60, "database created")
        wait_until(lambda: b"watcher.connected" in running.log.read_bytes(), 60, "connected")
        yield running
        assert running.stop() == 0, running.log_tail()
    assert "Traceback" not in running.log.read_text()


def to(address: str) -> Callable[[ReceivedMessage], bool]:
    return lambda mail: address in mail.rcpt_tos


def flags(store: Store, flag: str) -> list[Outbox]:
    """Flag notices of ``flag`` queued."""
    return [
        r
        for r in store.mail_rows()
        if r.payload.get("purpose") == "flag" and r.payload["context"].get("flag") == flag
    ]


def flags_sent(store: Store, sink: SmtpSink, flag: str) -> list[Outbox]:
    """Flag notices of ``flag`` that reached the sink."""
    arrived = {message_id(m.data) for m in sink.messages}
    return [r for r in flags(store, flag) if r.message_id in arrived]


@pytest.mark.dovecot
def test_auto_responder_without_automatic_headers_is_stopped_by_the_daily_cap(
    tmp_path: Path,
    mailbox: Mailbox,
    smtp_sink: SmtpSink,
    daemon: DaemonProcess,
    fault_report: Callable[[str], None],
) -> None:
    """Fault: a responder answers every acknowledgement with a fresh complaint and no automatic
    headers; mailflow stops at the per-address cap, the loop dies out, and the sender is
    flagged to the customer services manager."""
    customer = "helpdesk@looping.example"
    store = Store(sqlite_url(tmp_path))

    def answer(mail: ReceivedMessage, n: int) -> bytes | None:
        return (
            variant(COMPLAINT, 100 + n, run="loop", sender=customer)
            if customer in mail.rcpt_tos
            else None
        )

    robot = Robot(smtp_sink, mailbox, answer, limit=4 * CAP)
    robot.start()
    append_all(mailbox, [variant(COMPLAINT, 0, run="loop", sender=customer)])
    wait_until(lambda: settled(store, smtp_sink, robot), 150, "the loop settled")
    robot.stop.set()
    robot.join(5)
    to_customer = [m for m in smtp_sink.messages if customer in m.rcpt_tos]
    assert len(to_customer) == CAP
    assert robot.answered == CAP  # each acknowledgement answered, then silence
    assert store.recorded()[0] == CAP + 1
    assert MANAGER is not None
    [flag] = flags(store, "persistent_sender")
    assert flags_sent(store, smtp_sink, "persistent_sender") == [flag]
    assert flag.recipients == [MANAGER.address]
    fault_report(
        f"auto-responder: {robot.answered} answers, {len(to_customer)} mails to it (cap {CAP}), "
        f"{len(smtp_sink.messages)} mails in all"
    )


@pytest.mark.dovecot
def test_a_bounce_for_every_mail_sent_dies_out_and_marks_the_address(
    tmp_path: Path,
    mailbox: Mailbox,
    smtp_sink: SmtpSink,
    daemon: DaemonProcess,
    fault_report: Callable[[str], None],
) -> None:
    """Fault: every mail mailflow sends, to anyone, comes back as a permanent bounce; mailflow
    answers no bounce, marks the customer undeliverable and the exchange stops by itself."""
    customer = "gone@bouncing.example"
    store = Store(sqlite_url(tmp_path))

    def answer(mail: ReceivedMessage, n: int) -> bytes:
        return bounce_for(mail.data, mail.rcpt_tos[0], to=mailbox.address, index=n)

    robot = Robot(smtp_sink, mailbox, answer, limit=30)
    robot.start()
    append_all(mailbox, [variant(COMPLAINT, 0, run="bounce", sender=customer)])
    wait_until(lambda: settled(store, smtp_sink, robot), 150, "the bounces settled")
    robot.stop.set()
    robot.join(5)
    assert robot.answered < robot.limit, "mailflow kept sending: a bounce loop"
    sent = smtp_sink.messages
    assert len([m for m in sent if customer in m.rcpt_tos]) == 1
    assert len(sent) <= 6
    assert all(b"Auto-Submitted:" in m.data for m in sent)
    fault_report(f"bounce for every mail: {len(sent)} mails sent, {robot.answered} bounces")


@pytest.mark.dovecot
def test_one_sender_flooding_the_mailbox_gets_at_most_the_cap_and_is_flagged(
    tmp_path: Path,
    mailbox: Mailbox,
    smtp_sink: SmtpSink,
    daemon: DaemonProcess,
    fault_report: Callable[[str], None],
) -> None:
    """Fault: one address sends FLOOD mails within a minute; it gets no more than the daily cap
    of replies, and the customer services manager is told once that it is a persistent sender."""
    sender = "flood@flooding.example"
    store = Store(sqlite_url(tmp_path))
    started = time.monotonic()
    append_all(mailbox, variants(FLOOD, run="flood", sender=sender))
    appended = time.monotonic() - started
    wait_until(store.ready, 60, "database created")
    took = wait_until(lambda: store.recorded()[0] >= FLOOD, 300, "the flood recorded")

    def replies_settled() -> bool:
        rows = [r for r in store.mail_rows() if sender in r.recipients]
        return all(r.status.value in ("done", "cancelled") for r in rows)

    wait_until(replies_settled, 120, "replies to the sender sent")
    wait_until(lambda: bool(flags_sent(store, smtp_sink, "persistent_sender")), 120, "flag")
    rows = store.mail_rows()
    replies = [r for r in rows if sender in r.recipients]
    sent = [r for r in replies if r.status.value == "done"]
    assert len(sent) <= CAP
    assert len([m for m in smtp_sink.messages if sender in m.rcpt_tos]) == len(sent)
    [flag] = flags(store, "persistent_sender")
    assert flags_sent(store, smtp_sink, "persistent_sender") == [flag]
    assert MANAGER is not None and flag.recipients == [MANAGER.address]
    staff = len(rows) - len(replies)
    fault_report(
        f"flood of {FLOOD} appended in {appended:.1f} s, recorded in {took:.0f} s: "
        f"{len(sent)} replies sent to the sender (cap {CAP}; {len(replies) - len(sent)} more "
        f"decided were cancelled by the send-time cap), flagged once; "
        f"{staff} staff notices queued (no cap applies to them)"
    )
