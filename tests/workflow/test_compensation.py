"""Stafford 9(f) Remedies: a complaint seeking financial compensation "should be referred to the
Head of Service concerned", on the first stage's timescales."""

from __future__ import annotations

from mailflow.classify.engine import classify
from mailflow.policy.council import CouncilPolicy
from mailflow.workflow.actions import SendMail
from mailflow.workflow.decide import decide
from tests.workflow.conftest import contact

CLAIM = (
    "I wish to make a formal complaint. Your refuse lorry reversed into my car on Monday and"
    " dented the door, and the crew drove off. I am claiming compensation for the cost of the"
    " repairs."
)


def test_a_claim_for_compensation_is_classified_as_such(stafford: CouncilPolicy) -> None:
    result = classify(
        stafford.classifier,
        subject="Damage to my car",
        body=CLAIM,
        sender="jane.smith@customer.example",
        automatic=None,
    )
    assert result.kind == "complaint" and "compensation_claim" in result.topics


def test_a_mention_of_the_word_alone_is_no_claim(stafford: CouncilPolicy) -> None:
    result = classify(
        stafford.classifier,
        subject="Missed bin",
        body="My bin was missed again. I am not after compensation, just a collection.",
        sender="jane.smith@customer.example",
        automatic=None,
    )
    assert "compensation_claim" not in result.topics


def test_stafford_sends_a_compensation_claim_to_the_head_of_service_on_stage_1_timescales(
    stafford: CouncilPolicy,
) -> None:
    """The waste complaint goes to the Head of Operations (not the Waste Services Officer), is
    acknowledged within stage 1's five working days, and the reason cites 9(f)."""
    plain = decide(stafford, None, contact(), contact().received_at).state
    d = decide(stafford, None, contact(topics=("compensation_claim",)), contact().received_at)
    assert (d.state.route, d.state.assigned_to) == (
        "head_of_service",
        "head.operations@stafford.example",
    )
    assert d.state.stage == 1
    assert [x.due_date for x in d.state.deadlines] == [x.due_date for x in plain.deadlines]
    assert any("9(f) Remedies" in r for r in d.state.reasons)
    notices = [a for a in d.actions if isinstance(a, SendMail) and not a.to_customer]
    assert [(n.template, n.to) for n in notices] == [
        ("officer_notification", ("head.operations@stafford.example",))
    ]


def test_chorley_has_no_such_route_and_routes_it_as_any_complaint(chorley: CouncilPolicy) -> None:
    plain = decide(chorley, None, contact(), contact().received_at).state
    d = decide(chorley, None, contact(topics=("compensation_claim",)), contact().received_at)
    assert (d.state.route, d.state.assigned_to) == (plain.route, plain.assigned_to)
