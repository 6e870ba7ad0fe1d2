"""Clocks paused while the council waits for information from the customer, and resumed.

Stafford 8 (stages 2 and 3): "This timescale may vary if additional information is required
from the complainant." A stage whose rules set ``pause_awaiting_customer`` stops its response
clock when the officer asks the customer for information; when the customer replies, the clock
runs again and its due date moves on by the working days it stood still. A stage without that
rule keeps its clock running (the case still shows as awaiting the customer). Pure.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from mailflow.policy.council import CouncilPolicy
from mailflow.workflow.actions import Action, Audit
from mailflow.workflow.events import AwaitingCustomer
from mailflow.workflow.state import CaseState, DeadlineState

PAUSE_SOURCE = "pause_awaiting_customer"


def pauses(policy: CouncilPolicy, state: CaseState) -> bool:
    """Whether the case's current stage stops its response clock while awaiting the customer."""
    proc = policy.procedure_for(state.kind)
    if proc is None or state.stage is None or not state.is_case:
        return False
    return proc.stage(state.stage).pause_awaiting_customer


def await_customer(
    policy: CouncilPolicy, state: CaseState, at: datetime, what: str = ""
) -> tuple[CaseState, list[Action]]:
    """The officer asked the customer for information at ``at``: wait, pausing if the rules say."""
    if state.status != "open":
        return state, []
    paused = pauses(policy, state)
    deadlines = tuple(
        replace(d, status="paused")
        if paused and d.status == "open" and d.stage == state.stage and d.purpose == "respond"
        else d
        for d in state.deadlines
    )
    state = replace(state, status="awaiting_customer", awaiting_since=at, deadlines=deadlines)
    detail = {"what": what, "clock": "paused" if paused else "running"}
    return state, [Audit(event="awaiting_customer", detail=detail)]


def awaiting_customer(
    policy: CouncilPolicy, state: CaseState, ev: AwaitingCustomer
) -> tuple[CaseState, list[Action]]:
    """``decide``'s handler for ``AwaitingCustomer``."""
    return await_customer(policy, state, ev.requested_at, ev.what)


def resume(policy: CouncilPolicy, state: CaseState, at: datetime) -> tuple[CaseState, list[Action]]:
    """The customer replied at ``at``: run paused clocks again, each later by the pause."""
    if state.status != "awaiting_customer":
        return state, []
    since = state.awaiting_since or at
    moved = [_resumed(policy, d, since, at) if d.status == "paused" else d for d in state.deadlines]
    detail = {
        "paused_since": since.isoformat(),
        "moved": [
            {
                "stage": new.stage,
                "purpose": new.purpose,
                "from": str(old.due_date),
                "to": str(new.due_date),
            }
            for old, new in zip(state.deadlines, moved, strict=True)
            if old.status == "paused"
        ],
    }
    state = replace(state, status="open", awaiting_since=None, deadlines=tuple(moved))
    return state, [Audit(event="customer_information_received", detail=detail)]


def _resumed(
    policy: CouncilPolicy, d: DeadlineState, since: datetime, at: datetime
) -> DeadlineState:
    """A paused deadline running again, its due date moved on by the working days paused."""
    cal = policy.calendar(d.calendar)
    zone = ZoneInfo(policy.rules.council.timezone)
    start, end = since.astimezone(zone).date(), at.astimezone(zone).date()
    days = max(0, cal.working_days_between(start, end))
    due = cal.add_working_days(d.due_date, days)
    line = (
        f"clock paused awaiting the customer's information from {start:%a %d %b %Y} to"
        f" {end:%a %d %b %Y}: {days} working day{'s' if days != 1 else ''} added, due"
        f" {d.due_date:%a %d %b %Y} -> {due:%a %d %b %Y} (rules: {PAUSE_SOURCE})"
    )
    return replace(
        d, status="open", due_date=due, due_at=cal.end_of_day(due), explain=(*d.explain, line)
    )
