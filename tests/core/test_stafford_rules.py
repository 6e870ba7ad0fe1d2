"""Stafford Borough Council's Customer Care Framework, rule by rule, against rules/stafford.yaml.

Receipt is Monday 2 November 2026, 10:00, unless a test says otherwise: working day 1 is
Tuesday 3 November, day 5 Monday 9, day 10 Monday 16, day 15 Monday 23, day 20 Monday 30
November (St Andrew's Day: a Scottish bank holiday, so the FOI calendar skips it).
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


@pytest.mark.parametrize("channel", ["letter", "email", "fax", "web"])
def test_dear_customer_written_contact_is_answered_within_five_working_days(
    stafford: CouncilPolicy, channel: str
) -> None:
    """6 Dear Customer: letters, emails, faxes and web forms get a reply within five days."""
    assert dates(stafford, "service_request", channel) == (date(2026, 11, 9), date(2026, 11, 9))


def test_phone_contact_has_no_written_reply_deadline(stafford: CouncilPolicy) -> None:
    """6 Hello: the telephone promise sets no number of days, so no reply deadline is set."""
    assert dates(stafford, "service_request", "phone") == (None, None)


@pytest.mark.parametrize("channel", ["email", "letter", "phone", "in_person"])
def test_complaint_acknowledged_within_five_working_days_however_made(
    stafford: CouncilPolicy, channel: str
) -> None:
    """6 Promises: acknowledge your complaint within five working days (7(c): however made)."""
    ack, _ = dates(stafford, "complaint", channel)
    assert ack == date(2026, 11, 9)


def test_stage1_is_at_the_point_of_service_with_ten_day_response_where_framework_is_silent(
    stafford: CouncilPolicy,
) -> None:
    """8 Stage 1: the service deals with it; the Framework gives no days, the rules use 10."""
    p = plan(stafford, kind="complaint", channel="email", received=MONDAY)
    assert (p.stage, p.owner) == (1, "service_officer")
    assert p.respond is not None and p.respond.due_date == date(2026, 11, 16)
    assert "silent" in (p.respond.source or "").lower()


def test_stage2_head_of_service_acknowledges_in_five_and_responds_in_twenty(
    stafford: CouncilPolicy,
) -> None:
    """8 Stage 2: acknowledgement within five working days, a maximum of twenty to respond."""
    p = plan(stafford, kind="complaint", channel="email", received=MONDAY, stage=2)
    assert p.owner == "head_of_service"
    assert (p.acknowledge and p.acknowledge.due_date, p.respond and p.respond.due_date) == (
        date(2026, 11, 9),
        date(2026, 11, 30),
    )


def test_stage2_complaint_received_18_december_2026_is_acknowledged_by_29_december(
    stafford: CouncilPolicy,
) -> None:
    """The worked example: Christmas Day, Boxing Day substituted to Monday 28 December."""
    received = datetime(2026, 12, 18, 11, 0, tzinfo=LONDON)
    assert dates(stafford, "complaint", "email", 2, received) == (
        date(2026, 12, 29),
        date(2027, 1, 20),
    )


def test_stage3_chief_executive_acknowledges_in_five_and_responds_in_fifteen(
    stafford: CouncilPolicy,
) -> None:
    """8 Stage 3: acknowledgement within five working days and a full response within fifteen."""
    p = plan(stafford, kind="complaint", channel="email", received=MONDAY, stage=3)
    assert p.owner == "chief_executive"
    assert p.respond is not None and p.respond.due_date == date(2026, 11, 23)


def test_stage3_ack_due_within_five_working_days_over_christmas(stafford: CouncilPolicy) -> None:
    """Stage 3 escalation on Monday 21 December 2026: 22, 23, 24, 29, 30 December are days 1-5."""
    received = datetime(2026, 12, 21, 9, 30, tzinfo=LONDON)
    assert dates(stafford, "complaint", "email", 3, received) == (
        date(2026, 12, 30),
        date(2027, 1, 14),
    )


def test_stage2_and_3_timescales_may_pause_for_information_from_the_complainant(
    stafford: CouncilPolicy,
) -> None:
    """8 Stages 2 and 3: the timescale may vary if additional information is required."""
    stages = stafford.procedure("complaints").stages
    assert [s.pause_awaiting_customer for s in stages[:3]] == [False, True, True]


def test_stage2_reply_tells_the_customer_how_to_go_to_stage3(stafford: CouncilPolicy) -> None:
    """8 Stage 2: the reply must inform the customer of the third stage and how to refer again."""
    text = stafford.procedure("complaints").stage(2).next_step or ""
    assert "Chief Executive" in text and "stage 3" in text


def test_stage3_makes_the_customer_aware_of_the_ombudsman(stafford: CouncilPolicy) -> None:
    """8 Stage 3: the customer will be made aware of the Ombudsman service."""
    stage3 = stafford.procedure("complaints").stage(3)
    assert stage3.ombudsman_signposting and "ombudsman_signposting" in stage3.letters
    assert stafford.rules.ombudsman.telephone and stafford.rules.ombudsman.address


def test_stage4_is_the_ombudsman_outside_the_council(stafford: CouncilPolicy) -> None:
    """8 Stage 4: the Local Government Ombudsman is the final stage; the council sets no clock."""
    assert stafford.procedure("complaints").stage(4).external
    with pytest.raises(PolicyError, match="outside the council"):
        plan(stafford, kind="complaint", channel="email", received=MONDAY, stage=4)


def test_written_complaint_outcome_is_always_given_in_writing(stafford: CouncilPolicy) -> None:
    """8 In all cases: a written complaint's outcome is given in writing (a stage reply letter)."""
    for stage in stafford.procedure("complaints").stages[:3]:
        assert "stage_reply" in stage.letters
    assert "in writing" in stafford.rules.wording["written_outcome"]


