"""What an officer decides about a case: the stage response, a new date, a new kind or owner.

Pure, like the rest of the workflow; ``commands`` reads the officer's reply and calls these.
Each raises ``Refused`` with the sentence the officer is told when the rules forbid it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from mailflow.policy.council import CouncilPolicy
from mailflow.policy.deadlines import plan_correspondence
from mailflow.policy.routing import route
from mailflow.policy.schema import Extension, Person, Procedure
from mailflow.workflow.actions import Action, Audit, SendMail
from mailflow.workflow.stages import deadline_states, open_stage
from mailflow.workflow.state import CaseState, DeadlineState

RESPONSE_LETTERS = ("stage_reply", "ombudsman_signposting")


class Refused(Exception):
    """A command that cannot be applied; the message is what the officer is told."""


def is_final(proc: Procedure, number: int) -> bool:
    """Whether no council stage follows ``number`` (the Ombudsman comes next)."""
    following = [s for s in proc.stages if s.number > number]
    return not following or following[0].external


def response_letters(proc: Procedure, number: int) -> tuple[str, ...]:
    """The stage's letters that answer it: always the stage reply, and the Ombudsman's at the
    final stage (Stafford 8 Stage 3; Chorley: escalation to the Chief Executive)."""
    stage = proc.stage(number)
    names = [n for n in stage.letters if n in RESPONSE_LETTERS]
    if "stage_reply" not in names:
        names.insert(0, "stage_reply")  # "a written complaint's outcome is always in writing"
    final = is_final(proc, number) or stage.ombudsman_signposting
    if final and "ombudsman_signposting" not in names:
        names.append("ombudsman_signposting")
    return tuple(names)


def _settle(d: DeadlineState, stage: int, at: datetime) -> DeadlineState:
    """A stage's clocks once it is answered: running ones met, paused ones cancelled."""
    if d.stage != stage:
        return d
    if d.status == "open":
        return replace(d, status="met", met_at=at)
    return replace(d, status="cancelled") if d.status == "paused" else d


def respond(
    policy: CouncilPolicy, state: CaseState, outcome: str, text: str, by: str, at: datetime
) -> tuple[CaseState, list[Action]]:
    """The stage response: outcome recorded, clocks stopped, reply letter sent and copied."""
    current = state.current_stage()
    proc = policy.procedure_for(state.kind)
    if not state.is_case or current is None or proc is None:
        raise Refused("this contact is not at a stage of the complaints procedure")
    if current.outcome:
        raise Refused(f"stage {current.number} already has its outcome ({current.outcome})")
    number = current.number
    final = is_final(proc, number)
    stages = tuple(
        replace(s, responded_at=at, outcome=outcome) if s is current else s for s in state.stages
    )
    deadlines = tuple(_settle(d, number, at) for d in state.deadlines)
    state = replace(state, stages=stages, deadlines=deadlines, outcome=outcome)
    letters = response_letters(proc, number)
    context = {"outcome": outcome, "officer_text": text, "final": final}
    actions: list[Action] = [
        Audit(event="stage_response", detail={"stage": number, "outcome": outcome, "by": by}),
        SendMail(
            purpose="stage_reply",
            template="stage_reply",
            to=(state.customer_address,),
            to_customer=True,
            stage=number,
            letters=letters,
            context=context,
        ),
    ]
    for role in proc.copy_response_to:  # Chorley: "a copy ... to the Customer Services Manager"
        person = policy.person(role, state.service)
        if person is not None:
            actions.append(
                SendMail(
                    purpose="response_copy",
                    template="response_copy",
                    to=(person.address,),
                    to_customer=False,
                    stage=number,
                    letters=letters,
                    context={**context, "role": role},
                )
            )
    if final:
        state = replace(state, status="closed", closed_at=at)
        actions.append(Audit(event="ombudsman_signposted", detail={"why": f"stage {number} reply"}))
    return state, actions


