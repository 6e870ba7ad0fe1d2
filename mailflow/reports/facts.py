"""Gathering a report's facts: every grouped query, in one read snapshot, on two lanes.

Eight grouped queries, each one pass over a table: contacts received, customers' follow-up
messages, contacts open at the cut, deadlines met and overdue, stage flows and open stages, and
audit events; plus the oldest contact's date (the range of the working-day table) and the few
action texts. Python receives counts, never rows per contact, so a report's time grows with the
database's scan speed, not with Python's.

The queries run on two connections sharing one snapshot (``scope.read_snapshots``), one in a
thread beside the other: each is a single-threaded scan, and both engines run two at once on
two cores in about the time of the longer lane. The lanes are balanced by measured time: the
working-day table and the queries that read it (deadlines met, open cases) on one; contacts
received, overdue deadlines, follow-ups, stages and audit events on the other.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, func, select

from mailflow.reports import audits, contacts, deadlines, stages
from mailflow.reports.daycount import day_count
from mailflow.reports.scope import Scope, read_snapshots
from mailflow.store.models import Contact, table_of

CONTACT = table_of(Contact)


@dataclass(frozen=True, kw_only=True)
class Facts:
    """Everything counted for one report."""

    scope: Scope
    received: Counter[contacts.Received]
    follow_ups: Counter[int]
    open_cases: Counter[contacts.OpenCase]
    answered: Counter[deadlines.Answered]
    overdue: Counter[deadlines.Overdue]
    flows: Counter[stages.StageFlow]
    open_stages: Counter[int]
    events: Counter[audits.Event]
    actions: tuple[audits.Action, ...]


def gather(engine: Engine, scope: Scope) -> Facts:
    """Run every query of the report in one snapshot of the database."""
    handled = tuple(
        kind for kind, spec in scope.policy.rules.kinds.items() if spec.handling != "none"
    )
    with (
        read_snapshots(engine, 2) as [connection, beside],
        ThreadPoolExecutor(1, thread_name_prefix="report") as lane,
    ):
        other = lane.submit(_other_lane, beside, scope)
        first = _oldest_day(connection, scope) - timedelta(days=1)
        last = scope.period.last + timedelta(days=1)
        with day_count(connection, scope.policy, first, last) as days:
            answered = deadlines.answered(connection, scope, days)
            open_cases = contacts.open_at_cut(connection, scope, days, handled)
        received, overdue, follow_ups, flows, open_stages, events, actions = other.result()
        return Facts(
            scope=scope,
            received=received,
            follow_ups=follow_ups,
            open_cases=open_cases,
            answered=answered,
            overdue=overdue,
            flows=flows,
            open_stages=open_stages,
            events=events,
            actions=actions,
        )


def _other_lane(
    connection: Connection, scope: Scope
) -> tuple[
    Counter[contacts.Received],
    Counter[deadlines.Overdue],
    Counter[int],
    Counter[stages.StageFlow],
    Counter[int],
    Counter[audits.Event],
    tuple[audits.Action, ...],
]:
    """The queries that need no working-day table, run beside the others."""
    events = audits.events(connection, scope)
    any_actions = any(e.event == "action" and e.bucket == scope.current for e in events)
    return (
        contacts.received(connection, scope),
        deadlines.overdue(connection, scope),
        contacts.follow_ups(connection, scope),
        stages.flows(connection, scope),
        stages.open_stages(connection, scope),
        events,
        tuple(audits.actions(connection, scope)) if any_actions else (),
    )


def _oldest_day(connection: Connection, scope: Scope) -> date:
    """The local day of the council's oldest contact, or the first day of the trend."""
    oldest = connection.execute(
        select(func.min(CONTACT.c.received_at)).where(CONTACT.c.council == scope.council)
    ).scalar()
    first = scope.trend[0].first
    if oldest is None:
        return first
    oldest_day: date = oldest.astimezone(ZoneInfo(scope.timezone)).date()
    return min(first, oldest_day)
