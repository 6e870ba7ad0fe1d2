"""Time to build a quarterly monitoring report over a million contacts, SQLite and PostgreSQL.

Rows are bulk-inserted straight into the tables (the bench only: the tests seed through the
workflow): contacts of every kind over one year, with their deadlines, stage records, messages
and audit events, about 6.5 rows per contact. For each engine the table then shows, in the same
run, a plain ``SELECT count(*) FROM contact`` (the floor: one scan), ``build_report`` for the
year's third quarter (every query of the report), and writing it as Word and CSV (charts,
docxtpl, CSV: independent of the data size). Target: the report under 10 s.

Run: ``.venv/bin/python bench/report.py [--contacts 1000000] [--postgres URL]``; PostgreSQL is
skipped when the server does not answer. Loading takes minutes (about 9 for SQLite and 6 for
PostgreSQL on two cores); ``--keep DIR`` leaves the SQLite file in DIR and the PostgreSQL
database in place, and ``--reuse-sqlite FILE`` / ``--reuse-postgres URL`` time a database kept
so, without loading it again (what profiling a change needs).
"""

from __future__ import annotations

import argparse
import json
import random
import secrets
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

from mailflow.policy.council import load_policy
from mailflow.reports.build import build_report
from mailflow.reports.files import write_report
from mailflow.reports.periods import parse_period
from mailflow.store.db import make_engine
from mailflow.store.migrate import upgrade

YEAR_START = datetime(2026, 1, 1, tzinfo=UTC)
KINDS = (
    ("complaint", 15),
    ("comment", 5),
    ("compliment", 5),
    ("service_request", 45),
    ("information_request", 18),
    ("foi_request", 5),
    ("junk", 7),
)
SERVICES = ("waste", "council_tax", "benefits", "housing", "planning", "parking", "leisure")
AVOIDABLE = (None,) * 9 + ("chasing", "clarification", "service_not_done")
OUTCOMES = ("upheld", "partly_upheld", "not_upheld", "resolved")
CHUNK = 50_000
COLUMNS = {
    "contact": "id reference council kind channel service is_case stage status outcome "
    "customer_address customer_name subject needs anonymous avoidable flags confidence reasons "
    "received_at created_at closed_at legal_hold",
    "deadline": "contact_id stage purpose calendar basis due_date due_at original_due_date "
    "status met_at explain",
    "stage_record": "contact_id number owner_role opened_at acknowledged_at responded_at outcome "
    "extensions",
    "message": "contact_id direction message_id references from_address from_name to_addresses "
    "subject received_at content_hash text status attachments",
    "audit": "contact_id at actor event detail",
}


def rows(count: int, seed: int = 7) -> Iterator[dict[str, list[tuple[object, ...]]]]:
    """Chunks of rows for every table, as plain tuples in ``COLUMNS`` order."""
    rng = random.Random(seed)
    kinds = [k for k, weight in KINDS for _ in range(weight)]
    chunk: dict[str, list[tuple[object, ...]]] = {name: [] for name in COLUMNS}
    for i in range(1, count + 1):
        kind = rng.choice(kinds)
        at = YEAR_START + timedelta(seconds=rng.randrange(365 * 86400))
        closed = None if rng.random() < 0.1 else at + timedelta(days=rng.randrange(1, 20))
        case = kind == "complaint"
        stage = (2 if rng.random() < 0.2 else 1) if case else (1 if kind == "foi_request" else None)
        avoidable = rng.choice(AVOIDABLE)
        chunk["contact"].append(
            (
                i,
                f"SBC-B-{i:07d}",
                "stafford",
                kind,
                rng.choice(("email",) * 8 + ("web", "letter")),
                rng.choice(SERVICES),
                case,
                stage,
                "closed" if closed else "open",
                rng.choice(OUTCOMES) if case and closed else None,
                f"c{i}@example.org",
                "",
                "",
                "[]",
                False,
                avoidable,
                "[]",
                1.0,
                "[]",
                at,
                at,
                closed,
                False,
            )
        )
        chunk["message"].append(
            (
                i,
                "in",
                f"<m{i}@example.org>",
                "",
                f"c{i}@example.org",
                "",
                "[]",
                "",
                at,
                f"h{i}",
                "",
                "recorded",
                "[]",
            )
        )
        chunk["audit"].append((i, at, "mailflow", "contact_recorded", "{}"))
        if rng.random() < 0.2:
            later = at + timedelta(days=rng.randrange(1, 10))
            chunk["message"].append(
                (
                    i,
                    "in",
                    f"<f{i}@example.org>",
                    "",
                    f"c{i}@example.org",
                    "",
                    "[]",
                    "",
                    later,
                    f"g{i}",
                    "",
                    "recorded",
                    "[]",
                )
            )
            if avoidable is None and rng.random() < 0.5:
                detail = json.dumps({"reason": rng.choice(AVOIDABLE[-3:])})
                chunk["audit"].append((i, later, "mailflow", "avoidable_contact", detail))
        if kind == "junk":
            continue
        for number in range(1, (stage or 1) + 1) if case else ():
            opened = at + timedelta(days=15 * (number - 1))
            answered = opened + timedelta(days=rng.randrange(1, 25)) if closed else None
            outcome = rng.choice(OUTCOMES) if answered else None
            chunk["stage_record"].append(
                (
                    i,
                    number,
                    "service_officer",
                    opened,
                    opened + timedelta(hours=2),
                    answered,
                    outcome,
                    rng.choice((0,) * 9 + (1,)),
                )
            )
            chunk["audit"].append((i, opened, "mailflow", "stage_opened", f'{{"stage": {number}}}'))
            _deadlines(chunk, rng, i, number, opened, answered)
        if not case:
            answered = (
                closed if kind != "foi_request" else at + timedelta(days=rng.randrange(5, 35))
            )
            _deadlines(chunk, rng, i, stage, at, answered)
        if i % CHUNK == 0:
            yield chunk
            chunk = {name: [] for name in COLUMNS}
    yield chunk


