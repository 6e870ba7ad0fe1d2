"""SIGKILL at random moments while mail flows in and acknowledgements go out.

The issue asks for 500 messages and ten kills. On the 2-core CI machine the daemon handles about
ten messages a second with their mail, so CI runs a shorter round (below two minutes) and a soak
is one environment change away:

    MAILFLOW_SOAK_MESSAGES=500 MAILFLOW_SOAK_KILLS=10 .venv/bin/pytest tests/faults/test_sigkill.py

``MAILFLOW_SOAK_SEED`` picks other kill moments; the seed in use is in the fault report.
"""

from __future__ import annotations

import inspect
import itertools
import os
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mailflow.outbound import OutboxWorker
from tests.faults.harness import (
    DaemonProcess,
    Store,
    append_all,
    folder_count,
    sqlite_url,
    wait_until,
    write_config,
)
from tests.faults.mails import message_id, variants
from tests.servers.dovecot import Mailbox
from tests.servers.smtp import ReceivedMessage, SmtpSink

MESSAGES = int(os.environ.get("MAILFLOW_SOAK_MESSAGES", "100"))
KILLS = int(os.environ.get("MAILFLOW_SOAK_KILLS", "3"))
SEED = int(os.environ.get("MAILFLOW_SOAK_SEED", "8"))
# The worker records a round of mails in one transaction: a kill can catch a whole round sent
# but not recorded, so each kill may double up to a round's mail (and its Sent copies).
ROUND = inspect.signature(OutboxWorker).parameters["batch"].default


def feed(mailbox: Mailbox, mails: list[bytes], seconds: float, done: threading.Event) -> None:
    """Append ``mails`` in batches of ten spread evenly over ``seconds``."""
    batches = [mails[i : i + 10] for i in range(0, len(mails), 10)]
    for batch in batches:
        append_all(mailbox, batch)
        time.sleep(seconds / len(batches))
    done.set()


def duplicates_straddle_kills(
    received: list[ReceivedMessage], kills: list[float]
) -> tuple[int, list[str]]:
    """How many copies arrived twice, and those whose copies no kill separates (must be none)."""
    by_id: dict[str, list[datetime]] = {}
    for mail in received:
        by_id.setdefault(message_id(mail.data), []).append(mail.received_at)
    kill_times = [datetime.fromtimestamp(k, UTC) for k in kills]
    doubled, unexplained = 0, []
    for mid, times in by_id.items():
        times.sort()
        for first, again in itertools.pairwise(times):
            doubled += 1
            if not any(first <= k <= again for k in kill_times):
                unexplained.append(mid)
    return doubled, unexplained


@pytest.mark.dovecot
def test_random_sigkills_lose_nothing_and_double_only_mail_caught_mid_send(
    tmp_path: Path, mailbox: Mailbox, smtp_sink: SmtpSink, fault_report: Callable[[str], None]
) -> None:
    """Fault: SIGKILL at random moments while mail flows in and out; every message is recorded
    once, every mail reaches the sink and Sent, and a mail arrives twice only across a kill."""
    rng = random.Random(SEED)
    mails = variants(MESSAGES, run=f"kill{SEED}")
    config = write_config(tmp_path, mailbox, smtp_sink)
    store = Store(sqlite_url(tmp_path))
    daemon = DaemonProcess(config, mailbox.password, tmp_path / "daemon.log")
    fed = threading.Event()
    kills: list[float] = []
    with daemon:
        wait_until(store.ready, 60, "database created")
        feeder = threading.Thread(target=feed, args=(mailbox, mails, 3.5 * KILLS, fed), daemon=True)
        feeder.start()
        for _ in range(KILLS):
            time.sleep(rng.uniform(2.0, 5.0))
            kills.append(daemon.kill())
            daemon.start()
        feeder.join(120)
        assert fed.is_set()
        wait_until(lambda: store.recorded()[0] >= MESSAGES, 180, "every message recorded")
        wait_until(store.drained, 180, "every mail sent and copied")
        assert daemon.stop() == 0, daemon.log_tail()

    assert store.recorded() == (MESSAGES, MESSAGES)
    assert store.quarantined() == []
    assert folder_count(mailbox, "INBOX") == 0
    rows = store.mail_rows()
    assert rows and {r.status.value for r in rows} == {"done"}
    received = smtp_sink.messages
    assert {message_id(m.data) for m in received} == {r.message_id for r in rows}
    doubled, unexplained = duplicates_straddle_kills(received, kills)
    assert unexplained == []
    assert doubled <= KILLS * ROUND
    sent = Counter(message_id(raw) for raw in mailbox.fetch_all("Sent"))
    assert set(sent) == {r.message_id for r in rows}
    sent_doubled = sum(n - 1 for n in sent.values())
    assert sent_doubled <= KILLS * ROUND
    acks = sum(r.kind == "customer_mail" for r in rows)
    fault_report(
        f"seed {SEED}: {MESSAGES} messages, {KILLS} SIGKILLs, {len(rows)} mails "
        f"({acks} to customers); sent twice: {doubled}, appended to Sent twice: {sent_doubled}"
    )
    log = daemon.log.read_text()
    assert mailbox.password not in log
    assert "Traceback" not in log
