"""An officer who answers before the automatic acknowledgement went out has acknowledged too.

Stafford 6 Promises: "Acknowledge your complaint within five working days"; 6 Dear Customer:
"Reply to you within five working days ... and if we cannot do that acknowledge your contact".
The acknowledgement here could not be sent (say the customer's mail server refused it for a
day); the officer's own reply reaches the customer first, so no "acknowledgement overdue"
reminder or breach warning may follow.
"""

from __future__ import annotations

from datetime import timedelta

from mailflow.policy.council import CouncilPolicy, load_policy
from mailflow.workflow.decide import decide
from mailflow.workflow.events import MailSent, OfficerReplied
from mailflow.workflow.reminders import plan_notices
from mailflow.workflow.state import CaseState, DeadlineState
from tests.workflow.conftest import MONDAY, contact

TUESDAY = MONDAY + timedelta(days=1)


def deadline(state: CaseState, purpose: str) -> DeadlineState:
    return next(d for d in state.deadlines if d.purpose == purpose)


def officer_says(
    policy: CouncilPolicy, state: CaseState, *commands: str, text: str
) -> tuple[CaseState, str]:
    """The officer's reply decided and its customer mail sent: the new state and its purpose."""
    event = OfficerReplied(
        sender=state.assigned_to or "",
        message_id="<o@stafford.example>",
        received_at=TUESDAY,
        commands=commands,
        text=text,
    )
    d = decide(policy, state, event, TUESDAY)
    [purpose] = [a.purpose for a in d.actions if getattr(a, "to_customer", False)]
    sent = MailSent(purpose=purpose, stage=state.stage, sent_at=TUESDAY + timedelta(minutes=1))
    return decide(policy, d.state, sent, sent.sent_at).state, purpose


def test_a_stage_response_on_day_one_meets_the_unsent_acknowledgement(
    stafford: CouncilPolicy,
) -> None:
    """#outcome on day 1, before the acknowledgement went: the acknowledgement deadline is met
    and no acknowledgement reminder or breach warning is planned."""
    state = decide(stafford, None, contact(), MONDAY).state
    ack = deadline(state, "acknowledge")
    assert [n.kind for n in plan_notices(stafford, state, ack, since=MONDAY)] == [
        "reminder",
        "breach_warning",
        "breach_warning",
    ]
    state, purpose = officer_says(
        stafford, state, "#outcome upheld", text="We are sorry: the crew missed your road."
    )
    assert purpose == "stage_reply"
    ack = deadline(state, "acknowledge")
    assert ack.status == "met" and ack.met_at is not None and ack.met_at <= TUESDAY
    assert plan_notices(stafford, state, ack, since=MONDAY) == ()


def test_an_officers_words_to_a_complainant_acknowledge_the_complaint(
    stafford: CouncilPolicy,
) -> None:
    """A plain reply (no #outcome) sent before the acknowledgement: acknowledged, the response
    clock still running."""
    state = decide(stafford, None, contact(), MONDAY).state
    state, purpose = officer_says(stafford, state, text="I am looking into this today.")
    assert purpose == "officer_reply"
    assert deadline(state, "acknowledge").status == "met"
    assert deadline(state, "respond").status == "open"
    assert state.stages[0].acknowledged_at == TUESDAY + timedelta(minutes=1)
    assert plan_notices(stafford, state, deadline(state, "acknowledge"), since=MONDAY) == ()


def test_an_officers_reply_to_a_service_request_is_the_reply_the_standard_asks_for(
    stafford: CouncilPolicy,
) -> None:
    """Stafford 6 Dear Customer: the officer's reply within five working days meets the reply
    deadline, so no "reply overdue" reminder goes to the officer or the Head of Service."""
    state = decide(stafford, None, contact("service_request"), MONDAY).state
    reply_due = deadline(state, "respond")
    assert plan_notices(stafford, state, reply_due, since=MONDAY)
    state, _ = officer_says(stafford, state, text="Your bin will be emptied on Thursday.")
    assert {d.purpose: d.status for d in state.deadlines} == {
        "acknowledge": "met",
        "respond": "met",
    }
    assert plan_notices(stafford, state, deadline(state, "respond"), since=MONDAY) == ()


def test_an_extension_after_the_acknowledgement_keeps_its_new_date(
    stafford: CouncilPolicy,
) -> None:
    """The holding letter of #extend, sent after the acknowledgement, meets nothing and moves
    nothing: the new date stands."""
    state = decide(stafford, None, contact(), MONDAY).state
    ack = MailSent(purpose="acknowledgement", stage=1, sent_at=MONDAY + timedelta(minutes=1))
    state = decide(stafford, state, ack, ack.sent_at).state
    state, purpose = officer_says(
        stafford, state, "#extend 2026-11-27 The contractor's report is late.", text=""
    )
    assert purpose == "extension"
    assert deadline(state, "respond").due_date.isoformat() == "2026-11-27"
    assert deadline(state, "respond").status == "open"


def test_under_the_code_an_extension_is_not_redated_from_the_holding_letter() -> None:
    """The Ombudsman's Code runs the response clock from the acknowledgement; the holding
    letter is no acknowledgement, so the extended date is not counted again from it."""
    code = load_policy("lgsco-code")
    state = decide(code, None, contact(), MONDAY).state
    ack = MailSent(purpose="acknowledgement", stage=1, sent_at=MONDAY + timedelta(minutes=1))
    state = decide(code, state, ack, ack.sent_at).state
    assert deadline(state, "respond").basis == "acknowledgement"
    state, _ = officer_says(code, state, "#extend 2026-11-27 The contractor is away.", text="")
    assert deadline(state, "respond").due_date.isoformat() == "2026-11-27"
