"""Clocks paused while waiting for the customer's information, and resumed (Stafford 8)."""

from __future__ import annotations

from datetime import date

from mailflow.policy.council import CouncilPolicy
from mailflow.workflow.decide import decide
from mailflow.workflow.events import CustomerReplied
from mailflow.workflow.pauses import await_customer
from mailflow.workflow.state import CaseState
from tests.schedule.sim import local
from tests.schedule.test_plan_notices import new_case, respond


def at_stage_2(policy: CouncilPolicy) -> CaseState:
    """A complaint escalated to stage 2 on Mon 2 Nov 2026 (due Mon 30 Nov at Stafford)."""
    state = new_case(policy, local(2026, 10, 26, 10))
    reply = CustomerReplied(
        message_id="<r@c>", received_at=local(2026, 11, 2, 10), escalation_request=True
    )
    return decide(policy, state, reply, local(2026, 11, 2, 10)).state


def test_stafford_stage_2_pauses_and_resumes_later_by_the_working_days_waited(
    stafford: CouncilPolicy,
) -> None:
    """Asked for information on Tue 10 Nov, answered Mon 16 Nov: four working days (11, 12,
    13, 16) added to the response date, which says so in its explanation."""
    state = at_stage_2(stafford)
    assert respond(state).due_date == date(2026, 11, 30)
    paused, actions = await_customer(stafford, state, local(2026, 11, 10, 15), "meter photo")
    assert paused.status == "awaiting_customer"
    assert [d.status for d in paused.deadlines if d.stage == 2] == ["open", "paused"]
    assert actions[0].detail == {"what": "meter photo", "clock": "paused"}  # type: ignore[union-attr]
    reply = CustomerReplied(message_id="<i@c>", received_at=local(2026, 11, 16, 11))
    resumed = decide(stafford, paused, reply, local(2026, 11, 16, 11)).state
    d = respond(resumed)
    assert (resumed.status, d.status, d.due_date) == ("open", "open", date(2026, 12, 4))
    assert d.original_due_date == date(2026, 11, 30)
    assert "4 working days added" in d.explain[-1]


def test_stage_1_and_chorley_keep_their_clocks_running_while_awaiting_the_customer(
    stafford: CouncilPolicy, chorley: CouncilPolicy
) -> None:
    """Only stages whose rules say so pause: Stafford stage 1 and Chorley's stages do not."""
    for policy, state in (
        (stafford, new_case(stafford, local(2026, 11, 2, 10))),
        (chorley, at_stage_2(chorley)),
    ):
        waiting, actions = await_customer(policy, state, local(2026, 11, 10, 15))
        assert waiting.status == "awaiting_customer"
        assert all(d.status != "paused" for d in waiting.deadlines)
        assert actions[0].detail["clock"] == "running"  # type: ignore[union-attr]


def test_a_same_day_answer_moves_nothing(stafford: CouncilPolicy) -> None:
    """Paused and resumed on one day: no working day was lost, the date stands."""
    state, _ = await_customer(stafford, at_stage_2(stafford), local(2026, 11, 10, 9))
    reply = CustomerReplied(message_id="<i@c>", received_at=local(2026, 11, 10, 16))
    d = respond(decide(stafford, state, reply, local(2026, 11, 10, 16)).state)
    assert d.due_date == date(2026, 11, 30) and "0 working days added" in d.explain[-1]