def test_complaint_about_a_head_of_service_goes_to_chief_executive_on_stage3_timescales(
    stafford: CouncilPolicy,
) -> None:
    """9(e): referred directly to the Chief Executive and investigated on stage 3 timescales."""
    r = route(stafford, kind="complaint", service="waste", topics={"about_head_of_service"})
    assert (r.route, r.stage, r.is_case) == ("chief_executive", 3, True)


def test_complaint_about_the_chief_executive_goes_to_the_monitoring_officer(
    stafford: CouncilPolicy,
) -> None:
    """9(e): any complaint about the Chief Executive is directed to the Monitoring Officer."""
    r = route(stafford, kind="complaint", service=None, topics={"about_chief_executive"})
    assert r.route == "monitoring_officer"


def test_financial_impropriety_goes_to_internal_audit_and_deputy_chief_executive(
    stafford: CouncilPolicy,
) -> None:
    """9(e): allegations of financial impropriety to the Deputy Chief Executive and/or Audit."""
    r = route(stafford, kind="complaint", service="council_tax", topics={"financial_impropriety"})
    assert (r.route, r.notify) == ("internal_audit", ("deputy_chief_executive",))


def test_complaint_against_an_elected_member_goes_to_chief_executive_outside_the_procedure(
    stafford: CouncilPolicy,
) -> None:
    """9(e): to the Chief Executive immediately, under the councillors' codes of conduct."""
    r = route(stafford, kind="complaint", service=None, topics={"about_elected_member"})
    assert (r.route, r.is_case, r.stage) == ("chief_executive", False, None)


def test_chief_executive_topic_outranks_head_of_service_topic(stafford: CouncilPolicy) -> None:
    """Special routes are tried in file order, so the most senior subject decides the route."""
    topics = {"about_head_of_service", "about_chief_executive"}
    assert route(stafford, kind="complaint", service=None, topics=topics).route == (
        "monitoring_officer"
    )


def test_anonymous_complaint_goes_to_head_of_service_outside_the_procedure(
    stafford: CouncilPolicy,
) -> None:
    """7(c): matters raised anonymously are considered by the Head of Service, outside it."""
    r = route(stafford, kind="complaint", service="housing", anonymous=True)
    assert (r.route, r.is_case) == ("head_of_service", False)
    person = stafford.person(r.route or "", r.service)
    assert person is not None and person.title == "Head of Housing"


def test_ordinary_complaint_starts_at_stage1_with_the_service(stafford: CouncilPolicy) -> None:
    """8 Stage 1: the relevant service deals with the initial approach."""
    r = route(stafford, kind="complaint", service="leisure")
    assert (r.route, r.stage, r.is_case) == ("service_officer", 1, True)