def _deadlines(
    chunk: dict[str, list[tuple[object, ...]]],
    rng: random.Random,
    contact: int,
    stage: int | None,
    start: datetime,
    answered: datetime | None,
) -> None:
    for purpose, days in (("acknowledge", 7), ("respond", 14)):
        due_at = start + timedelta(days=days)
        met = (
            start + timedelta(hours=rng.randrange(1, 72)) if purpose == "acknowledge" else answered
        )
        chunk["deadline"].append(
            (
                contact,
                stage,
                purpose,
                "council",
                "receipt",
                due_at.date(),
                due_at,
                due_at.date(),
                "met" if met else "open",
                met,
                "{}",
            )
        )


def _sqlite_value(value: object) -> object:
    if isinstance(value, datetime):
        return (
            value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
        )
    return value.isoformat() if hasattr(value, "isoformat") else value


def load_sqlite(path: Path, count: int) -> None:
    """Insert through the sqlite3 module directly, one transaction per chunk."""
    db = sqlite3.connect(path)
    for chunk in rows(count):
        for table, values in chunk.items():
            names = COLUMNS[table].split()
            sql = f"INSERT INTO {table} ({', '.join(f'{chr(34)}{n}{chr(34)}' for n in names)}) "
            sql += f"VALUES ({', '.join('?' * len(names))})"
            db.executemany(sql, ([_sqlite_value(v) for v in row] for row in values))
        db.commit()
    db.execute("ANALYZE")
    db.commit()
    db.close()


def load_postgres(url: str, count: int) -> None:
    """Insert with COPY, the fastest way into PostgreSQL."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as db:
        for chunk in rows(count):
            for table, values in chunk.items():
                names = ", ".join(f'"{n}"' for n in COLUMNS[table].split())
                with db.cursor().copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in values:
                        copy.write_row(row)
            db.commit()
        db.execute("ANALYZE")
        db.commit()


def timed(run: object) -> float:
    started = time.perf_counter()
    run()  # type: ignore[operator]
    return time.perf_counter() - started


def bench(label: str, url: str, out: Path) -> tuple[str, float, float, float, int]:
    """Count, build and write on a loaded database; returns the row of the results table."""
    engine = make_engine(url)
    policy = load_policy("stafford")
    period = parse_period("2026-Q3")
    with engine.connect() as connection:
        count = timed(lambda: connection.execute(text("SELECT count(*) FROM contact")).scalar())
        total = connection.execute(text("SELECT count(*) FROM contact")).scalar() or 0
    now = datetime(2026, 10, 5, 9, tzinfo=UTC)
    holder: list[object] = []
    build = timed(lambda: holder.append(build_report(engine, policy, period, now=now)))
    write = timed(lambda: write_report(holder[0], out / label, ("docx", "csv")))  # type: ignore[arg-type]
    engine.dispose()
    return label, count, build, write, int(total)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument(
        "--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--keep", type=Path, help="keep the loaded databases (SQLite file here)")
    parser.add_argument("--reuse-sqlite", type=Path, help="time this loaded SQLite file")
    parser.add_argument("--reuse-postgres", help="time this loaded PostgreSQL database URL")
    args = parser.parse_args()
    if args.reuse_sqlite or args.reuse_postgres:
        reused(args.reuse_sqlite, args.reuse_postgres)
        return
    results = []
    with tempfile.TemporaryDirectory() as folder:
        path = (args.keep or Path(folder)) / "bench.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        upgrade(f"sqlite:///{path}")
        started = time.perf_counter()
        load_sqlite(path, args.contacts)
        print(f"sqlite: loaded in {time.perf_counter() - started:.0f} s", flush=True)
        results.append(bench("sqlite", f"sqlite:///{path}", Path(folder)))
        admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        name = f"mailflow_bench_{secrets.token_hex(4)}"
        try:
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        except Exception as exc:  # no server: report SQLite alone
            print(f"postgresql: skipped ({type(exc).__name__})")
        else:
            url = admin.url.set(database=name).render_as_string(hide_password=False)
            try:
                upgrade(url)
                started = time.perf_counter()
                load_postgres(url, args.contacts)
                print(f"postgresql: loaded in {time.perf_counter() - started:.0f} s", flush=True)
                results.append(bench("postgresql", url, Path(folder)))
            finally:
                if args.keep:
                    print(f"postgresql: kept as {url}")
                else:
                    with admin.connect() as connection:
                        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    show(f"{args.contacts:,} contacts of one year", results)


def reused(sqlite: Path | None, postgres: str | None) -> None:
    """Time the report on databases loaded by an earlier ``--keep`` run."""
    results = []
    with tempfile.TemporaryDirectory() as folder:
        if sqlite:
            results.append(bench("sqlite", f"sqlite:///{sqlite}", Path(folder)))
        if postgres:
            results.append(bench("postgresql", postgres, Path(folder)))
    show("the kept databases", results)


def show(what: str, results: list[tuple[str, float, float, float, int]]) -> None:
    """The results table."""
    print(f"\nquarterly report (2026-Q3) over {what}")
    print(f"{'engine':12} {'contacts':>10} {'count(*) s':>11} {'report s':>9} {'docx+csv s':>11}")
    for label, count, build, write, total in results:
        print(f"{label:12} {total:10,} {count:11.3f} {build:9.2f} {write:11.2f}")


if __name__ == "__main__":
    main()
