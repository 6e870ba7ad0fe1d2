"""A Stafford complaint's life in memory: intake, acknowledgement, escalation to the Ombudsman."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from mailflow.policy.council import CouncilPolicy
from mailflow.workflow.actions import Audit, SendMail
from mailflow.workflow.decide import decide
from mailflow.workflow.events import CustomerReplied, MailSent, SenderHistory
from mailflow.workflow.state import CaseState
from tests.workflow.conftest import MONDAY, contact


def mails(actions: tuple[object, ...]) -> list[SendMail]:
    return [a for a in actions if isinstance(a, SendMail)]


def test_new_complaint_opens_stage1_and_acknowledges_the_customer(stafford: CouncilPolicy) -> None:
    """6 Promises / 8 Stage 1: the service officer deals; the customer is acknowledged."""
    d = decide(stafford, None, contact(), MONDAY)
    s = d.state
    assert (s.is_case, s.stage, s.route) == (True, 1, "service_officer")
    assert s.assigned_to == "waste@stafford.example"
    sent = mails(d.actions)
    assert [(m.purpose, m.to) for m in sent] == [
        ("acknowledgement", ("jane.smith@customer.example",)),
        ("officer_notification", ("waste@stafford.example",)),
    ]
    assert sent[0].letters == ("acknowledgement",) and sent[0].to_customer
    assert [(x.purpose, x.due_date) for x in s.deadlines] == [
        ("acknowledge", date(2026, 11, 9)),
        ("respond", date(2026, 11, 16)),
    ]


def test_acknowledgement_sent_meets_the_acknowledge_deadline(stafford: CouncilPolicy) -> None:
    """The acknowledge clock stops when the acknowledgement has really gone out."""
    s = decide(stafford, None, contact(), MONDAY).state
    sent_at = MONDAY + timedelta(seconds=3)
    s = decide(
        stafford, s, MailSent(purpose="acknowledgement", stage=1, sent_at=sent_at), MONDAY
    ).state
    ack, resp = s.deadlines
    assert (ack.status, ack.met_at, resp.status) == ("met", sent_at, "open")
    assert s.stages[0].acknowledged_at == sent_at


def escalate(policy: CouncilPolicy, s: CaseState, at: datetime) -> tuple[CaseState, list[SendMail]]:
    d = decide(
        policy, s, CustomerReplied(message_id="<r@c>", received_at=at, escalation_request=True), at
    )
    return d.state, mails(d.actions)


def test_not_satisfied_reply_escalates_stage1_to_head_of_service_then_chief_executive(
    stafford: CouncilPolicy,
) -> None:
    """8 Stages 2 and 3: each escalation request opens the next stage with new clocks."""
    s = decide(stafford, None, contact(), MONDAY).state
    at2 = datetime(2026, 11, 20, 9, 0, tzinfo=MONDAY.tzinfo)
    s, sent = escalate(stafford, s, at2)
    assert (s.stage, s.route, s.assigned_to) == (
        2,
        "head_of_service",
        "head.operations@stafford.example",
    )
    assert [m.purpose for m in sent] == ["acknowledgement", "officer_notification"]
    assert [d.status for d in s.deadlines if d.stage == 1] == ["cancelled", "cancelled"]
    stage2 = [(d.purpose, d.due_date) for d in s.deadlines if d.stage == 2]
    assert stage2 == [("acknowledge", date(2026, 11, 27)), ("respond", date(2026, 12, 18))]
    at3 = datetime(2026, 12, 21, 9, 30, tzinfo=MONDAY.tzinfo)
    s, sent = escalate(stafford, s, at3)
    assert (s.stage, s.route, s.assigned_to) == (
        3,
        "chief_executive",
        "chief.executive@stafford.example",
    )
    stage3 = [(d.purpose, d.due_date) for d in s.deadlines if d.stage == 3]
    assert stage3 == [("acknowledge", date(2026, 12, 30)), ("respond", date(2027, 1, 14))]


def test_escalation_after_stage3_signposts_the_ombudsman_and_closes(
    stafford: CouncilPolicy,
) -> None:
    """8 Stage 4: after the Chief Executive, the customer is told of the Ombudsman."""
    s = decide(stafford, None, contact(topics=("about_head_of_service",)), MONDAY).state
    assert s.stage == 3
    s, sent = escalate(stafford, s, MONDAY + timedelta(days=30))
    assert [(m.purpose, m.letters) for m in sent] == [
        ("ombudsman_signposting", ("ombudsman_signposting",))
    ]
    assert s.status == "closed" and not s.open_deadlines()


def test_complaint_about_the_chief_executive_is_assigned_to_the_monitoring_officer(
    stafford: CouncilPolicy,
) -> None:
    """9(e): the Monitoring Officer deals, on stage 3 timescales (15 working days)."""
    s = decide(stafford, None, contact(topics=("about_chief_executive",)), MONDAY).state
    assert (s.route, s.assigned_to, s.stage) == (
        "monitoring_officer",
        "monitoring.officer@stafford.example",
        3,
    )
    assert s.deadlines[-1].due_date == date(2026, 11, 23)


def test_elected_member_complaint_goes_to_chief_executive_outside_the_procedure(
    stafford: CouncilPolicy,
) -> None:
    """9(e): referred to the Chief Executive at once; the customer still gets a reply in 5 days."""
    d = decide(stafford, None, contact(topics=("about_elected_member",)), MONDAY)
    assert (d.state.is_case, d.state.assigned_to) == (False, "chief.executive@stafford.example")
    assert [m.to for m in mails(d.actions)][:2] == [
        ("jane.smith@customer.example",),
        ("chief.executive@stafford.example",),
    ]


def test_financial_impropriety_copies_the_deputy_chief_executive(stafford: CouncilPolicy) -> None:
    """9(e): Internal Audit handles it and the Deputy Chief Executive is told."""
    d = decide(stafford, None, contact(topics=("financial_impropriety",)), MONDAY)
    to = [m.to[0] for m in mails(d.actions)]
    assert (
        "internal.audit@stafford.example" in to and "deputy.chief.executive@stafford.example" in to
    )


def test_anonymous_complaint_is_passed_to_the_head_of_service_without_a_reply(
    stafford: CouncilPolicy,
) -> None:
    """7(c): anonymous matters go to the Head of Service, outside the procedure."""
    d = decide(stafford, None, contact(anonymous=True), MONDAY)
    assert not [m for m in mails(d.actions) if m.to_customer]
    assert d.state.assigned_to == "head.operations@stafford.example" and not d.state.deadlines


def test_compliment_is_thanked_and_passed_to_service_officer_and_head_of_service(
    stafford: CouncilPolicy,
) -> None:
    """7(b): acknowledgement to the customer, thanks passed to the staff concerned."""
    d = decide(stafford, None, contact("compliment", service="leisure"), MONDAY)
    sent = mails(d.actions)
    assert sent[0].purpose == "compliment_thanks" and sent[0].to_customer
    assert {m.to[0] for m in sent[1:]} == {
        "leisure@stafford.example",
        "head.leisure@stafford.example",
    }
    s = decide(
        stafford, d.state, MailSent(purpose="compliment_thanks", stage=None, sent_at=MONDAY), MONDAY
    ).state
    assert s.status == "closed" and {x.status for x in s.deadlines} == {"met"}


def test_planning_appeal_gets_a_signposting_reply_not_the_procedure(
    stafford: CouncilPolicy,
) -> None:
    """7(c): a planning appeal is signposted to the Planning Inspectorate."""
    d = decide(
        stafford,
        None,
        contact("out_of_procedure", service="planning", signpost="planning_appeal"),
        MONDAY,
    )
    assert d.state.is_case is False and d.state.signpost == "planning_appeal"
    assert mails(d.actions)[0].template == "signpost"


def test_abusive_mail_gets_no_reply_and_is_flagged(stafford: CouncilPolicy) -> None:
    """10: flagged to the Customer Services Manager, never auto-escalated or answered."""
    d = decide(stafford, None, contact("abusive", service=None), MONDAY)
    sent = mails(d.actions)
    assert not [m for m in sent if m.to_customer]
    assert [(m.template, m.to) for m in sent] == [
        ("flag_notice", ("customer.services.manager@stafford.example",))
    ]


def test_persistent_sender_is_flagged_once_at_the_threshold(stafford: CouncilPolicy) -> None:
    """10: the tenth contact in 30 days flags the sender to the manager; the eleventh does not."""
    at = decide(stafford, None, contact(history=SenderHistory(recent_contacts=9)), MONDAY)
    after = decide(stafford, None, contact(history=SenderHistory(recent_contacts=10)), MONDAY)
    assert [m.context.get("flag") for m in mails(at.actions) if m.template == "flag_notice"] == [
        "persistent_sender"
    ]
    assert not [m for m in mails(after.actions) if m.template == "flag_notice"]


def test_automatic_replies_are_capped_per_address_per_day(stafford: CouncilPolicy) -> None:
    """No loop can make a storm: past the daily cap the customer mail is dropped and audited."""
    d = decide(stafford, None, contact(history=SenderHistory(acknowledgements_today=10)), MONDAY)
    assert not [m for m in mails(d.actions) if m.to_customer]
    assert "reply_capped" in d.state.flags
    assert any(isinstance(a, Audit) and a.event == "customer_mail_suppressed" for a in d.actions)
    assert [m.purpose for m in mails(d.actions)] == ["officer_notification"]


def test_low_confidence_contact_asks_customer_services_to_confirm(stafford: CouncilPolicy) -> None:
    """Triage: the customer services role confirms; the acknowledgement still goes out."""
    d = decide(stafford, None, contact(triage=True, confidence=0.4), MONDAY)
    purposes = [(m.purpose, m.to[0]) for m in mails(d.actions)]
    assert ("triage_request", "customer.services@stafford.example") in purposes
    assert purposes[0][0] == "acknowledgement"


def test_braille_request_puts_a_task_to_customer_services(stafford: CouncilPolicy) -> None:
    """14: information in Braille on request: a task for customer services."""
    d = decide(stafford, None, contact(needs=("braille",)), MONDAY)
    tasks = [m for m in mails(d.actions) if m.template == "accessibility_task"]
    assert tasks and tasks[0].context == {"needs": ["braille"]}


def test_foi_request_is_acknowledged_and_routed_to_the_foi_officer(stafford: CouncilPolicy) -> None:
    """11: FOI to the FOI officer, due on the 20th working day of the Act's calendar."""
    d = decide(stafford, None, contact("foi_request", service=None), MONDAY)
    assert d.state.assigned_to == "legalservices@stafford.example"
    assert mails(d.actions)[0].template == "foi_acknowledgement"
    assert d.state.deadlines[-1].due_date == date(2026, 12, 1)
    assert any("St Andrew" in line for line in d.state.deadlines[-1].explain)
