"""``#await QUESTION``: the officer asks the customer for information and the clock waits.

Stafford 8 Stages 2 and 3: "This timescale may vary if additional information is required from
the complainant." The question goes to the customer in the officer's words; the stage's
response clock stops (only where the rules set ``pause_awaiting_customer``); the customer's
next reply starts it again, the due date later by the working days waited.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from mailflow.policy.council import CouncilPolicy
from mailflow.workflow.actions import SendMail
from mailflow.workflow.decide import decide
from mailflow.workflow.events import CustomerReplied
from mailflow.workflow.pauses import await_customer
from mailflow.workflow.reminders import plan_notices
from mailflow.workflow.state import CaseState, DeadlineState
from tests.officers.conftest import CUSTOMER, MONDAY, new_case, reply
from tests.officers.test_decisions import refused
from tests.officers.test_outgoing import composed

LONDON = ZoneInfo("Europe/London")
QUESTION = "Please send us a photo of the meter reading."


def local(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=LONDON)


def at_stage_2(policy: CouncilPolicy) -> CaseState:
    """Escalated to stage 2 on Mon 2 Nov 2026: at Stafford a response due Mon 30 Nov."""
    return reply(policy, new_case(policy), "#escalate", at=MONDAY).state


def respond_due(state: CaseState) -> DeadlineState:
    return next(d for d in state.deadlines if d.stage == state.stage and d.purpose == "respond")


def test_await_asks_the_customer_and_stops_the_stage_2_clock(stafford: CouncilPolicy) -> None:
    """Tue 10 Nov: the question goes to the customer in the officer's words, as a person's
    mail (no Auto-Submitted), and no reminder is planned while the clock stands still."""
    state = at_stage_2(stafford)
    assert respond_due(state).due_date == date(2026, 11, 30)
    d = reply(stafford, state, f"#await {QUESTION}", at=local(10, 15))
    [ask] = [a for a in d.actions if isinstance(a, SendMail)]
    assert (ask.purpose, ask.to, ask.to_customer) == ("information_request", (CUSTOMER,), True)
    assert d.state.status == "awaiting_customer"
    assert respond_due(d.state).status == "paused"
    assert plan_notices(stafford, d.state, respond_due(d.state), since=local(10, 15)) == ()
    message = composed(stafford, d.state, ask)
    text = " ".join(str(message.get_body(("plain",)).get_content()).split())  # type: ignore[union-attr]
    assert QUESTION in text and "starts again when we hear from you" in text
    assert message["To"].addresses[0].addr_spec == CUSTOMER
    assert message["Reply-To"] == "complaints+sbc-2026-00042@stafford.example"


def test_the_customers_answer_restarts_the_clock_later_by_the_days_waited(
    stafford: CouncilPolicy,
) -> None:
    """Asked Tue 10 Nov, answered Mon 16 Nov: 4 working days waited, so due Fri 4 Dec, and
    the reminders are planned again against the new date."""
    waiting = reply(stafford, at_stage_2(stafford), f"#await {QUESTION}", at=local(10, 15)).state
    answer = CustomerReplied(message_id="<answer@customer.example>", received_at=local(16, 11))
    resumed = decide(stafford, waiting, answer, local(16, 11)).state
    due = respond_due(resumed)
    assert (resumed.status, due.status, due.due_date) == ("open", "open", date(2026, 12, 4))
    assert "4 working days added" in due.explain[-1]
    notices = plan_notices(stafford, resumed, due, since=local(16, 11))
    assert notices and max(n.due_at for n in notices).date() >= date(2026, 12, 4)


def test_the_text_under_await_goes_with_the_question(stafford: CouncilPolicy) -> None:
    """Words below the command join the question in the same mail; nothing is sent twice."""
    d = reply(stafford, at_stage_2(stafford), f"#await {QUESTION}", text="Any date on it will do.")
    [ask] = [a for a in d.actions if isinstance(a, SendMail)]
    assert ask.context["officer_text"] == f"{QUESTION}\n\nAny date on it will do."


def test_await_is_refused_where_the_rules_keep_the_clock_running(
    stafford: CouncilPolicy, chorley: CouncilPolicy
) -> None:
    """Stafford stage 1 and Chorley's stages set no pause: the officer is told to ask by a
    plain reply, and nothing reaches the customer."""
    for policy, state in ((stafford, new_case(stafford)), (chorley, at_stage_2(chorley))):
        reason = refused(reply(policy, state, f"#await {QUESTION}"), state)
        assert "the rules do not pause the response clock" in reason


def test_await_twice_is_refused(stafford: CouncilPolicy) -> None:
    waiting = reply(stafford, at_stage_2(stafford), f"#await {QUESTION}").state
    assert "already waiting" in refused(reply(stafford, waiting, "#await Anything?"), waiting)


def test_the_customer_is_told_the_new_response_date_when_their_answer_arrives(
    stafford: CouncilPolicy,
) -> None:
    """Answered Mon 16 Nov: besides the officer's notice, the customer gets one automatic mail
    thanking them and giving the new date, 4 December 2026 (a Friday)."""
    waiting = reply(stafford, at_stage_2(stafford), f"#await {QUESTION}", at=local(10, 15)).state
    answer = CustomerReplied(message_id="<answer@customer.example>", received_at=local(16, 11))
    d = decide(stafford, waiting, answer, local(16, 11))
    to_customer = [a for a in d.actions if isinstance(a, SendMail) and a.to_customer]
    [told] = to_customer
    assert (told.purpose, told.to) == ("information_received", (CUSTOMER,))
    message = composed(stafford, d.state, told)
    text = " ".join(str(message.get_body(("plain",)).get_content()).split())  # type: ignore[union-attr]
    assert "full response by 4 December 2026" in text
    assert message["Auto-Submitted"] == "auto-replied"


def test_no_date_mail_when_the_clock_kept_running(chorley: CouncilPolicy) -> None:
    """Where no stage pauses its clock (Chorley), a reply while awaiting the customer moves no
    date, so no mail tells the customer of one."""
    state = reply(chorley, new_case(chorley), "#note asked by phone", at=MONDAY).state
    waiting, _ = await_customer(chorley, state, local(3, 10), "photo")
    answer = CustomerReplied(message_id="<answer@customer.example>", received_at=local(5, 11))
    d = decide(chorley, waiting, answer, local(5, 11))
    assert d.state.status == "open"
    assert not [a for a in d.actions if isinstance(a, SendMail) and a.to_customer]
