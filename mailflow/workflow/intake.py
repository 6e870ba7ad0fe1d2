"""A new contact: route it, set its clocks, and say who is told what.

Applies, in order: the routing of the policy (special cases, anonymous complaints, the entry
stage), the reply the kind is owed (acknowledgement, thanks, signposting or none), the people
to tell (handling officer, staff thanked, managers of flagged senders, triage), and the send
caps that stop a loop or flood from making mailflow send a storm.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from mailflow.policy.council import CouncilPolicy
from mailflow.policy.deadlines import plan, plan_correspondence, with_response
from mailflow.policy.routing import Routing, route
from mailflow.workflow.actions import Action, Audit, SendMail
from mailflow.workflow.events import ContactReceived
from mailflow.workflow.stages import deadline_states, open_stage
from mailflow.workflow.state import CaseState

CUSTOMER_TEMPLATES = {
    "acknowledge": "acknowledgement",
    "thanks": "comment_thanks",
    "thanks_passed_on": "compliment_thanks",
    "signpost": "signpost",
}
# Replies that are themselves the full response: sending them closes the contact.
FINAL_REPLIES = ("thanks", "thanks_passed_on", "signpost")


def new_state(policy: CouncilPolicy, ev: ContactReceived, r: Routing) -> CaseState:
    """The contact as first recorded, before any stage is opened."""
    c = ev.classified
    return CaseState(
        reference=ev.reference,
        council=policy.key,
        kind=c.kind,
        channel=ev.channel,
        service=r.service,
        route=r.route,
        assigned_to=None,
        is_case=r.is_case,
        stage=None,
        status="open",
        customer_address=ev.sender,
        customer_name=ev.sender_name,
        subject=ev.subject,
        received_at=ev.received_at,
        signpost=c.signpost,
        needs=c.needs,
        anonymous=c.anonymous,
        avoidable=c.avoidable,
        confidence=c.confidence,
        reasons=c.reasons + r.reasons,
    )


def receive(
    policy: CouncilPolicy, ev: ContactReceived, now: datetime
) -> tuple[CaseState, list[Action]]:
    """Decide everything that follows from a new contact."""
    c = ev.classified
    r = route(policy, kind=c.kind, service=c.service, topics=c.topics, anonymous=c.anonymous)
    state = new_state(policy, ev, r)
    audit = Audit(
        event="contact_recorded",
        detail={
            "kind": c.kind,
            "route": r.route,
            "confidence": c.confidence,
            "reasons": list(state.reasons),
        },
    )
    if r.is_case and r.stage is not None:
        state, actions = open_stage(
            policy, state, r.stage, ev.received_at, r.reasons[0], owner_role=r.route
        )
    else:
        state, actions = _outside_procedure(policy, state, r, ev)
    actions = [audit, *actions, *_notices(policy, state, r, ev)]
    state, actions = _apply_caps(policy, state, ev, actions)
    return state, actions


def _outside_procedure(
    policy: CouncilPolicy, state: CaseState, r: Routing, ev: ContactReceived
) -> tuple[CaseState, list[Action]]:
    """Contacts handled by a correspondence standard, a non-complaint procedure, or by nobody."""
    spec = policy.rules.kinds[state.kind]
    owner = policy.person(r.route, state.service) if r.route else None
    state = replace(state, assigned_to=owner.address if owner else None)
    if spec.handling == "none" or state.anonymous:
        return state, []
    if spec.procedure is not None and not (state.kind == "complaint" and not r.is_case):
        # A procedure other than the complaints one (FOI) runs from its first stage; a complaint
        # a special route took outside the procedure is owed a reply by the channel standard.
        p = plan(policy, kind=state.kind, channel=state.channel, received=ev.received_at)
        state = replace(state, stage=p.stage, deadlines=deadline_states(policy, p))
        template = f"{spec.procedure}_acknowledgement"
        letters: tuple[str, ...] = (template,)
    else:
        p = plan_correspondence(
            policy, kind=state.kind, channel=state.channel, received=ev.received_at
        )
        if r.respond is not None:  # a request route's own clock (a subject access request)
            p = with_response(policy, p, r.respond, ev.received_at)
            state = state.with_flag(r.flag) if r.flag else state
        state = replace(state, deadlines=deadline_states(policy, p))
        template = CUSTOMER_TEMPLATES[spec.reply]
        letters = ("compliment_thanks",) if spec.reply == "thanks_passed_on" else ()
    actions: list[Action] = [
        SendMail(
            purpose=template,
            template=template,
            to=(state.customer_address,),
            to_customer=True,
            stage=state.stage,
            letters=letters,
        )
    ]
    if owner is not None:
        actions.append(
            SendMail(
                purpose="officer_notification",
                template="officer_notification",
                to=(owner.address,),
                to_customer=False,
                stage=state.stage,
                letters=letters,  # the letter that went to the customer (issue 4 item 4)
            )
        )
    return state, actions


def _notices(
    policy: CouncilPolicy, state: CaseState, r: Routing, ev: ContactReceived
) -> list[Action]:
    """Internal mails beyond the handling officer: thanks passed on, copies, flags, triage."""
    out: list[Action] = []
    spec = policy.rules.kinds[state.kind]
    for role in r.notify:
        person = policy.person(role, state.service)
        if person is not None and person.address != state.assigned_to:
            template = "compliment_passed_on" if state.kind == "compliment" else "copy_for_role"
            out.append(
                SendMail(
                    purpose=template,
                    template=template,
                    to=(person.address,),
                    to_customer=False,
                    context={"role": role},
                )
            )
    if spec.handling == "none" and r.route and r.flag:
        out.extend(_flag(policy, state, r.flag, "abusive or unacceptable contact"))
    ua = policy.rules.unacceptable_actions
    if ev.history.recent_contacts + 1 == ua.contacts:
        reason = f"{ua.contacts} contacts within {ua.window_days} days"
        out.extend(_flag(policy, state, "persistent_sender", reason))
    if ev.classified.triage and spec.handling != "none":
        out.append(
            _to_customer_services(
                policy, "triage_request", {"confidence": ev.classified.confidence}
            )
        )
    other_needs = [n for n in state.needs if n != "large_print"]
    if other_needs:
        out.append(_to_customer_services(policy, "accessibility_task", {"needs": other_needs}))
    return out


def _flag(policy: CouncilPolicy, state: CaseState, flag: str, reason: str) -> list[Action]:
    """Tell the unacceptable-actions manager; never escalate automatically (Stafford 10)."""
    person = policy.person(policy.rules.unacceptable_actions.flag_to, state.service)
    out: list[Action] = [Audit(event="flagged", detail={"flag": flag, "reason": reason})]
    if person is not None:
        out.append(
            SendMail(
                purpose="flag",
                template="flag_notice",
                to=(person.address,),
                to_customer=False,
                context={"flag": flag, "reason": reason},
            )
        )
    return out


def _to_customer_services(
    policy: CouncilPolicy, template: str, context: dict[str, object]
) -> SendMail:
    person = policy.person("service_officer", "customer_services")
    to = (person.address,) if person else ()
    return SendMail(
        purpose=template, template=template, to=to, to_customer=False, context=dict(context)
    )


def _apply_caps(
    policy: CouncilPolicy, state: CaseState, ev: ContactReceived, actions: list[Action]
) -> tuple[CaseState, list[Action]]:
    """Drop customer mail to an undeliverable or over-capped address, and record why."""
    cap = policy.rules.caps.acknowledgements_per_address_per_day
    if ev.history.undeliverable:
        why, flag = "address marked undeliverable", "undeliverable"
    elif ev.history.acknowledgements_today >= cap:
        why, flag = f"{cap} automatic replies already sent to this address today", "reply_capped"
    else:
        return state, actions
    kept = [a for a in actions if not (isinstance(a, SendMail) and a.to_customer)]
    if len(kept) == len(actions):
        return state, actions
    kept.append(Audit(event="customer_mail_suppressed", detail={"reason": why}))
    return state.with_flag(flag), kept
