"""Cases walked through weeks of simulated time: exactly which notices go to whom, and when.

Each walk runs the real workflow, store, outbox worker and scheduler on SQLite with a simulated
clock, over Christmas 2026 (Stafford) and Easter 2027 (Chorley), and asserts every reminder,
escalation, breach warning and digest by instant and recipient, that nothing is mailed outside
working hours, and that each mail explains how its dates were worked out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, time

from mailflow.policy.council import CouncilPolicy
from mailflow.workflow.events import CustomerReplied
from mailflow.workflow.state import CaseState
from tests.schedule.sim import World, local

SBC, CHC = "stafford.example", "chorley.example"
MakeWorld = Callable[[CouncilPolicy, datetime], World]


def met(stage: int | None, at: datetime) -> Callable[[CaseState], tuple[CaseState, list[object]]]:
    """What an officer's ``#outcome`` does to the clocks: the response deadline met."""

    def meet(state: CaseState) -> tuple[CaseState, list[object]]:
        deadlines = tuple(
            replace(d, status="met", met_at=at)
            if d.stage == stage and d.purpose == "respond" and d.status == "open"
            else d
            for d in state.deadlines
        )
        return replace(state, deadlines=deadlines), []

    return meet  # type: ignore[return-value]


def assert_in_working_hours(world: World) -> None:
    """Every notice went out between opening and closing on a council working day."""
    hours = world.policy.rules.working_hours
    cal = world.policy.calendar()
    for sent in world.notice_mails():
        assert hours.opens <= sent.at.time() < hours.closes, sent
        assert cal.is_working_day(sent.at.date()), sent


async def test_stafford_complaints_over_christmas_2026(
    world: MakeWorld, stafford: CouncilPolicy
) -> None:
    """Two stage 1 complaints either side of Christmas, one escalated to stage 2: the officer is
    reminded, the Head of Service hears on the last day, breaches go to the Head of Service and
    the Customer Services Manager (the Chief Executive at stage 2), and the Monday digest (moved
    to Tuesday 29 December by the substitute Boxing Day) lists what is overdue."""
    w = world(stafford, local(2026, 12, 7, 10))
    w.receive("a")  # stage 1 due Mon 21 Dec
    await w.run_until(local(2026, 12, 16, 14))
    w.receive("b")  # stage 1 due Mon 4 Jan 2027, counted over Christmas
    await w.run_until(local(2026, 12, 23, 11))
    w.apply(
        "a", CustomerReplied(message_id="<e@c>", received_at=w.clock.now, escalation_request=True)
    )
    await w.run_until(local(2027, 1, 7, 15))
    w.change("b", met(1, w.clock.now))  # the officer's response, three days late
    await w.run_until(local(2027, 2, 2, 12))
    ops, csm = f"head.operations@{SBC}", f"customer.services.manager@{SBC}"
    assert w.notices() == [
        ("2026-12-17 09:00", "reminder", f"waste@{SBC}"),
        ("2026-12-21 09:00", "escalation", ops),
        ("2026-12-22 09:00", "breach_warning", ops),
        ("2026-12-22 09:00", "breach_warning", csm),
        ("2026-12-30 09:00", "reminder", f"waste@{SBC}"),
        ("2027-01-04 09:00", "escalation", ops),
        ("2027-01-05 09:00", "breach_warning", ops),
        ("2027-01-05 09:00", "breach_warning", csm),
        ("2027-01-19 09:00", "reminder", ops),  # stage 2 (due Mon 25 Jan), five days left
        ("2027-01-22 09:00", "escalation", ops),
        ("2027-01-26 09:00", "breach_warning", f"chief.executive@{SBC}"),
        ("2027-01-26 09:00", "breach_warning", csm),
        ("2027-02-01 09:00", "digest", csm),
    ]
    assert_in_working_hours(w)
    digest = w.notice_mails()[-1].text()
    assert w.references["a"] in digest and "late by 5 working days" in digest
    assert w.references["b"] not in digest  # answered on 7 January
    skipped = [r.due_at for r in w.rows() if r.kind == "digest" and r.status == "skipped"]
    assert local(2026, 12, 29) in skipped  # Mon 28 Dec is a bank holiday: Tuesday instead


