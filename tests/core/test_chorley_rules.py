"""Chorley Council's Customer Care Policy, rule by rule, against rules/chorley.yaml.

Receipt is Monday 2 November 2026, 10:00, unless a test says otherwise: working day 1 is
Tuesday 3 November, day 2 Wednesday 4, day 5 Monday 9, day 7 Wednesday 11, day 10 Monday 16.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from mailflow.errors import PolicyError
from mailflow.policy.council import CouncilPolicy
from mailflow.policy.deadlines import plan
from mailflow.policy.routing import route

LONDON = ZoneInfo("Europe/London")
MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=LONDON)


def dates(
    policy: CouncilPolicy,
    kind: str,
    channel: str,
    stage: int | None = None,
    received: datetime = MONDAY,
) -> tuple[date | None, date | None]:
    p = plan(policy, kind=kind, channel=channel, received=received, stage=stage)
    return (
        p.acknowledge.due_date if p.acknowledge else None,
        p.respond.due_date if p.respond else None,
    )


@pytest.mark.parametrize("channel", ["email", "web", "text"])
def test_e_contact_acknowledged_within_one_working_day_and_answered_within_two(
    chorley: CouncilPolicy, channel: str
) -> None:
    """Electronic contact: acknowledgement within 1 working day, full response within 2."""
    assert dates(chorley, "service_request", channel) == (date(2026, 11, 3), date(2026, 11, 4))


def test_email_received_on_christmas_day_2026_is_acknowledged_29_and_answered_30_december(
    chorley: CouncilPolicy,
) -> None:
    """The worked example: Friday 25 December; Monday 28 is the substitute Boxing Day."""
    received = datetime(2026, 12, 25, 8, 0, tzinfo=LONDON)
    assert dates(chorley, "service_request", "email", received=received) == (
        date(2026, 12, 29),
        date(2026, 12, 30),
    )


@pytest.mark.parametrize("channel", ["letter", "fax"])
def test_letters_and_faxes_acknowledged_within_five_and_answered_within_seven(
    chorley: CouncilPolicy, channel: str
) -> None:
    """Written contacts and Appendix 1: acknowledge within 5 working days, respond within 7."""
    assert dates(chorley, "information_request", channel) == (date(2026, 11, 9), date(2026, 11, 11))


def test_phone_and_visits_carry_no_reply_deadline_in_days(chorley: CouncilPolicy) -> None:
    """Face-to-face and telephone standards are in minutes and seconds, not working days."""
    assert dates(chorley, "service_request", "phone") == (None, None)
    assert dates(chorley, "service_request", "in_person") == (None, None)


def test_complaint_acknowledged_in_five_and_answered_in_ten_working_days(
    chorley: CouncilPolicy,
) -> None:
    """Complaints Procedure: acknowledgement within 5 working days, full response within 10."""
    assert dates(chorley, "complaint", "letter") == (date(2026, 11, 9), date(2026, 11, 16))


def test_emailed_complaint_gets_the_one_day_e_contact_acknowledgement(
    chorley: CouncilPolicy,
) -> None:
    """'In all cases the customer care standards should be applied': e-contact ack in 1 day."""
    p = plan(chorley, kind="complaint", channel="email", received=MONDAY)
    assert p.acknowledge is not None and p.acknowledge.due_date == date(2026, 11, 3)
    assert p.respond is not None and p.respond.due_date == date(2026, 11, 16)
    assert any("standard" in n for n in p.notes)


def test_stage1_is_the_service_head_or_senior_manager(chorley: CouncilPolicy) -> None:
    """Procedure: not resolved at once, the complaint passes to the Service Head (stage 1)."""
    r = route(chorley, kind="complaint", service="planning")
    assert (r.route, r.stage, r.is_case) == ("head_of_service", 1, True)
    person = chorley.person("head_of_service", "planning")
    assert person is not None and person.title == "Head of Planning"


def test_stage2_chief_executive_acknowledges_in_five_and_responds_in_ten(
    chorley: CouncilPolicy,
) -> None:
    """Escalation to the Chief Executive: acknowledge within 5, respond within 10 working days."""
    p = plan(chorley, kind="complaint", channel="letter", received=MONDAY, stage=2)
    assert p.owner == "chief_executive"
    assert (p.acknowledge and p.acknowledge.due_date, p.respond and p.respond.due_date) == (
        date(2026, 11, 9),
        date(2026, 11, 16),
    )


def test_stage2_response_signposts_the_ombudsman_with_a_leaflet(chorley: CouncilPolicy) -> None:
    """The customer is advised of the Ombudsman and sent a leaflet explaining how."""
    stage2 = chorley.procedure("complaints").stage(2)
    assert stage2.ombudsman_signposting and chorley.rules.ombudsman.leaflet
    assert chorley.rules.ombudsman.address == ["PO Box 4771", "Coventry", "CV4 0EH"]


def test_stages_numbered_as_the_ombudsman_code_with_the_ombudsman_third(
    chorley: CouncilPolicy,
) -> None:
    """Chorley's stages: 1 Service Head, 2 Chief Executive, 3 the Ombudsman (external)."""
    stages = chorley.procedure("complaints").stages
    assert [(s.number, s.owner, s.external) for s in stages] == [
        (1, "head_of_service", False),
        (2, "chief_executive", False),
        (3, None, True),
    ]
    with pytest.raises(PolicyError):
        plan(chorley, kind="complaint", channel="email", received=MONDAY, stage=3)


