"""Gathering a report's facts: every grouped query, on one connection, in one read snapshot.

Eight grouped queries, each one pass over a table: contacts received, customers' follow-up
messages, contacts open at the cut, deadlines met and overdue, stage flows and open stages, and
audit events; plus the oldest contact's date (the range of the working-day table) and the few
action texts. Python receives counts, never rows per contact, so a report's time grows with the
database's scan speed, not with Python's.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, func, select

from mailflow.reports import audits, contacts, deadlines, stages
from mailflow.reports.daycount import day_count
from mailflow.reports.scope import Scope, read_snapshot
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
    with read_snapshot(engine) as connection:
        first = _oldest_day(connection, scope) - timedelta(days=1)
        last = scope.period.last + timedelta(days=1)
        with day_count(connection, scope.policy, first, last) as days:
            events = audits.events(connection, scope)
            any_actions = any(e.event == "action" and e.bucket == scope.current for e in events)
            return Facts(
                scope=scope,
                received=contacts.received(connection, scope),
                follow_ups=contacts.follow_ups(connection, scope),
                open_cases=contacts.open_at_cut(connection, scope, days, handled),
                answered=deadlines.answered(connection, scope, days),
                overdue=deadlines.overdue(connection, scope),
                flows=stages.flows(connection, scope),
                open_stages=stages.open_stages(connection, scope),
                events=events,
                actions=tuple(audits.actions(connection, scope)) if any_actions else (),
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
