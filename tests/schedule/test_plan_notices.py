"""Which notices a deadline is owed and when: pure, from the rules' reminder plans."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time

from mailflow.policy.council import CouncilPolicy
from mailflow.workflow.decide import decide
from mailflow.workflow.events import Classified, ContactReceived, CustomerReplied
from mailflow.workflow.reminders import Notice, plan_notices
from mailflow.workflow.state import CaseState, DeadlineState
from tests.schedule.sim import LONDON, local


def new_case(
    policy: CouncilPolicy, at: datetime, kind: str = "complaint", service: str | None = "waste"
) -> CaseState:
    event = ContactReceived(
        reference="SBC-2026-00001",
        message_id="<a@customer.example>",
        sender="jane.smith@customer.example",
        sender_name="Jane Smith",
        subject="Bins",
        channel="email",
        received_at=at,
        classified=Classified(kind=kind, service=service),
    )
    return decide(policy, None, event, at).state


def respond(state: CaseState) -> DeadlineState:
    return next(d for d in state.deadlines if d.purpose == "respond" and d.status == "open")


def when(notices: tuple[Notice, ...]) -> list[tuple[str, str, str]]:
    return [
        (f"{n.due_at.astimezone(LONDON):%a %d %b %H:%M}", n.kind, n.recipient.address)
        for n in notices
    ]


def test_stafford_stage_1_officer_then_head_of_service_then_breach(
    stafford: CouncilPolicy,
) -> None:
    """Stage 1 (due Mon 21 Dec 2026): officer with 3 days left, Head of Service on the last
    day, and at the next working morning the Head of Service and Customer Services Manager."""
    state = new_case(stafford, local(2026, 12, 7, 10))
    d = respond(state)
    assert d.due_date == date(2026, 12, 21)
    got = plan_notices(stafford, state, d, since=local(2026, 12, 7, 10))
    assert when(got) == [
        ("Thu 17 Dec 09:00", "reminder", "waste@stafford.example"),
        ("Mon 21 Dec 09:00", "escalation", "head.operations@stafford.example"),
        ("Tue 22 Dec 09:00", "breach_warning", "head.operations@stafford.example"),
        ("Tue 22 Dec 09:00", "breach_warning", "customer.services.manager@stafford.example"),
    ]
    assert [n.recipient.role for n in got][-2:] == [
        "stage_owner_manager",
        "customer_services_manager",
    ]


def test_a_breach_at_a_friday_lapse_waits_for_monday_morning_not_the_weekend(
    stafford: CouncilPolicy,
) -> None:
    """The lapse of a Friday deadline is Saturday 00:00; the warning goes on Monday at 09:00."""
    state = new_case(stafford, local(2026, 11, 13, 10))  # a Friday: due Fri 27 Nov
    d = respond(state)
    assert f"{d.due_date:%a %d %b}" == "Fri 27 Nov"
    breach = [
        n for n in plan_notices(stafford, state, d, since=d.due_at) if n.kind == "breach_warning"
    ]
    assert {f"{n.due_at.astimezone(LONDON):%a %d %b %H:%M}" for n in breach} == {"Mon 30 Nov 09:00"}


def test_notices_skip_christmas_and_the_substitute_boxing_day(stafford: CouncilPolicy) -> None:
    """A deadline due Mon 4 Jan 2027: the 3-days-left reminder counts back over 1 Jan and
    28 Dec (substitute Boxing Day) to Wed 30 Dec; the breach goes on Tue 5 Jan."""
    state = new_case(stafford, local(2026, 12, 16, 14))
    d = respond(state)
    assert d.due_date == date(2027, 1, 4)
    got = when(plan_notices(stafford, state, d, since=local(2026, 12, 16, 14)))
    assert got[0] == ("Wed 30 Dec 09:00", "reminder", "waste@stafford.example")
    assert got[1][0] == "Mon 04 Jan 09:00" and got[2][0] == "Tue 05 Jan 09:00"


def test_a_closure_day_in_the_rules_moves_a_notice_to_the_next_open_morning(
    stafford: CouncilPolicy,
) -> None:
    """On the council's own closure day nothing is mailed: the notice waits for the next
    morning the council is open."""
    rules = stafford.rules.model_copy(deep=True)
    council = rules.calendars["council"]
    from mailflow.policy.schema import ClosureDay

    closed = council.model_copy(
        update={"closure_days": [ClosureDay(date=date(2026, 12, 30), reason="Christmas closure")]}
    )
    rules = rules.model_copy(update={"calendars": {**rules.calendars, "council": closed}})
    policy = CouncilPolicy.from_rules(rules, stafford.source)
    state = new_case(policy, local(2026, 12, 16, 14))
    d = respond(state)
    assert d.due_date == date(2027, 1, 5)  # one more day closed, one day later
    reminder = plan_notices(policy, state, d, since=local(2026, 12, 16, 14))[0]
    assert f"{reminder.due_at.astimezone(LONDON):%a %d %b %H:%M}" == "Thu 31 Dec 09:00"


def test_notices_already_past_are_not_owed_and_nothing_for_a_met_deadline(
    stafford: CouncilPolicy,
) -> None:
    """Re-planned after the first reminder's morning, only later notices remain; a met
    deadline, or one of a closed case, is owed none."""
    state = new_case(stafford, local(2026, 12, 7, 10))
    d = respond(state)
    later = plan_notices(stafford, state, d, since=local(2026, 12, 18, 12))
    assert [n.kind for n in later] == ["escalation", "breach_warning", "breach_warning"]
    assert plan_notices(stafford, state, replace(d, status="met"), since=local(2026, 12, 7)) == ()
    closed = replace(state, status="closed")
    assert plan_notices(stafford, closed, d, since=local(2026, 12, 7)) == ()


def test_one_person_holding_two_roles_gets_the_more_serious_notice_once(
    chorley: CouncilPolicy,
) -> None:
    """Chorley stage 2: the Chief Executive is both handling officer and stage owner; at the
    lapse they get one breach warning, never a reminder and a warning at the same instant."""
    state = new_case(chorley, local(2026, 11, 2, 10))
    reply = CustomerReplied(
        message_id="<r@c>", received_at=local(2026, 11, 10, 10), escalation_request=True
    )
    state = decide(chorley, state, reply, local(2026, 11, 10, 10)).state
    d = respond(state)
    got = plan_notices(chorley, state, d, since=local(2026, 11, 10, 10))
    per_instant = {(n.due_at, n.recipient.address) for n in got}
    assert len(per_instant) == len(got)
    ce = [n for n in got if n.recipient.address == "chief.executive@chorley.example"]
    assert [n.kind for n in ce] == ["reminder", "escalation", "breach_warning"]


def test_foi_reminders_count_on_the_foi_act_calendar(stafford: CouncilPolicy) -> None:
    """FOI received Mon 1 Mar 2027: St Patrick's Day (17 March) is not a working day under the
    FOI Act, so it is due Thu 1 April, not Wed 31 March, and its notices count the same way."""
    state = new_case(stafford, local(2027, 3, 1, 10), kind="foi_request", service=None)
    d = respond(state)
    assert (d.calendar, d.due_date) == ("foi_act", date(2027, 4, 1))
    assert stafford.calendar("council").due_date(local(2027, 3, 1, 10), 20) == date(2027, 3, 31)
    got = when(plan_notices(stafford, state, d, since=local(2027, 3, 1, 10)))
    assert got == [
        ("Wed 24 Mar 09:00", "reminder", "legalservices@stafford.example"),
        ("Wed 31 Mar 09:00", "escalation", "chief.executive@stafford.example"),
        ("Fri 02 Apr 09:00", "breach_warning", "legalservices@stafford.example"),
        ("Fri 02 Apr 09:00", "breach_warning", "chief.executive@stafford.example"),
    ]


def test_every_notice_of_every_seed_plan_falls_at_opening_time_on_a_working_day(
    stafford: CouncilPolicy, chorley: CouncilPolicy
) -> None:
    """For contacts received every day of 2026-27, every notice is at 09:00 on a working day."""
    for policy in (stafford, chorley):
        cal = policy.calendar()
        for ordinal in range(date(2026, 1, 1).toordinal(), date(2027, 12, 1).toordinal(), 3):
            at = datetime.combine(date.fromordinal(ordinal), time(11), tzinfo=LONDON)
            state = new_case(policy, at)
            for d in state.deadlines:
                for n in plan_notices(policy, state, d, since=at):
                    instant = n.due_at.astimezone(LONDON)
                    assert instant.time() == time(9) and cal.is_working_day(instant.date())
