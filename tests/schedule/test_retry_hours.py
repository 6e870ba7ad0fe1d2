"""A notice that failed to send is retried in working hours only; a breach warning never waits
past the next working morning (issue 5: "never at midnight or weekends", "never delayed past
the next working morning")."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from mailflow.policy.council import CouncilPolicy
from mailflow.workflow.reminders import retry_instant
from tests.schedule.sim import World, local

MakeWorld = Callable[[CouncilPolicy, datetime], World]
SBC = "stafford.example"


def in_hours(policy: CouncilPolicy, at: datetime) -> bool:
    hours = policy.rules.working_hours
    return policy.calendar().is_working_day(at.date()) and hours.opens <= at.time() < hours.closes


async def test_a_reminder_refused_all_day_goes_out_next_working_morning_not_in_the_evening(
    world: MakeWorld, stafford: CouncilPolicy
) -> None:
    """Stage 1 due Mon 21 Dec 2026: the officer's reminder falls on Thu 17 Dec 09:00, but the
    mail server refuses notices until 18:30. Every retry is in working hours; the reminder
    goes out at 09:00 on Friday, and the breach warnings are on time."""
    w = world(stafford, local(2026, 12, 7, 10))
    w.receive("a")
    w.backend.refuse_notices_until = local(2026, 12, 17, 18, 30)
    await w.retry_until(local(2026, 12, 22, 12))
    assert w.backend.refused and all(in_hours(stafford, t) for t in w.backend.refused)
    assert w.backend.refused[0] == local(2026, 12, 17, 9)
    assert w.notices()[0] == ("2026-12-18 09:00", "reminder", f"waste@{SBC}")
    assert ("2026-12-22 09:00", "breach_warning", f"head.operations@{SBC}") in w.notices()
    assert all(in_hours(stafford, s.at) for s in w.notice_mails())


async def test_a_breach_warning_refused_overnight_goes_out_at_the_next_opening(
    world: MakeWorld, stafford: CouncilPolicy
) -> None:
    """The server is down from the breach on Tue 22 Dec 09:00 until 07:00 on Wednesday: the
    warnings go at Wednesday's opening, not at night."""
    w = world(stafford, local(2026, 12, 7, 10))
    w.receive("a")
    await w.retry_until(local(2026, 12, 21, 12))
    w.backend.refuse_notices_until = local(2026, 12, 23, 7)
    await w.retry_until(local(2026, 12, 23, 12))
    breaches = [n for n in w.notices() if n[1] == "breach_warning"]
    assert [n[0] for n in breaches] == ["2026-12-23 09:00", "2026-12-23 09:00"]
    assert all(in_hours(stafford, t) for t in w.backend.refused)


def test_retries_keep_to_working_hours_and_breaches_to_the_next_morning(
    stafford: CouncilPolicy,
) -> None:
    """The rule itself, for any backoff: a reminder wanted at 17:03 on Friday waits for
    Monday 09:00; a breach warning whose backoff has grown to three days still goes at the
    next working morning; customer mail and in-hours retries are left as the backoff wants."""
    friday = local(2026, 11, 6, 16, 58)
    monday = local(2026, 11, 9, 9)
    assert retry_instant(stafford, "reminder", friday, friday + timedelta(minutes=5)) == monday
    assert retry_instant(stafford, "breach_warning", friday, friday + timedelta(days=3)) == monday
    tuesday = local(2026, 11, 10, 11)
    later = tuesday + timedelta(hours=1)
    assert retry_instant(stafford, "breach_warning", tuesday, later) == later
    assert retry_instant(stafford, "breach_warning", tuesday, tuesday + timedelta(days=3)) == (
        local(2026, 11, 11, 9)
    )
    assert retry_instant(stafford, "acknowledgement", friday, friday + timedelta(hours=6)) == (
        friday + timedelta(hours=6)
    )
