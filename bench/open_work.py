"""Scale of open work: 100,000 open cases with their deadlines and mail history.

Run: ``.venv/bin/python bench/open_work.py [--cases 100000] [--database sqlite|postgres]``

Seeds a database with bulk inserts (the pipeline would take hours): each case an open stage-1
complaint with its stage record, a met acknowledgement deadline, an open response deadline
(spread over the last 60 and the next 30 days, so some are overdue) and its acknowledgement in
the outbox as sent; then 1,000 mails queued for later. Measures, beside an empty database in
the same run:

- daemon start-up: ``mailflow run`` launched until its watcher has logged in to the mailbox
  (Dovecot and an aiosmtpd sink on loopback), its resident memory then, 5 s and 30 s later,
  and how many notices the scheduler of issue 5 (where present) planned in those 30 s;
- claiming the next due mail: ``outbound.claims.claim_due`` for a batch of 20 with 20 due among
  the 101,000 rows, against the same claim in plain SQL on the same connection;
- planning every open deadline's notices from scratch (``schedule.plans.sync`` until nothing is
  stale, the daemon's work after a first start or a rules reload): seconds, and deadlines a
  second;
- finding and claiming the next due notifications: ``schedule.dispatch.send_due_notices`` with
  a batch of 20 ten days on (so thousands are due), which claims them, checks each is still
  owed and queues their mails, in one transaction.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, func, insert, select, text, update  # noqa: E402

from mailflow.outbound import claims  # noqa: E402
from mailflow.outbound.rows import MAIL_KINDS  # noqa: E402
from mailflow.policy.council import CouncilPolicy, load_policy  # noqa: E402
from mailflow.schedule import dispatch, plans  # noqa: E402
from mailflow.store.db import make_engine  # noqa: E402
from mailflow.store.migrate import upgrade  # noqa: E402
from mailflow.store.models import (  # noqa: E402
    Contact,
    Deadline,
    Notification,
    Outbox,
    StageRecord,
    table_of,
)
from mailflow.store.vocab import OutboxStatus  # noqa: E402
from tests.faults.harness import (  # noqa: E402
    DaemonProcess,
    throwaway_postgres,
    wait_until,
    write_config,
)
from tests.servers.dovecot import Dovecot  # noqa: E402
from tests.servers.smtp import SmtpSink  # noqa: E402

NOW = datetime.now(UTC).replace(microsecond=0)
CHUNK = 5000


def reference(i: int) -> str:
    """References in years before this one, so the daemon's own counter never meets them."""
    return f"SBC-{2020 + i // 99_999}-{i % 99_999 + 1:05d}"


def seed(engine: Engine, cases: int) -> float:
    """Insert ``cases`` open cases with deadlines and sent acknowledgements; seconds taken."""
    started = time.perf_counter()
    for first in range(0, cases, CHUNK):
        ids = range(first, min(cases, first + CHUNK))
        received = {i: NOW - timedelta(minutes=(i * 53) % (60 * 24 * 60)) for i in ids}
        with engine.begin() as db:
            db.execute(insert(table_of(Contact)), [contact(i, received[i]) for i in ids])
            refs = [reference(i) for i in ids]
            found = select(table_of(Contact).c.reference, table_of(Contact).c.id).where(
                table_of(Contact).c.reference.in_(refs)
            )
            by_ref = {ref: cid for ref, cid in db.execute(found)}
            cid = {i: by_ref[reference(i)] for i in ids}
            db.execute(insert(table_of(StageRecord)), [stage(cid[i], received[i]) for i in ids])
            db.execute(
                insert(table_of(Deadline)),
                [d for i in ids for d in deadlines(cid[i], received[i], i)],
            )
            db.execute(insert(table_of(Outbox)), [sent_ack(cid[i], received[i], i) for i in ids])
    with engine.begin() as db:
        later = [queued(n, NOW + timedelta(hours=1 + n)) for n in range(1000)]
        db.execute(insert(table_of(Outbox)), later)
    analyse(engine)
    return time.perf_counter() - started