def extend(
    policy: CouncilPolicy,
    state: CaseState,
    new: date,
    reason: str,
    rules: Extension,
    *,
    by: str,
    text: str,
) -> tuple[CaseState, list[Action]]:
    """Move the running response date to ``new`` within the rules' cap; tell the customer."""
    due = next((d for d in state.open_deadlines(state.stage) if d.purpose == "respond"), None)
    if due is None:
        raise Refused("no response date is running on this case")
    if new <= due.due_date:
        raise Refused(f"{new} is not after the current response date, {due.due_date}")
    current = state.current_stage()
    if rules.max_times is not None and current and current.extensions >= rules.max_times:
        raise Refused(f"the rules allow {rules.max_times} extension(s) at this stage")
    proc = policy.procedure_for(state.kind)
    calendar = policy.calendar(proc.calendar if proc else due.calendar)
    if rules.max_days is not None:
        days = calendar.working_days_between(due.original_due_date, new)
        if days > rules.max_days:
            limit = calendar.add_working_days(due.original_due_date, rules.max_days)
            raise Refused(
                f"{new} is {days} working days after the original date {due.original_due_date};"
                f" the rules allow {rules.max_days} (at most {limit})"
            )
    moved = replace(
        due,
        due_date=new,
        due_at=calendar.end_of_day(new),
        explain=(*due.explain, f"extended from {due.due_date} to {new} by {by}: {reason}"),
    )
    stages = tuple(
        replace(s, extensions=s.extensions + 1) if s is current else s for s in state.stages
    )
    deadlines = tuple(moved if d is due else d for d in state.deadlines)
    state = replace(state, deadlines=deadlines, stages=stages)
    detail = {"stage": state.stage, "from": str(due.due_date), "to": str(new), "reason": reason}
    actions: list[Action] = [Audit(event="deadline_extended", detail=detail | {"by": by})]
    if rules.tell_customer:  # both policies: tell the customer why, and when
        actions.append(
            SendMail(
                purpose="extension",
                template="extension",
                to=(state.customer_address,),
                to_customer=True,
                stage=state.stage,
                letters=("extension",),
                context={
                    "new_date": new.isoformat(),
                    "reason": reason,
                    "officer_text": text,
                    "ombudsman": rules.ombudsman_details,  # Ombudsman's Code 6.5, where set
                },
            )
        )
    return state, actions


def reclassify(
    policy: CouncilPolicy, state: CaseState, kind: str, by: str
) -> tuple[CaseState, list[Action]]:
    """Correct the kind: a contact found to be a complaint enters the procedure (clocks from
    its receipt); one that leaves a procedure before any stage stops its clocks."""
    audit = Audit(event="reclassified", detail={"from": state.kind, "to": kind, "by": by})
    before, after = policy.rules.kinds[state.kind], policy.rules.kinds[kind]
    if before.procedure == after.procedure:
        return replace(state, kind=kind), [audit]
    if state.stages:
        raise Refused(f"the case has been through stages of its procedure: it stays a {state.kind}")
    r = route(policy, kind=kind, service=state.service, anonymous=state.anonymous)
    if r.is_case and r.stage is not None:
        state = replace(state, kind=kind, is_case=True, service=r.service)
        why = f"reclassified as {kind} by {by}"
        state, more = open_stage(policy, state, r.stage, state.received_at, why, owner_role=r.route)
        return state, [audit, *more]
    if after.procedure is not None:
        raise Refused(f"a {kind} runs its own procedure: forward the message to its mailbox")
    deadlines = tuple(
        replace(d, status="cancelled") if d.status == "open" else d for d in state.deadlines
    )
    p = plan_correspondence(policy, kind=kind, channel=state.channel, received=state.received_at)
    deadlines += deadline_states(policy, p)  # now owed a reply by the channel's standard
    return replace(state, kind=kind, stage=None, deadlines=deadlines), [audit]


def hand_over(
    state: CaseState, person: Person, role: str | None, why: str
) -> tuple[CaseState, list[Action]]:
    """Give the case (and its current stage) to ``person`` and send them the notification."""
    stages = tuple(
        replace(s, owner_address=person.address, owner_role=role or s.owner_role)
        if s.number == state.stage
        else s
        for s in state.stages
    )
    audit = Audit(
        event="reassigned",
        detail={"from": state.assigned_to, "to": person.address, "role": role, "why": why},
    )
    state = replace(state, assigned_to=person.address, route=role or state.route, stages=stages)
    notice = SendMail(
        purpose="officer_notification",
        template="officer_notification",
        to=(person.address,),
        to_customer=False,
        stage=state.stage,
        context={"why": why},
    )
    return state, [audit, notice]
