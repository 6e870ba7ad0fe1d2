"""Latency: from APPEND to the acknowledgement at the SMTP sink, mailflow against a bare responder.

Run: ``.venv/bin/python bench/latency.py [--count 200] [--max-gap 1.0] [--seed 8]``

Starts a private Dovecot and two aiosmtpd sinks on loopback (tests/servers). Messages that are
owed a reply (corpus variations; anonymous, abusive and junk samples left out) are appended one
at a time at random intervals (uniform up to ``--max-gap`` seconds), and each one's time from
the APPEND returning to its reply reaching a sink is measured, first for the baseline, then for
mailflow, with the same schedule:

- baseline: the least an IDLE-driven responder can do -- IMAPClient in IDLE, FETCH on EXISTS,
  ``email`` to parse, smtplib to send a one-line reply. Dovecot's own IDLE delay (about 0.5 s
  after an APPEND from another connection) is in both columns;
- mailflow: ``mailflow run`` as a child process (SQLite), everything it does per message.
"""

from __future__ import annotations

import argparse
import random
import smtplib
import statistics
import sys
import tempfile
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.faults.harness import (  # noqa: E402
    DaemonProcess,
    Store,
    imap_client,
    sqlite_url,
    wait_until,
    write_config,
)
from tests.faults.mails import CORPUS, in_reply_to, message_id, variant  # noqa: E402
from tests.servers.dovecot import Dovecot, Mailbox  # noqa: E402
from tests.servers.smtp import SmtpSink  # noqa: E402

# Samples mailflow rightly never answers: anonymous, abusive, junk and automatic mail.
UNANSWERED = ("017-", "018-", "061-", "062-", "063-", "064-", "065-", "071-", "088-")
BASE_USER, OURS_USER, PASSWORD = "baseline@council.test", "complaints@council.test", "secret"


def answered_samples() -> list[bytes]:
    paths = sorted(CORPUS.glob("*.eml"))
    return [p.read_bytes() for p in paths if not p.name.startswith(UNANSWERED)]


class Responder(threading.Thread):
    """The baseline: IDLE, fetch what is new, parse it, send a reply, IDLE again."""

    def __init__(self, mailbox: Mailbox, sink: SmtpSink) -> None:
        super().__init__(daemon=True)
        self.mailbox, self.sink = mailbox, sink
        self.stop = threading.Event()
        self.ready = threading.Event()

    def run(self) -> None:
        client = imap_client(self.mailbox)
        client.select_folder("INBOX")
        done: set[int] = set()
        with smtplib.SMTP(self.sink.host, self.sink.port) as smtp:
            while not self.stop.is_set():
                client.idle()
                self.ready.set()
                client.idle_check(timeout=0.5)
                client.idle_done()
                new = [uid for uid in client.search("ALL") if uid not in done]
                for uid, data in client.fetch(new, ["BODY.PEEK[]"]).items():
                    done.add(uid)
                    incoming = message_from_bytes(bytes(data[b"BODY[]"]), policy=policy.default)
                    reply = EmailMessage()
                    reply["From"] = self.mailbox.address
                    reply["To"] = str(incoming["From"])
                    reply["Subject"] = f"Re: {incoming['Subject']}"
                    reply["In-Reply-To"] = str(incoming["Message-ID"])
                    reply.set_content("We have received your email.")
                    smtp.send_message(reply)
        client.logout()


def schedule(count: int, max_gap: float, seed: int) -> list[float]:
    rng = random.Random(seed)
    return [rng.uniform(0.05, max_gap) for _ in range(count)]


def feed(mailbox: Mailbox, mails: list[bytes], gaps: list[float]) -> dict[str, float]:
    """APPEND each mail after its gap; return when each APPEND returned (time.time())."""
    client = imap_client(mailbox)
    appended: dict[str, float] = {}
    try:
        for raw, gap in zip(mails, gaps, strict=True):
            time.sleep(gap)
            client.append("INBOX", raw)
            appended[message_id(raw)] = time.time()
    finally:
        client.logout()
    return appended


def latencies(appended: dict[str, float], sink: SmtpSink, timeout: float) -> list[float]:
    """Seconds from APPEND to the first reply at the sink, for every message."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        replies: dict[str, float] = {}
        for mail in sink.messages:
            key = in_reply_to(mail.data)
            if key in appended and key not in replies:
                replies[key] = mail.received_at.timestamp()
        if len(replies) == len(appended):
            return sorted(replies[k] - appended[k] for k in appended)
        time.sleep(0.2)
    raise AssertionError(f"only {len(replies)} of {len(appended)} replies within {timeout} s")


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(share * 100) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--max-gap", type=float, default=1.0, help="seconds (default 1.0)")
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args()
    samples = answered_samples()
    gaps = schedule(args.count, args.max_gap, args.seed)
    folder = Path(tempfile.mkdtemp(prefix="mailflow-bench-latency-"))
    results: dict[str, list[float]] = {}
    with Dovecot(users={BASE_USER: PASSWORD, OURS_USER: PASSWORD}) as server:
        mails = [variant(samples[i % len(samples)], i, run="lat-b") for i in range(args.count)]
        with SmtpSink() as sink:
            responder = Responder(server.mailbox(BASE_USER), sink)
            responder.start()
            responder.ready.wait(10)
            appended = feed(server.mailbox(BASE_USER), mails, gaps)
            results["baseline: IDLE + fetch + parse + smtplib"] = latencies(appended, sink, 60)
            responder.stop.set()
        mails = [variant(samples[i % len(samples)], i, run="lat-m") for i in range(args.count)]
        with SmtpSink() as sink:
            mailbox = server.mailbox(OURS_USER)
            store = Store(sqlite_url(folder))
            config = write_config(folder, mailbox, sink, lease_seconds=30)
            with DaemonProcess(config, PASSWORD, folder / "daemon.log") as daemon:
                wait_until(store.ready, 60, "database created")
                wait_until(lambda: b"watcher.connected" in daemon.log.read_bytes(), 60)
                time.sleep(1.0)  # into IDLE
                appended = feed(mailbox, mails, gaps)
                results["mailflow run (SQLite)"] = latencies(appended, sink, 300)
                daemon.stop()
    print(
        f"latency: {args.count} messages appended one by one, gaps uniform 0.05-{args.max_gap} s "
        f"(seed {args.seed}); APPEND returned -> reply accepted by the sink\n"
    )
    print(f"{'':42} {'p50 s':>7} {'p95 s':>7} {'max s':>7} {'mean s':>7}")
    for label, values in results.items():
        print(
            f"{label:42} {percentile(values, 0.5):7.3f} {percentile(values, 0.95):7.3f} "
            f"{max(values):7.3f} {statistics.fmean(values):7.3f}"
        )


if __name__ == "__main__":
    main()
