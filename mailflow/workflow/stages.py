"""Opening a stage of a procedure: its owner, its clocks, the acknowledgement and the notice.

Shared by intake (a new complaint enters its first stage, or the stage a special route names)
and by escalation (a dissatisfied customer moves the case on), so both follow one rule.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from mailflow.policy.council import CouncilPolicy
from mailflow.policy.deadlines import DeadlinePlan, Due, plan
from mailflow.workflow.actions import Action, Audit, SendMail
from mailflow.workflow.state import CaseState, DeadlineState, StageState


def explain_due(policy: CouncilPolicy, d: Due) -> tuple[str, ...]:
    """How a due date was reached: the rule, then every day skipped and why."""
    unit = "working days" if d.unit == "working_days" else "calendar months"
    head = f"{d.days} {unit} on the {d.calendar} calendar from {d.start}"
    if d.source:
        head += f" ({d.source})"
    if d.unit != "working_days":
        return (head,)
    days = policy.calendar(d.calendar).explain(d.counted_from, d.days)
    return (head, *(str(e) for e in days if e.working_day is None))


def deadline_states(policy: CouncilPolicy, p: DeadlinePlan) -> tuple[DeadlineState, ...]:
    """The planned deadlines as case state (acknowledge first)."""
    out = []
    for d in (p.acknowledge, p.respond):
        if d is not None:
            out.append(
                DeadlineState(
                    stage=p.stage,
                    purpose=d.purpose,
                    due_date=d.due_date,
                    due_at=d.due_at,
                    calendar=d.calendar,
                    basis=d.start,
                    original_due_date=d.due_date,
                    explain=explain_due(policy, d),
                )
            )
    return tuple(out)


def cancel_open(state: CaseState, stage: int | None) -> CaseState:
    """Stop the clocks still running at a stage (the case has moved on)."""
    deadlines = tuple(
        replace(d, status="cancelled") if d.status == "open" and d.stage == stage else d
        for d in state.deadlines
    )
    return replace(state, deadlines=deadlines)


def open_stage(
    policy: CouncilPolicy,
    state: CaseState,
    number: int,
    received: datetime,
    why: str,
    owner_role: str | None = None,
) -> tuple[CaseState, list[Action]]:
    """Move a case into stage ``number``: new owner, new clocks, acknowledgement and notice.

    ``owner_role`` overrides the stage's owner when a special route sends the case to someone
    else on that stage's timescales (a complaint about a Head of Service: Stafford 9(e)).
    """
    proc = policy.procedure_for(state.kind)
    assert proc is not None, "only kinds with a procedure have stages"
    st = proc.stage(number)
    role = owner_role or st.owner
    assert role is not None, "external stages are signposted, not opened"
    owner = policy.person(role, state.service)
    address = owner.address if owner else None
    p = plan(policy, kind=state.kind, channel=state.channel, received=received, stage=number)
    state = cancel_open(state, state.stage)
    stage_state = StageState(
        number=number, owner_role=role, owner_address=address, opened_at=received
    )
    state = replace(
        state,
        stage=number,
        route=role,
        assigned_to=address,
        status="open",
        stages=(*state.stages, stage_state),
        deadlines=state.deadlines + deadline_states(policy, p),
    )
    letters = tuple(name for name in st.letters if name in ("acknowledgement",))
    actions: list[Action] = [
        Audit(
            event="stage_opened",
            detail={"stage": number, "owner": role, "why": why, "notes": list(p.notes)},
        ),
        SendMail(
            purpose="acknowledgement",
            template="acknowledgement",
            to=(state.customer_address,),
            to_customer=True,
            stage=number,
            letters=letters,
        ),
    ]
    if address:
        actions.append(
            SendMail(
                purpose="officer_notification",
                template="officer_notification",
                to=(address,),
                to_customer=False,
                stage=number,
                letters=letters,  # the officer sees the letter the customer was sent
            )
        )
    return state, actions