def test_copy_of_the_response_goes_to_the_customer_services_manager(
    chorley: CouncilPolicy,
) -> None:
    """Procedure: a copy of the response is sent to the Customer Services Manager."""
    assert chorley.procedure("complaints").copy_response_to == ["customer_services_manager"]


def test_serious_complaint_goes_straight_to_the_chief_executive(chorley: CouncilPolicy) -> None:
    """Some complaints, depending on the degree of seriousness, go directly to the CEO."""
    r = route(chorley, kind="complaint", service="housing", topics={"serious"})
    assert (r.route, r.stage) == ("chief_executive", 2)


@pytest.mark.parametrize(
    ("topic", "role", "title"),
    [
        (
            "financial_impropriety",
            "internal_audit",
            "Assistant Chief Executive (Business Transformation and Improvement)",
        ),
        (
            "discrimination_or_harassment",
            "hr_director",
            "Corporate Director Human Resources and Organisational Development",
        ),
        ("criminal_behaviour", "chief_executive", "Chief Executive"),
        ("about_elected_member", "governance_director", "Corporate Director of Governance"),
        ("about_chief_officer", "chief_executive", "Chief Executive"),
        ("about_chief_executive", "executive_leader", "Executive Leader"),
    ],
)
def test_automatic_escalation_goes_to_the_named_role(
    chorley: CouncilPolicy, topic: str, role: str, title: str
) -> None:
    """Other procedures and legislation: the automatic escalation table, row by row."""
    r = route(chorley, kind="complaint", service="waste", topics={topic})
    assert r.route == role
    person = chorley.person(role, "waste")
    assert person is not None and person.title == title


def test_complaint_against_a_member_is_handled_outside_the_complaints_procedure(
    chorley: CouncilPolicy,
) -> None:
    """Members are dealt with under their code of conduct, not the stages."""
    r = route(chorley, kind="complaint", service=None, topics={"about_elected_member"})
    assert (r.is_case, r.stage) == (False, None)


@pytest.mark.parametrize("kind", ["abusive", "junk", "auto_reply"])
def test_malicious_abusive_or_junk_email_requires_no_reply(
    chorley: CouncilPolicy, kind: str
) -> None:
    """Electronic contact: malicious, abusive or junk emails require no reply."""
    assert dates(chorley, kind, "email") == (None, None)
    assert chorley.rules.kinds[kind].reply == "none"


def test_abusive_email_is_flagged_for_the_customer_services_manager(chorley: CouncilPolicy) -> None:
    """Abusive contact is flagged to a manager instead of being answered or escalated."""
    r = route(chorley, kind="abusive", service=None)
    assert (r.route, r.flag) == ("customer_services_manager", "unacceptable_actions")


def test_comments_and_compliments_go_to_service_heads_to_pass_on(chorley: CouncilPolicy) -> None:
    """Other Feedback: recorded centrally, then to Service Heads to pass on to the staff."""
    assert "head_of_service" in route(chorley, kind="compliment", service="leisure").notify
    assert "head_of_service" in route(chorley, kind="comment", service="leisure").notify


def test_housing_benefit_and_planning_have_their_own_statutory_procedures(
    chorley: CouncilPolicy,
) -> None:
    """Other procedures: Housing Benefits and Planning have specific statutory procedures."""
    assert {"benefit_appeal", "planning_appeal"} <= set(chorley.rules.signposts)


def test_standard_email_signature_names_chorley_council(chorley: CouncilPolicy) -> None:
    """Electronic contact: the standard signature: name, job title, Chorley Council, telephone."""
    sig = chorley.rules.council.signature
    assert len(sig) == 4 and sig[2] == "Chorley Council"


def test_foi_request_acknowledged_in_one_day_and_answered_on_the_act_calendar(
    chorley: CouncilPolicy,
) -> None:
    """FOI by email: e-contact acknowledgement, then 20 working days on the Act's calendar."""
    assert dates(chorley, "foi_request", "email") == (date(2026, 11, 3), date(2026, 12, 1))


def test_directory_has_chorley_specific_roles(chorley: CouncilPolicy) -> None:
    """Chorley's policy names HR, governance and Executive Leader roles besides the common ones."""
    assert {
        "chief_executive",
        "monitoring_officer",
        "internal_audit",
        "foi_officer",
        "customer_services_manager",
        "hr_director",
        "governance_director",
        "executive_leader",
    } <= set(chorley.rules.directory.roles)