def analyse(engine: Engine) -> None:
    """Refresh PostgreSQL's planner statistics, as autovacuum does on a production server
    after bulk changes (this test machine's PostgreSQL runs with autovacuum off); without them
    it plans for empty tables. SQLite has no such background job: nothing to do there."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as db:
            db.execute(text("ANALYZE"))


def contact(i: int, at: datetime) -> dict[str, object]:
    return {
        "reference": reference(i),
        "council": "stafford",
        "kind": "complaint",
        "channel": "email",
        "service": "waste",
        "route": "service_officer",
        "assigned_to": "waste@stafford.example",
        "is_case": True,
        "stage": 1,
        "status": "open",
        "customer_address": f"resident{i}@residents.example",
        "customer_name": f"Resident {i}",
        "subject": "Missed bin collection",
        "needs": [],
        "flags": [],
        "reasons": [],
        "confidence": 0.9,
        "received_at": at,
        "created_at": at,
    }


def stage(contact_id: int, at: datetime) -> dict[str, object]:
    return {
        "contact_id": contact_id,
        "number": 1,
        "owner_role": "service_officer",
        "owner_address": "waste@stafford.example",
        "opened_at": at,
        "acknowledged_at": at + timedelta(minutes=1),
    }


def deadlines(contact_id: int, at: datetime, i: int) -> list[dict[str, object]]:
    due = at + timedelta(days=20 + i % 10)
    common = {"contact_id": contact_id, "stage": 1, "calendar": "council", "explain": {}}
    return [
        {
            **common,
            "purpose": "acknowledge",
            "basis": "receipt",
            "due_date": (at + timedelta(days=3)).date(),
            "due_at": at + timedelta(days=3),
            "original_due_date": (at + timedelta(days=3)).date(),
            "status": "met",
            "met_at": at + timedelta(minutes=1),
        },
        {
            **common,
            "purpose": "respond",
            "basis": "receipt",
            "due_date": due.date(),
            "due_at": due,
            "original_due_date": due.date(),
            "status": "open",
            "met_at": None,
        },
    ]


def sent_ack(contact_id: int, at: datetime, i: int) -> dict[str, object]:
    return {
        "contact_id": contact_id,
        "kind": "customer_mail",
        "status": "done",
        "message_id": f"<ack-{i}@council.test>",
        "recipients": [f"resident{i}@residents.example"],
        "payload": {"purpose": "acknowledgement", "reference": reference(i)},
        "not_before": at,
        "created_at": at,
        "done_at": at + timedelta(minutes=1),
    }


def queued(n: int, when: datetime) -> dict[str, object]:
    return {
        "contact_id": None,
        "kind": "staff_mail",
        "status": "pending",
        "message_id": f"<later-{n}@council.test>",
        "recipients": ["waste@stafford.example"],
        "payload": {"purpose": "digest", "reference": None},
        "not_before": when,
        "created_at": NOW,
    }


def rss_kib(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process, in KiB."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


def start_daemon(url: str, folder: Path, server: Dovecot, sink: SmtpSink) -> dict[str, float]:
    """Seconds until the watcher logged in, and memory then and 5 s later."""
    mailbox = server.fresh_mailbox()
    config = write_config(folder, mailbox, sink, database=url, lease_seconds=30)
    daemon = DaemonProcess(config, mailbox.password, folder / "daemon.log")
    with daemon:
        started_at = time.monotonic()
        wait_until(lambda: b"app.started" in daemon.log.read_bytes(), 300, "started")
        started = time.monotonic() - started_at
        wait_until(lambda: b"watcher.connected" in daemon.log.read_bytes(), 300, "connected")
        ready = time.monotonic() - started_at
        rss_ready, _ = rss_kib(daemon.pid)
        time.sleep(5)
        rss_later, _ = rss_kib(daemon.pid)
        time.sleep(25)
        rss_settled, peak = rss_kib(daemon.pid)
        daemon.stop()
    return {
        "started": started,
        "ready": ready,
        "rss_ready": rss_ready / 1024,
        "rss_later": rss_later / 1024,
        "rss_settled": rss_settled / 1024,
        "peak": peak / 1024,
        "notices": notices_planned(url),
    }


def notices_planned(url: str) -> float:
    """Rows in issue 5's notification table (-1 where it does not exist)."""
    engine = make_engine(url)
    try:
        with engine.connect() as db:
            return float(db.execute(text("SELECT count(*) FROM notification")).scalar_one())
    except Exception:
        return -1.0
    finally:
        engine.dispose()


def make_due(engine: Engine, count: int) -> None:
    """Make the first ``count`` queued mails due now (and unclaimed) again."""
    outbox = table_of(Outbox)
    with engine.begin() as db:
        first = db.execute(
            select(func.min(outbox.c.id)).where(outbox.c.message_id.like("<later-%"))
        ).scalar_one()
        db.execute(
            update(outbox)
            .where(outbox.c.id.between(first, first + count - 1))
            .values(
                status=OutboxStatus.PENDING,
                not_before=NOW - timedelta(seconds=1),
                claimed_by=None,
                claimed_until=None,
            )
        )


def claim_with_mailflow(engine: Engine) -> int:
    rows = claims.claim_due(
        engine, kinds=MAIL_KINDS, holder="bench", now=NOW, lease=timedelta(minutes=5), batch=20
    )
    return len(rows)


def claim_with_sql(engine: Engine) -> int:
    """The same claim as one SELECT (with SKIP LOCKED on PostgreSQL) and one UPDATE."""
    lock = " FOR UPDATE SKIP LOCKED" if engine.dialect.name == "postgresql" else ""
    with engine.begin() as db:
        ids = [
            row[0]
            for row in db.execute(
                text(
                    "SELECT id FROM outbox WHERE kind IN ('customer_mail', 'staff_mail') AND"
                    " ((status = 'pending' AND not_before <= :now) OR"
                    " (status = 'claimed' AND claimed_until < :now))"
                    " ORDER BY not_before, id LIMIT 20" + lock
                ),
                {"now": NOW},
            )
        ]
        outbox = table_of(Outbox)
        db.execute(
            update(outbox)
            .where(outbox.c.id.in_(ids))
            .values(status=OutboxStatus.CLAIMED, claimed_by="bench")
        )
    return len(ids)


