"""Clocks paused while the council waits for information from the customer, and resumed.

Stafford 8 (stages 2 and 3): "This timescale may vary if additional information is required
from the complainant." A stage whose rules set ``pause_awaiting_customer`` stops its response
clock when the officer asks the customer for information; when the customer replies, the clock
runs again, its due date moves on by the working days it stood still, and the customer is told
the new date. A stage without that
rule keeps its clock running (the case still shows as awaiting the customer). Pure.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from mailflow.policy.council import CouncilPolicy
from mailflow.workflow.actions import Action, Audit, SendMail
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


class NoPause(Exception):
    """The officer asked to pause a clock the rules keep running; the message says why."""


def ask_customer(
    policy: CouncilPolicy, state: CaseState, question: str, *, by: str, at: datetime
) -> tuple[CaseState, list[Action]]:
    """An officer's ``#await``: the question goes to the customer and the response clock of the
    stage stops until they answer (their reply resumes it: ``resume``).

    Only where the stage's rules set ``pause_awaiting_customer`` (Stafford 8 Stages 2 and 3:
    "this timescale may vary if additional information is required from the complainant");
    elsewhere ``NoPause``: the officer may still ask by a plain reply, with the clock running.
    """
    if state.status == "awaiting_customer":
        raise NoPause("the case is already waiting for the customer's answer")
    if state.status != "open":
        raise NoPause("the case is closed")
    if not pauses(policy, state):
        where = f"stage {state.stage}" if state.stage is not None else "this contact"
        raise NoPause(
            f"the rules do not pause the response clock at {where}:"
            " ask by a plain reply, and the date stays as it is"
        )
    if not any(d.purpose == "respond" and d.stage == state.stage for d in state.open_deadlines()):
        raise NoPause("no response date is running at this stage")
    state, actions = await_customer(policy, state, at, question)
    ask = SendMail(
        purpose="information_request",
        template="information_request",
        to=(state.customer_address,),
        to_customer=True,
        stage=state.stage,
        context={"officer_text": question, "by": by},
    )
    return state, [*actions, ask]


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
    actions: list[Action] = [Audit(event="customer_information_received", detail=detail)]
    if detail["moved"] and state.customer_address:
        # The date we gave them no longer holds: they hear the new one, as with an extension.
        actions.append(
            SendMail(
                purpose="information_received",
                template="information_received",
                to=(state.customer_address,),
                to_customer=True,
                stage=state.stage,
            )
        )
    return state, actions


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