def test_compliment_is_acknowledged_and_thanks_passed_to_the_staff(stafford: CouncilPolicy) -> None:
    """7(b): compliments get an acknowledgement saying thanks were passed on to the staff."""
    r = route(stafford, kind="compliment", service="waste")
    assert set(r.notify) == {"service_officer", "head_of_service"}
    assert stafford.rules.kinds["compliment"].reply == "thanks_passed_on"
    assert dates(stafford, "compliment", "email") == (date(2026, 11, 9), date(2026, 11, 9))


def test_comment_is_thanked(stafford: CouncilPolicy) -> None:
    """7(a): we will thank the customer for their comment."""
    assert stafford.rules.kinds["comment"].reply == "thanks"


@pytest.mark.parametrize(
    "signpost",
    [
        "planning_appeal",
        "court_or_tribunal",
        "housing_review",
        "parking_adjudicator",
        "employment",
        "other_agency",
    ],
)
def test_matters_with_a_right_of_appeal_are_signposted_not_run_through_the_procedure(
    stafford: CouncilPolicy, signpost: str
) -> None:
    """7(c): each statutory or legal limitation has a signpost with wording for the customer."""
    assert stafford.rules.signposts[signpost].text
    assert stafford.rules.kinds["out_of_procedure"].reply == "signpost"
    assert route(stafford, kind="out_of_procedure", service="planning").is_case is False


def test_third_party_matters_guide_the_customer_to_the_other_agency(
    stafford: CouncilPolicy,
) -> None:
    """7(c): complaints about third parties: guide the customer to the right agency."""
    r = route(stafford, kind="third_party", service=None)
    assert (r.route, r.service, r.is_case) == ("service_officer", "customer_services", False)


def test_unreasonably_persistent_contact_is_flagged_not_escalated(stafford: CouncilPolicy) -> None:
    """10: vexatious contact is handled under the Unacceptable Actions policy by a manager."""
    r = route(stafford, kind="abusive", service=None)
    assert (r.route, r.flag, r.is_case) == (
        "customer_services_manager",
        "unacceptable_actions",
        False,
    )
    assert dates(stafford, "abusive", "email") == (None, None)


def test_more_than_one_service_lead_decided_by_customer_services_manager(
    stafford: CouncilPolicy,
) -> None:
    """9(b): the Customer Services Manager names the Lead Service; uncertainty goes to the CEO."""
    ms = stafford.rules.multiple_services
    assert ms is not None and (ms.decided_by, ms.uncertain_to) == (
        "customer_services_manager",
        "chief_executive",
    )


def test_foi_request_goes_to_the_foi_officer_within_twenty_foi_working_days(
    stafford: CouncilPolicy,
) -> None:
    """11 and FOI Act s.10: 20 working days on the Act's calendar (St Andrew's Day skipped)."""
    p = plan(stafford, kind="foi_request", channel="email", received=MONDAY)
    assert p.owner == "foi_officer"
    assert p.acknowledge is not None and p.acknowledge.due_date == date(2026, 11, 9)
    assert p.respond is not None and p.respond.due_date == date(2026, 12, 1)
    assert p.respond.calendar == "foi_act"


def test_every_service_has_a_service_officer_and_a_head_of_service(stafford: CouncilPolicy) -> None:
    """Each of the ten services of the directory names both per-service roles."""
    services = stafford.rules.directory.services
    assert set(services) == {
        "waste",
        "council_tax",
        "benefits",
        "housing",
        "planning",
        "parking",
        "environmental_health",
        "leisure",
        "licensing",
        "customer_services",
    }
    for svc in services.values():
        assert svc.service_officer.address.endswith(".example")
        assert svc.head_of_service.address.endswith(".example")


def test_stage_owners_resolve_to_people_for_every_service(stafford: CouncilPolicy) -> None:
    """Every stage owner and special route resolves to a directory entry for every service."""
    roles = {s.owner for s in stafford.procedure("complaints").stages if s.owner}
    roles |= {r.route for r in stafford.rules.special_routes}
    for service in stafford.rules.directory.services:
        for role in roles:
            assert stafford.person(role, service) is not None, (role, service)
