"""A Chorley complaint's life in memory: Service Head, Chief Executive, then the Ombudsman."""

from __future__ import annotations

from datetime import date, timedelta

from mailflow.policy.council import CouncilPolicy
from mailflow.workflow.actions import SendMail
from mailflow.workflow.decide import decide
from mailflow.workflow.events import CustomerReplied
from tests.workflow.conftest import MONDAY, contact


def test_emailed_complaint_goes_to_the_service_head_with_one_day_acknowledgement(
    chorley: CouncilPolicy,
) -> None:
    """Procedure: Service Head deals; e-contact acknowledgement within 1 working day."""
    s = decide(chorley, None, contact(service="planning"), MONDAY).state
    assert (s.stage, s.assigned_to) == (1, "head.planning@chorley.example")
    assert [(d.purpose, d.due_date) for d in s.deadlines] == [
        ("acknowledge", date(2026, 11, 3)),
        ("respond", date(2026, 11, 16)),
    ]


def test_escalation_goes_to_the_chief_executive_then_the_ombudsman(chorley: CouncilPolicy) -> None:
    """Stage 2 is the Chief Executive; after it the Ombudsman is signposted with the leaflet."""
    s = decide(chorley, None, contact(service="planning"), MONDAY).state
    later = MONDAY + timedelta(days=14)
    d = decide(
        chorley,
        s,
        CustomerReplied(message_id="<r1@c>", received_at=later, escalation_request=True),
        later,
    )
    assert (d.state.stage, d.state.assigned_to) == (2, "chief.executive@chorley.example")
    d = decide(
        chorley,
        d.state,
        CustomerReplied(message_id="<r2@c>", received_at=later, escalation_request=True),
        later,
    )
    sent = [a for a in d.actions if isinstance(a, SendMail)]
    assert [m.purpose for m in sent] == ["ombudsman_signposting"]
    assert d.state.status == "closed"


def test_chasing_reply_is_recorded_as_avoidable_and_forwarded(chorley: CouncilPolicy) -> None:
    """Avoidable contact (chasing progress) is recorded and the officer is told."""
    s = decide(chorley, None, contact("service_request", service="waste"), MONDAY).state
    d = decide(
        chorley,
        s,
        CustomerReplied(message_id="<r@c>", received_at=MONDAY, avoidable="chasing"),
        MONDAY,
    )
    assert [a.detail for a in d.actions if getattr(a, "event", "") == "avoidable_contact"] == [
        {"reason": "chasing"}
    ]
    assert [m.to for m in d.actions if isinstance(m, SendMail)] == [("waste@chorley.example",)]


def test_junk_gets_nothing_at_all(chorley: CouncilPolicy) -> None:
    """Junk email requires no reply and nobody is notified."""
    d = decide(chorley, None, contact("junk", service=None), MONDAY)
    assert not [a for a in d.actions if isinstance(a, SendMail)] and not d.state.deadlines
