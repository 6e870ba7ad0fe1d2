"""What one report covers: a council, a period, the periods of its trend, and a read snapshot.

Every query of a report runs inside read transactions that all see one snapshot, so all tables
describe the same moment; ``read_snapshots`` opens several such connections, so that a report
can run its scans side by side on a machine's cores. On PostgreSQL each is ``REPEATABLE READ``,
the others importing the first one's exported snapshot (``SET TRANSACTION SNAPSHOT``); each
turns JIT compilation off (the planner costs these grouped scans high enough to compile them,
which took longer than running them) and gives its hash joins and aggregates enough memory to
stay off disk (the 4 MB default split a quarter's deadlines into eight batches).

On SQLite mailflow opens transactions with ``BEGIN IMMEDIATE`` (the write lock, see
``store.db``); a report only reads, so it swaps that for a plain deferred ``BEGIN``: WAL gives
it a consistent snapshot and the daemon keeps recording mail meanwhile. Several readers get
the same snapshot by taking it while one more connection holds the write lock (no commit can
fall between them), which it gives back at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, case, literal
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql import ColumnElement

from mailflow.policy.council import CouncilPolicy
from mailflow.reports.periods import TREND_LENGTH, Period
from mailflow.store.columns import AwareDateTime
from mailflow.store.db import store_error

ELECTRONIC = ("email", "web", "text")
"""Electronic contact: email, text and website (Chorley, "Electronic contact")."""
REPORT_WORK_MEM = "64MB"
"""PostgreSQL ``work_mem`` for the report's own transaction only."""
NOT_CUSTOMERS = ("junk", "auto_reply")
"""Kinds that are not a customer's approach, so never counted as contacts."""


@dataclass(frozen=True, kw_only=True)
class Scope:
    """A council's report period in UTC instants, with the trend periods before it."""

    policy: CouncilPolicy
    period: Period
    now: datetime
    trend: tuple[Period, ...]

    @classmethod
    def of(cls, policy: CouncilPolicy, period: Period, now: datetime) -> Scope:
        """The period and the ones before it that the trend shows (oldest first)."""
        before = period.earlier(TREND_LENGTH[period.kind] - 1)
        return cls(policy=policy, period=period, now=now, trend=(*before, period))

    @property
    def council(self) -> str:
        """The council's key, as contacts record it."""
        return self.policy.key

    @property
    def timezone(self) -> str:
        """The council's time zone."""
        return self.policy.rules.council.timezone

    @property
    def zone(self) -> ZoneInfo:
        """The council's time zone, for turning instants into local days."""
        return ZoneInfo(self.timezone)

    @property
    def start(self) -> datetime:
        """The first instant of the period (UTC)."""
        return self.period.start(self.timezone)

    @property
    def end(self) -> datetime:
        """The first instant after the period (UTC)."""
        return self.period.end(self.timezone)

    @property
    def cut(self) -> datetime:
        """When "open" and "overdue" are judged: the period's end, or now if that is sooner."""
        return min(self.end, self.now)

    @property
    def cut_day(self) -> date:
        """The last local day the cut includes."""
        return (self.cut - timedelta(microseconds=1)).astimezone(self.zone).date()

    @property
    def trend_start(self) -> datetime:
        """The first instant of the oldest trend period."""
        return self.trend[0].start(self.timezone)

    def within(self, column: ColumnElement[Any]) -> ColumnElement[bool]:
        """``column`` falls in the period."""
        return (column >= at(self.start)) & (column < at(self.end))

    def bucket(self, column: ColumnElement[Any]) -> ColumnElement[Any]:
        """The index in ``trend`` of the period ``column`` falls in (None outside them)."""
        whens = [
            (
                (column >= at(p.start(self.timezone))) & (column < at(p.end(self.timezone))),
                literal(i),
            )
            for i, p in enumerate(self.trend)
        ]
        return case(*whens, else_=None)

    def in_trend(self, column: ColumnElement[Any]) -> ColumnElement[bool]:
        """``column`` falls in one of the trend periods (the report's own included)."""
        return (column >= at(self.trend_start)) & (column < at(self.end))

    @property
    def current(self) -> int:
        """The trend index of the report's own period."""
        return len(self.trend) - 1


def at(instant: datetime) -> ColumnElement[Any]:
    """An instant bound through the store's column type, so SQLite compares like with like."""
    return literal(instant, AwareDateTime())


@contextmanager
def read_snapshot(engine: Engine) -> Iterator[Connection]:
    """One read transaction for the whole report; SQLite's write lock is given back at once."""
    with read_snapshots(engine, 1) as [connection]:
        yield connection


@contextmanager
def read_snapshots(engine: Engine, count: int) -> Iterator[list[Connection]]:
    """``count`` connections in read transactions that all see the same snapshot."""
    try:
        with ExitStack() as stack:
            connections = [stack.enter_context(engine.connect()) for _ in range(count)]
            try:
                if engine.dialect.name == "sqlite":
                    _sqlite_snapshots(engine, connections)
                else:
                    _postgres_snapshots(connections)
                yield connections
            finally:
                for connection in connections:
                    connection.rollback()
    except SQLAlchemyError as exc:
        raise store_error(exc, engine.url) from exc


def _sqlite_snapshots(engine: Engine, connections: list[Connection]) -> None:
    """Deferred read transactions whose snapshots are taken under one held write lock."""
    for connection in connections:
        connection.exec_driver_sql("COMMIT")  # end the BEGIN IMMEDIATE of store.db
        connection.exec_driver_sql("BEGIN")
    if len(connections) == 1:
        return  # one reader: its first query takes the snapshot
    with engine.connect() as guard:
        guard.exec_driver_sql("SELECT 1")  # BEGIN IMMEDIATE: nobody commits until rollback
        for connection in connections:
            connection.exec_driver_sql("SELECT count(*) FROM sqlite_master")  # the snapshot
        guard.rollback()


def _postgres_snapshots(connections: list[Connection]) -> None:
    """Repeatable-read transactions; the first exports its snapshot, the others import it."""
    first, *others = connections
    first.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    snapshot = first.exec_driver_sql("SELECT pg_export_snapshot()").scalar()
    for connection in others:
        connection.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        connection.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
    for connection in connections:
        connection.exec_driver_sql("SET LOCAL jit = off")
        connection.exec_driver_sql(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'")