def time_claims(engine: Engine, claim: Callable[[Engine], int], rounds: int = 30) -> float:
    """Median milliseconds of ``claim`` with 20 rows due, the due rows reset each round."""
    took = []
    for _ in range(rounds):
        make_due(engine, 20)
        started = time.perf_counter()
        assert claim(engine) == 20
        took.append(time.perf_counter() - started)
    return 1000 * statistics.median(took)


def time_planning(engine: Engine, policy: CouncilPolicy) -> tuple[float, float, float]:
    """Seconds to plan every open deadline from scratch, deadlines planned a second, and the
    CPU seconds this process spent on it (the rest is waiting: the database, a busy machine)."""
    with engine.begin() as db:
        db.execute(table_of(Notification).delete())
        db.execute(update(table_of(Deadline)).values(notices_planned_for=None))
    started, cpu, total = time.perf_counter(), time.process_time(), 0
    while planned := plans.sync(engine, policy, now=NOW):
        total += planned
    took, cpu = time.perf_counter() - started, time.process_time() - cpu
    analyse(engine)  # 400,000 new notices: autovacuum's threshold, long passed
    return took, (total / took if total else 0.0), cpu


def time_notice_claims(engine: Engine, policy: CouncilPolicy, rounds: int = 30) -> float:
    """Median milliseconds to find, claim and queue the next 20 due notices."""
    later = NOW + timedelta(days=10)
    boxes = dict(policy.rules.council.mailboxes)
    took = []
    for _ in range(rounds):
        started = time.perf_counter()
        dispatch.send_due_notices(
            engine, policy, holder="bench", now=later, mailboxes=boxes, batch=20
        )
        took.append(time.perf_counter() - started)
    return 1000 * statistics.median(took)


@contextlib.contextmanager
def database(kind: str, folder: Path, name: str) -> Iterator[str]:
    if kind == "postgres":
        with throwaway_postgres(f"mailflow_bench_{name}") as url:
            yield url
    else:
        yield f"sqlite:///{folder / f'{name}.db'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="mailflow-bench-open-"))
    results: dict[str, dict[str, float]] = {}
    with (
        Dovecot(users={}) as server,
        SmtpSink() as sink,
        database(args.database, folder, "empty") as empty,
        database(args.database, folder, "full") as full,
    ):
        server.reserve_mailboxes(2)
        for name, url in (("empty", empty), ("full", full)):
            upgrade(url)
            engine = make_engine(url)
            seeded = seed(engine, args.cases if name == "full" else 0)
            engine.dispose()
            (folder / name).mkdir()
            results[name] = start_daemon(url, folder / name, server, sink)
            results[name]["seeded"] = seeded
            engine = make_engine(url)
            results[name]["claim_ours"] = time_claims(engine, claim_with_mailflow)
            results[name]["claim_sql"] = time_claims(engine, claim_with_sql)
            policy = load_policy("stafford")
            took, rate, cpu = time_planning(engine, policy)
            results[name]["plan_all"], results[name]["plan_rate"] = took, rate
            results[name]["plan_cpu"] = cpu
            results[name]["claim_notices"] = time_notice_claims(engine, policy)
            engine.dispose()
    cases = args.cases
    seeded = results["full"]["seeded"]
    print(f"open work: {cases:,} open cases, {2 * cases:,} deadlines, {cases + 1000:,} outbox "
          f"rows, database {args.database} (seeded in {seeded:.0f} s)\n")  # fmt: skip
    rows = [
        ("daemon: launch to rules loaded, DB migrated (s)", "started", "{:.2f}"),
        ("daemon: launch to mailbox watched (s)", "ready", "{:.2f}"),
        ("daemon: resident memory when watching (MB)", "rss_ready", "{:.0f}"),
        ("daemon: resident memory 5 s later (MB)", "rss_later", "{:.0f}"),
        ("daemon: resident memory 30 s later (MB)", "rss_settled", "{:.0f}"),
        ("daemon: peak resident memory in 30 s (MB)", "peak", "{:.0f}"),
        ("scheduled notices planned in 30 s (issue 5)", "notices", "{:.0f}"),
        ("claim 20 due mails: mailflow claim_due (ms)", "claim_ours", "{:.2f}"),
        ("claim 20 due mails: plain SQL (ms)", "claim_sql", "{:.2f}"),
        ("plan notices of every open deadline (s)", "plan_all", "{:.1f}"),
        ("  of which CPU time in the planner's process (s)", "plan_cpu", "{:.1f}"),
        ("planner throughput (deadlines/s)", "plan_rate", "{:.0f}"),
        ("claim 20 due notices and queue their mails (ms)", "claim_notices", "{:.1f}"),
    ]
    print(f"{'':50} {'empty DB':>10} {f'{cases:,} cases':>14}")
    for label, key, fmt in rows:
        print(
            f"{label:50} {fmt.format(results['empty'][key]):>10} "
            f"{fmt.format(results['full'][key]):>14}"
        )


if __name__ == "__main__":
    main()
