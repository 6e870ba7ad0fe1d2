"""Ingest throughput: the real daemon against fetching and parsing alone, in one run.

Run: ``.venv/bin/python bench/ingest.py [--count 5000] [--database sqlite|postgres]
[--profile FILE]``

Starts a private Dovecot and an aiosmtpd sink on loopback (tests/servers), puts ``--count``
variations of the labelled corpus in the mailbox (each its own Message-ID and sender, so no
per-address cap holds an acknowledgement back), then measures, on the same messages:

- baseline: IMAPClient fetching them all (BODY.PEEK[] in batches of 200) and ``email`` parsing
  each with ``policy.default`` and reading its text body: the least any mail program pays;
- mailflow: ``mailflow run`` as a child process, from launch until every message is recorded,
  filed out of INBOX, and every mail it decided (acknowledgements and staff notices) has reached
  the sink and its copy the Sent folder.

``--profile FILE`` samples the daemon with py-spy (install it into .venv for the session) and
writes collapsed stacks to FILE; bench/profile_summary.py reads them.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.faults.harness import (  # noqa: E402
    DaemonProcess,
    Store,
    append_all,
    folder_count,
    imap_client,
    sqlite_url,
    throwaway_postgres,
    wait_until,
    write_config,
)
from tests.faults.mails import variants  # noqa: E402
from tests.servers.dovecot import Dovecot, Mailbox  # noqa: E402
from tests.servers.smtp import SmtpSink  # noqa: E402

USER, PASSWORD = "complaints@council.test", "secret"


def baseline(mailbox: Mailbox, count: int) -> float:
    """Seconds to fetch every message in INBOX with IMAPClient and parse it with ``email``."""
    started = time.perf_counter()
    client = imap_client(mailbox)
    parsed = 0
    try:
        client.select_folder("INBOX", readonly=True)
        uids = sorted(client.search("ALL"))
        for start in range(0, len(uids), 200):
            batch = uids[start : start + 200]
            for data in client.fetch(batch, ["BODY.PEEK[]"]).values():
                message = BytesParser(EmailMessage, policy=policy.default).parsebytes(
                    bytes(data[b"BODY[]"])
                )
                body = message.get_body(("plain", "html"))
                if body is not None:
                    body.get_content()
                parsed += 1
    finally:
        client.logout()
    assert parsed == count, f"baseline parsed {parsed} of {count}"
    return time.perf_counter() - started


@contextlib.contextmanager
def database(kind: str, folder: Path) -> Iterator[str]:
    if kind == "postgres":
        with throwaway_postgres("mailflow_bench") as url:
            yield url
    else:
        yield ""


def run_mailflow(
    mailbox: Mailbox,
    sink: SmtpSink,
    folder: Path,
    db: str,
    count: int,
    profile: Path | None,
    daemons: int = 1,
) -> dict[str, float]:
    """Launch the daemon and time it until recorded, filed, and every mail sent and copied.

    With ``daemons`` above 1, the others run beside it on the same config: one holds the
    mailbox's lease, the rest help with the outbox and the notices (README "Several daemons").
    """
    config = write_config(folder, mailbox, sink, database=db, lease_seconds=30)
    store = Store(db or sqlite_url(folder))
    daemon = DaemonProcess(config, mailbox.password, folder / "daemon.log")
    helpers = [
        DaemonProcess(config, mailbox.password, folder / f"daemon{n}.log")
        for n in range(2, daemons + 1)
    ]
    spy: subprocess.Popen[bytes] | None = None
    with contextlib.ExitStack() as more, daemon:
        for helper in helpers:
            more.enter_context(helper)
        if profile is not None:
            spy = subprocess.Popen(
                [str(Path(sys.executable).with_name("py-spy")), "record", "--pid",
                 str(daemon.pid), "--rate", "200", "--format", "raw", "--threads",
                 "--output", str(profile), "--nonblocking"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
        started = daemon.started_at
        wait_until(store.ready, 60, "database created")
        wait_until(lambda: store.recorded()[0] >= count, 3600, "every message recorded")
        recorded = time.monotonic() - started
        wait_until(lambda: folder_count(mailbox, "INBOX") == 0, 600, "INBOX emptied")
        filed = time.monotonic() - started
        wait_until(store.drained, 3600, "outbox drained")
        drained = time.monotonic() - started
        counts = store.outbox()
        assert daemon.stop() == 0, daemon.log_tail()
        for helper in helpers:
            assert helper.stop() == 0, helper.log_tail()
    if spy is not None:
        spy.wait(30)
    store.dispose()
    return {
        "recorded": recorded,
        "filed": filed,
        "drained": drained,
        "mails": counts.mail_done,
        "failed": counts.failed,
        "quarantined": len(store.quarantined()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000, help="messages (default 5000)")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--profile", type=Path, help="py-spy collapsed stacks of the daemon")
    parser.add_argument(
        "--daemons", type=int, default=1, help="daemon processes on the same config (default 1)"
    )
    args = parser.parse_args()
    count: int = args.count
    folder = Path(tempfile.mkdtemp(prefix="mailflow-bench-ingest-"))
    with Dovecot(users={USER: PASSWORD}) as server, SmtpSink() as sink:
        mailbox = server.mailbox(USER)
        mails = variants(count, run=f"ingest{int(time.time())}")
        seeded = time.perf_counter()
        append_all(mailbox, mails)
        seeded = time.perf_counter() - seeded
        base = baseline(mailbox, count)
        with database(args.database, folder) as db:
            ours = run_mailflow(mailbox, sink, folder, db, count, args.profile, args.daemons)
        at_sink = len(sink.messages)
        in_sent = folder_count(mailbox, "Sent")
    shutil.rmtree(folder, ignore_errors=True)

    daemons = f", {args.daemons} daemon processes" if args.daemons > 1 else ""
    print(f"ingest: {count} messages already in the mailbox, database {args.database}{daemons}")
    print(f"(seeding them by MULTIAPPEND took {seeded:.1f} s, not counted)\n")
    print(f"{'':52} {'seconds':>8} {'msgs/s':>8} {'vs base':>8}")
    rows = [
        ("baseline: IMAPClient fetch + email parse", base),
        ("mailflow: all recorded (parse, classify, thread, DB)", ours["recorded"]),
        ("mailflow: all filed out of INBOX", ours["filed"]),
        ("mailflow: every mail at the sink and in Sent", ours["drained"]),
    ]
    for label, seconds in rows:
        rate = count / seconds
        print(f"{label:52} {seconds:8.1f} {rate:8.1f} {rate / (count / base):7.1%}")
    print(
        f"\nmails sent {ours['mails']:.0f} (sink received {at_sink}, Sent folder {in_sent}), "
        f"failed {ours['failed']:.0f}, quarantined {ours['quarantined']:.0f}"
    )


if __name__ == "__main__":
    main()
