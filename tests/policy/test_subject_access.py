"""A subject access request goes to the data protection officer, due in one calendar month."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from mailflow.policy.council import CouncilPolicy
from mailflow.policy.routing import route
from mailflow.policy.summary import summary_lines
from mailflow.workflow.actions import SendMail
from mailflow.workflow.intake import receive
from tests.workflow.conftest import contact

LONDON = ZoneInfo("Europe/London")


def at(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T10:00").replace(tzinfo=LONDON)


def respond_by(policy: CouncilPolicy, received: datetime) -> date:
    state, _ = receive(
        policy,
        contact("information_request", topics=("subject_access",), received=received),
        received,
    )
    (due,) = [d for d in state.deadlines if d.purpose == "respond"]
    return due.due_date


@pytest.mark.parametrize("council", ["stafford", "chorley"])
def test_subject_access_request_routes_to_the_data_protection_officer_flagged(
    council: str, request: pytest.FixtureRequest
) -> None:
    """An information request with the subject_access topic is the DPO's, flagged, not a case."""
    policy: CouncilPolicy = request.getfixturevalue(council)
    r = route(policy, kind="information_request", service="council_tax", topics=["subject_access"])
    assert r.route == "data_protection_officer"
    assert r.flag == "subject_access" and not r.is_case
    assert r.respond is not None and r.respond.unit == "calendar_months"
    state, actions = receive(
        policy, contact("information_request", topics=("subject_access",)), at("2026-11-02")
    )
    dpo = f"data.protection@{council}.example"
    assert state.assigned_to == dpo and "subject_access" in state.flags
    officer_mails = [a for a in actions if isinstance(a, SendMail) and not a.to_customer]
    assert any(a.to == (dpo,) and a.purpose == "officer_notification" for a in officer_mails)


def test_plain_information_request_keeps_the_service_officer_and_five_working_days(
    stafford: CouncilPolicy,
) -> None:
    """Without the topic, an information request is the service's, answered in 5 working days."""
    state, _ = receive(stafford, contact("information_request"), at("2026-11-02"))
    assert state.assigned_to == "waste@stafford.example"
    assert "subject_access" not in state.flags
    assert [d.due_date for d in state.deadlines if d.purpose == "respond"] == [date(2026, 11, 9)]


def test_subject_access_is_due_the_same_date_next_month(stafford: CouncilPolicy) -> None:
    """Received Monday 2 November 2026: due Wednesday 2 December (UK GDPR Art. 12(3))."""
    assert respond_by(stafford, at("2026-11-02")) == date(2026, 12, 2)


def test_subject_access_received_31_march_is_due_on_the_last_day_of_april(
    stafford: CouncilPolicy,
) -> None:
    """30 April has no 31st: the month's last day, Thursday 30 April 2026, is the deadline (ICO)."""
    assert respond_by(stafford, at("2026-03-31")) == date(2026, 4, 30)


def test_subject_access_received_on_a_saturday_counts_from_that_day(
    chorley: CouncilPolicy,
) -> None:
    """Received Saturday 5 December 2026: due Tuesday 5 January 2027, over Christmas."""
    assert respond_by(chorley, at("2026-12-05")) == date(2027, 1, 5)


def test_subject_access_due_on_a_bank_holiday_moves_to_the_next_working_day(
    stafford: CouncilPolicy,
) -> None:
    """Received 25 November 2026: 25 December is Christmas Day, so Tuesday 29 December (ICO)."""
    assert respond_by(stafford, at("2026-11-25")) == date(2026, 12, 29)


def test_subject_access_topic_does_not_reroute_a_complaint(stafford: CouncilPolicy) -> None:
    """A complaint that mentions data protection stays in the complaints procedure."""
    r = route(stafford, kind="complaint", service="waste", topics=["subject_access"])
    assert r.route == "service_officer" and r.is_case and r.respond is None


def test_check_rules_summary_says_one_calendar_month_for_subject_access(
    stafford: CouncilPolicy,
) -> None:
    """The summary names the unit in words an administrator reads, singular for one."""
    (line,) = [ln for ln in summary_lines(stafford) if "subject_access" in ln]
    assert line.endswith("-> data_protection_officer, respond 1 calendar month")
