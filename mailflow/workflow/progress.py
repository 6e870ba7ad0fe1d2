"""A case moving on: acknowledgements sent, customers replying, escalation to the next stage.

Acknowledgements meet their deadline when the outbox has actually sent them, not when they were
decided, so a mail stuck behind a broken SMTP server still shows as late. A clock that runs
from the acknowledgement (the Ombudsman's Code) is re-planned from the instant it went out.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from mailflow.policy.council import CouncilPolicy
from mailflow.policy.deadlines import plan
from mailflow.workflow.actions import Action, Audit, SendMail
from mailflow.workflow.events import CustomerReplied, MailSent
from mailflow.workflow.pauses import resume
from mailflow.workflow.stages import deadline_states, open_stage
from mailflow.workflow.state import CaseState, DeadlineState, StageState

ACKNOWLEDGING = ("acknowledgement", "foi_acknowledgement")
FINAL = ("comment_thanks", "compliment_thanks", "signpost")
# Mail carrying an officer's own words or decision: it acknowledges the contact too, so an
# officer who answers in full before the automatic acknowledgement went out is not reminded to
# acknowledge. To a contact outside any procedure, the officer's reply is the reply its
# correspondence standard asks for ("reply to you within five working days": Stafford 6).
ANSWERING = ("officer_reply", "stage_reply", "extension", "information_request")


def _meet(
    d: DeadlineState, stage: int | None, purposes: tuple[str, ...], at: datetime
) -> DeadlineState:
    if d.status == "open" and d.stage == stage and d.purpose in purposes:
        return replace(d, status="met", met_at=at)
    return d


def mail_sent(
    policy: CouncilPolicy, state: CaseState, ev: MailSent
) -> tuple[CaseState, list[Action]]:
    """Record that a customer mail went out and what deadline it met."""
    if ev.purpose in FINAL:
        deadlines = tuple(
            _meet(d, ev.stage, ("acknowledge", "respond"), ev.sent_at) for d in state.deadlines
        )
        state = replace(state, deadlines=deadlines, status="closed", closed_at=ev.sent_at)
        return state, [Audit(event="closed", detail={"by": ev.purpose})]
    if ev.purpose not in ACKNOWLEDGING + ANSWERING:
        return state, []
    purposes: tuple[str, ...] = ("acknowledge",)
    if ev.purpose == "officer_reply" and ev.stage is None and not state.is_case:
        purposes = ("acknowledge", "respond")
    before = state.deadlines
    deadlines = tuple(_meet(d, ev.stage, purposes, ev.sent_at) for d in before)
    stages = tuple(
        replace(s, acknowledged_at=ev.sent_at)
        if s.number == ev.stage and s.acknowledged_at is None
        else s
        for s in state.stages
    )
    state = replace(state, deadlines=deadlines, stages=stages)
    if ev.purpose in ACKNOWLEDGING:
        return _replan_from_acknowledgement(policy, state, ev), []
    met = [d for d in deadlines if d not in before]
    if not met:  # already acknowledged: an extension must not re-date its own new date
        return state, []
    if any(d.purpose == "acknowledge" for d in met):
        state = _replan_from_acknowledgement(policy, state, ev)
    detail = {"by": ev.purpose, "met": [f"{d.purpose} (stage {d.stage})" for d in met]}
    return state, [Audit(event="deadline_met", detail=detail)]


def _replan_from_acknowledgement(
    policy: CouncilPolicy, state: CaseState, ev: MailSent
) -> CaseState:
    """Re-date a respond clock that the rules start at the acknowledgement (Ombudsman Code)."""
    current = [
        d
        for d in state.deadlines
        if d.stage == ev.stage
        and d.purpose == "respond"
        and d.status == "open"
        and d.basis == "acknowledgement"
    ]
    if not current:
        return state
    p = plan(
        policy,
        kind=state.kind,
        channel=state.channel,
        received=state.received_at,
        stage=ev.stage,
        acknowledged=ev.sent_at,
    )
    fresh = [d for d in deadline_states(policy, p) if d.purpose == "respond"]
    deadlines = tuple(fresh[0] if d is current[0] else d for d in state.deadlines)
    return replace(state, deadlines=deadlines)


def customer_replied(
    policy: CouncilPolicy, state: CaseState, ev: CustomerReplied
) -> tuple[CaseState, list[Action]]:
    """The customer wrote again: escalate if they ask to, and always tell the officer."""
    actions: list[Action] = []
    if ev.avoidable:
        actions.append(Audit(event="avoidable_contact", detail={"reason": ev.avoidable}))
    if state.status == "awaiting_customer":
        state, resumed = resume(policy, state, ev.received_at)  # paused clocks run again
        actions.extend(resumed)
    if state.status == "closed" and not ev.escalation_request:
        state = replace(state, status="open", closed_at=None)
        actions.append(Audit(event="reopened", detail={"by": "customer reply"}))
    if ev.escalation_request and state.is_case and state.stage is not None:
        state, more = escalate(policy, state, ev.received_at, "customer asked to escalate")
        return state, actions + more
    if state.assigned_to:
        actions.append(
            SendMail(
                purpose="customer_replied",
                template="customer_replied",
                to=(state.assigned_to,),
                to_customer=False,
                stage=state.stage,
            )
        )
    return state, actions


def escalate(
    policy: CouncilPolicy, state: CaseState, at: datetime, why: str
) -> tuple[CaseState, list[Action]]:
    """Open the next council stage, or signpost the Ombudsman after the last one."""
    proc = policy.procedure_for(state.kind)
    assert proc is not None and state.stage is not None
    following = [s for s in proc.stages if s.number > state.stage]
    if following and not following[0].external:
        return open_stage(policy, state, following[0].number, at, why)
    return ombudsman(state, at, why)


def ombudsman(state: CaseState, at: datetime, why: str) -> tuple[CaseState, list[Action]]:
    """The council's procedure is exhausted: tell the customer how to go to the Ombudsman."""
    deadlines = tuple(
        replace(d, status="cancelled") if d.status == "open" else d for d in state.deadlines
    )
    state = replace(state, deadlines=deadlines, status="closed", closed_at=at)
    return state, [
        Audit(event="ombudsman_signposted", detail={"why": why}),
        SendMail(
            purpose="ombudsman_signposting",
            template="ombudsman_signposting",
            to=(state.customer_address,),
            to_customer=True,
            stage=state.stage,
            letters=("ombudsman_signposting",),
        ),
    ]


def stage_of(state: CaseState, number: int | None) -> StageState | None:
    """The record of one stage of the case, if it was opened."""
    return next((s for s in state.stages if s.number == number), None)