async def test_each_notice_explains_its_dates(world: MakeWorld, stafford: CouncilPolicy) -> None:
    """Reminder and breach mails carry the working of the due date, day by day, and the
    Framework's duty to keep the customer informed; the mail threads to the case."""
    w = world(stafford, local(2026, 12, 16, 14))
    reference = w.receive("b")
    await w.run_until(local(2027, 1, 5, 12))
    reminder, *_, breach = w.notice_mails()
    for sent in (reminder, breach):
        text = sent.text()
        assert sent.subject.startswith(f"[{reference}] ")
        assert "Fri 25 Dec 2026: Christmas Day" in text
        assert "Mon 28 Dec 2026: Boxing Day (substitute day)" in text
        assert "Fri 01 Jan 2027: New Year's Day" in text
        assert "kept informed of the timescales" in sent.words()
        assert str(sent.message["Auto-Submitted"]) == "auto-generated"
    assert reminder.subject.endswith("Reminder: full response due 4 January 2027")
    assert "3 working days left, today included" in reminder.text()
    assert "You are receiving this reminder as Waste Services Officer" in reminder.words()
    assert breach.subject.endswith("Deadline missed: full response was due 4 January 2027")
    assert "Late by 1 working day, today included" in breach.text()


async def test_chorley_over_easter_2027(world: MakeWorld, chorley: CouncilPolicy) -> None:
    """An emailed service request (2 working days) and a complaint (10) either side of Good
    Friday and Easter Monday: nothing is mailed on either holiday, the Service Head hears of the
    late reply, the Chief Executive and the Customer Services Manager of the late complaint, and
    the daily digest lists what is overdue each working morning."""
    w = world(chorley, local(2027, 3, 18, 14))
    w.receive("complaint")  # stage 1 due Mon 5 Apr 2027
    await w.run_until(local(2027, 3, 24, 16))
    w.receive("request", kind="service_request")  # due Tue 30 Mar: 25 Mar, then 30 Mar
    await w.run_until(local(2027, 3, 31, 11))
    w.change("request", met(None, w.clock.now))
    await w.run_until(local(2027, 4, 7, 12))
    head, csm = f"head.streetscene@{CHC}", f"customer.services.manager@{CHC}"
    assert sorted(w.notices()) == sorted(
        [
            ("2027-03-30 09:00", "reminder", f"waste@{CHC}"),
            ("2027-03-31 09:00", "breach_warning", head),
            ("2027-03-31 09:00", "digest", csm),
            ("2027-04-01 09:00", "reminder", head),
            ("2027-04-05 09:00", "escalation", head),
            ("2027-04-06 09:00", "breach_warning", f"chief.executive@{CHC}"),
            ("2027-04-06 09:00", "breach_warning", csm),
            ("2027-04-06 09:00", "digest", csm),
            ("2027-04-07 09:00", "digest", csm),
        ]
    )
    assert_in_working_hours(w)
    days = {s.at.date().isoformat() for s in w.backend.log if s.kind}
    assert not days & {"2027-03-26", "2027-03-29"}  # Good Friday, Easter Monday
    breach = next(s for s in w.notice_mails() if s.kind == "breach_warning" and csm in s.to)
    assert "Fri 26 Mar 2027: Good Friday" in breach.text()
    assert "Mon 29 Mar 2027: Easter Monday" in breach.text()
    assert "told why, and when they can expect a full response" in breach.words()


async def test_foi_request_notices_follow_the_foi_act_calendar(
    world: MakeWorld, stafford: CouncilPolicy
) -> None:
    """A Stafford FOI request of Mon 1 March 2027: the FOI officer is reminded, the Chief
    Executive warned, on the FOI Act's working days (St Patrick's Day and Easter skipped)."""
    w = world(stafford, local(2027, 3, 1, 10))
    w.receive("foi", kind="foi_request", service=None)
    await w.run_until(local(2027, 4, 3, 12))
    foi, ce = f"legalservices@{SBC}", f"chief.executive@{SBC}"
    assert w.notices() == [
        ("2027-03-24 09:00", "reminder", foi),
        ("2027-03-31 09:00", "escalation", ce),
        ("2027-04-02 09:00", "breach_warning", foi),
        ("2027-04-02 09:00", "breach_warning", ce),
    ]
    text = w.notice_mails()[0].text()
    assert "Wed 17 Mar 2027: St Patrick's Day (NIR)" in text
    assert "Freedom of Information Act calendar" in text and "cannot be extended" in text


async def test_nothing_is_mailed_outside_working_hours_even_when_due_at_night(
    world: MakeWorld, stafford: CouncilPolicy
) -> None:
    """Time moved on at 02:00 and 19:00 over a weekend: the notices wait for 09:00 Monday."""
    w = world(stafford, local(2026, 11, 13, 10))  # due Fri 27 Nov
    w.receive("a")
    await w.run_until(local(2026, 11, 27, 20))
    before = len(w.notices())
    for at in (local(2026, 11, 28, 2), local(2026, 11, 29, 19), local(2026, 11, 30, 8, 59)):
        w.clock.now = at
        await w.settle()
    assert len(w.notices()) == before
    await w.run_until(local(2026, 11, 30, 10))
    late = [n for n in w.notices()[before:]]
    assert {n[0] for n in late} == {"2026-11-30 09:00"}
    assert all(s.at.time() == time(9) for s in w.notice_mails())
